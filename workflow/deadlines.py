"""Deadline extensions (запрос продления): asked by an executor, decided above."""

from __future__ import annotations

import logging
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, Enum, ForeignKey, Index, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from workflow.approvals import approver_of
from workflow.clock import utcnow
from workflow.enums import State
from workflow.errors import ConflictError, NotFoundError, PermissionDeniedError
from workflow.machine import Actor
from workflow.models import Base, Person, Task
from workflow.rescheduling import DueDateChange
from workflow.scope import scoped_tasks
from workflow.service import LoadedTask, load_task
from workflow.signoff import PersonFacts, Refusal, acting_role

logger = logging.getLogger(__name__)


class ExtensionState(StrEnum):
    """Where a request for more time stands."""

    PENDING = "pending"
    GRANTED = "granted"
    DECLINED = "declined"


class ExtensionProblem(StrEnum):
    """Why a request for more time cannot be made; pages turn it into words."""

    APPROVED = "approved"
    NO_REASON = "no_reason"
    NOT_LATER = "not_later"
    ALREADY_PENDING = "already_pending"


class ExtensionError(ValueError):
    """A request for more time that cannot be made; the message says why."""

    def __init__(self, message: str, problem: ExtensionProblem) -> None:
        super().__init__(message)
        self.problem = problem


class DeadlineExtension(Base):
    """A request to move a task's due date, and its decision."""

    __tablename__ = "deadline_extensions"
    __table_args__ = (Index("ix_deadline_extensions_task_state", "task_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    old_due: Mapped[date | None] = mapped_column(Date)
    new_due: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[ExtensionState] = mapped_column(
        Enum(
            ExtensionState,
            native_enum=False,
            create_constraint=False,
            length=16,
            values_callable=lambda members: [m.value for m in members],
        ),
        default=ExtensionState.PENDING,
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_comment: Mapped[str] = mapped_column(Text, default="")

    requested_by: Mapped[Person] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[Person | None] = relationship(foreign_keys=[decided_by_id])


def request_extension(
    session: Session, person: PersonFacts, task_id: int, new_due: date, reason: str
) -> DeadlineExtension:
    """Ask for a later due date; only an executor of an unfinished task may."""
    loaded = load_task(session, person, task_id)
    task = loaded.task
    text = reason.strip()

    role, _for_whom, refusal = acting_role(person, loaded.facts, Actor.EXECUTOR)
    if role is None:
        raise PermissionDeniedError(
            f"Task {task_id}: only its executors may ask for more time.",
            refusal or Refusal.NOT_EXECUTOR,
        )
    if task.state is State.APPROVED:
        raise ExtensionError(
            "The task is approved already; it needs no more time.",
            ExtensionProblem.APPROVED,
        )
    if not text:
        raise ExtensionError("Say why more time is needed.", ExtensionProblem.NO_REASON)
    if task.due is not None and new_due <= task.due:
        raise ExtensionError(
            f"The new due date must be after the current one ({task.due:%d.%m.%Y}).",
            ExtensionProblem.NOT_LATER,
        )
    if pending_for(session, task_id) is not None:
        raise ExtensionError(
            "A request for this task is already waiting for a decision.",
            ExtensionProblem.ALREADY_PENDING,
        )

    extension = DeadlineExtension(
        task_id=task_id,
        requested_by_id=person.person_id,
        old_due=task.due,
        new_due=new_due,
        reason=text,
    )
    session.add(extension)
    session.commit()
    logger.info(
        "Task %s: extension to %s requested by person=%s",
        task_id,
        new_due,
        person.person_id,
    )
    return extension


def pending_for(session: Session, task_id: int) -> DeadlineExtension | None:
    """The request of a task that waits for a decision, if there is one."""
    return session.scalars(
        select(DeadlineExtension).where(
            DeadlineExtension.task_id == task_id,
            DeadlineExtension.state == ExtensionState.PENDING,
        )
    ).first()


def decide_extension(
    session: Session,
    person: PersonFacts,
    extension_id: int,
    *,
    grant: bool,
    comment: str = "",
) -> DeadlineExtension:
    """Grant (moving the due date) or decline a request; an approver decides."""
    extension = session.get(DeadlineExtension, extension_id)
    if extension is None:
        raise NotFoundError(f"Request {extension_id} was not found.")
    loaded = load_task(session, person, extension.task_id)

    role, _for_whom, refusal = acting_role(person, loaded.facts, Actor.APPROVER)
    if role is None or extension.requested_by_id == person.person_id:
        raise PermissionDeniedError(
            f"Request {extension_id}: only the task's approver may decide it.",
            refusal or Refusal.NOT_APPROVER,
        )
    if extension.state is not ExtensionState.PENDING:
        raise ConflictError(f"Request {extension_id} was decided already.")

    moment = utcnow()
    extension.state = ExtensionState.GRANTED if grant else ExtensionState.DECLINED
    extension.decided_by_id = person.person_id
    extension.decided_at = moment
    extension.decision_comment = comment.strip()
    if grant:
        task = loaded.task
        session.add(
            DueDateChange(
                task_id=task.id,
                item_id=task.item_id,
                old_due=task.due,
                new_due=extension.new_due,
                changed_by_id=person.person_id,
                changed_at=moment,
                reason=extension.reason,
            )
        )
        # The version moves too, so a page opened before the change is stale.
        session.execute(
            update(Task)
            .where(Task.id == extension.task_id)
            .values(due=extension.new_due, version=Task.version + 1, updated_at=moment)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    logger.info(
        "Task %s: extension %s %s by person=%s",
        extension.task_id,
        extension.id,
        extension.state.value,
        person.person_id,
    )
    return extension


def extensions_of(session: Session, task_id: int) -> list[DeadlineExtension]:
    """Every request of a task, oldest first, for its history."""
    return list(
        session.scalars(
            select(DeadlineExtension)
            .where(DeadlineExtension.task_id == task_id)
            .order_by(DeadlineExtension.id)
        )
    )


def pending_for_approver(
    session: Session, person: PersonFacts, limit: int = 100
) -> list[tuple[DeadlineExtension, Task]]:
    """Requests waiting for this person's decision, oldest first."""
    query = (
        scoped_tasks(person)
        .add_columns(DeadlineExtension)
        .join(DeadlineExtension, DeadlineExtension.task_id == Task.id)
        .where(
            DeadlineExtension.state == ExtensionState.PENDING,
            DeadlineExtension.requested_by_id != person.person_id,
            approver_of(person),
        )
        .order_by(DeadlineExtension.requested_at, DeadlineExtension.id)
        .limit(limit)
    )
    return [(extension, task) for task, extension in session.execute(query)]


def may_ask_for_time(person: PersonFacts, loaded: LoadedTask) -> bool:
    """Whether the person may ask for a later due date on this task now."""
    if loaded.task.state is State.APPROVED:
        return False
    role, _for_whom, _refusal = acting_role(person, loaded.facts, Actor.EXECUTOR)
    return role is not None
