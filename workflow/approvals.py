"""The approval queue: submitted tasks a person may approve, oldest first."""

from __future__ import annotations

import base64
import binascii
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, tuple_
from sqlalchemy.orm import Session

from workflow.clock import utcnow
from workflow.enums import Role, State, TriggerName
from workflow.errors import (
    CommentRequiredError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    WorkflowError,
)
from workflow.models import AuditRecord, Evidence, Item, Organisation, Person, Task
from workflow.scope import scoped_tasks
from workflow.service import apply_transition
from workflow.signoff import APPROVER_ROLES, PersonFacts

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
BULK_LIMIT = 500
BULK_TRIGGERS = (TriggerName.APPROVE, TriggerName.SEND_BACK)


class QueueCursorError(WorkflowError):
    """A queue cursor that this server did not make."""


@dataclass(frozen=True)
class QueueFilters:
    """Filters of the queue; all optional, all combine."""

    plan_id: int | None = None
    item_number: str | None = None
    district_id: int | None = None
    school_id: int | None = None
    waiting_days: int | None = None


@dataclass(frozen=True)
class QueueEntry:
    """One waiting submission with what the approver needs to decide."""

    task: Task
    submitter_name: str | None
    comment: str
    evidence: list[Evidence] = field(default_factory=list)

    def waiting(self, now: datetime) -> timedelta:
        """How long the submission has waited."""
        return now - (self.task.submitted_at or self.task.updated_at)


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue and the cursor of the next, if any."""

    entries: list[QueueEntry]
    next_cursor: str | None


class BulkOutcome(StrEnum):
    """What happened to one task of a bulk action."""

    DONE = "done"
    CHANGED = "changed"
    NOT_YOURS = "not_yours"
    REFUSED = "refused"


@dataclass(frozen=True)
class BulkResult:
    """The result of a bulk action for one task."""

    task_id: int
    outcome: BulkOutcome
    message: str = ""


def _identities(person: PersonFacts) -> list[dict[int, frozenset[Role]]]:
    return [dict(person.roles_by_org), *(dict(r) for r in person.stand_ins.values())]


def is_approver(person: PersonFacts) -> bool:
    """Whether the person (or someone they stand in for) approves anything."""
    wanted = {*APPROVER_ROLES.values(), Role.MINISTRY_ADMIN}
    return any(
        roles & wanted for by_org in _identities(person) for roles in by_org.values()
    )


def approver_of(person: PersonFacts) -> ColumnElement[bool]:
    """Tasks whose approver the person is (or stands in for), in any state.

    Roles belong to one level, so a specialist role in an organisation makes
    its holder the approver of that organisation's children; the ministry
    admin approves the tasks of the top organisation.
    """
    approver_roles = set(APPROVER_ROLES.values())
    supervising: set[int] = set()
    top: set[int] = set()
    for by_org in _identities(person):
        for org_id, roles in by_org.items():
            if roles & approver_roles:
                supervising.add(org_id)
            if Role.MINISTRY_ADMIN in roles:
                top.add(org_id)
    whose: list[ColumnElement[bool]] = []
    if supervising:
        whose.append(Organisation.parent_id.in_(sorted(supervising)))
    if top:
        whose.append(
            and_(Task.org_id.in_(sorted(top)), Organisation.parent_id.is_(None))
        )
    return or_(*whose) if whose else false()


def approvable(person: PersonFacts) -> ColumnElement[bool]:
    """Submitted tasks the person may approve; never their own submissions."""
    return and_(
        Task.state == State.SUBMITTED,
        approver_of(person),
        or_(Task.submitted_by_id.is_(None), Task.submitted_by_id != person.person_id),
    )


def queue_query(
    person: PersonFacts, filters: QueueFilters, now: datetime | None = None
) -> Select[Task]:
    """The scoped, filtered query of the person's queue (no order, no limit)."""
    query = scoped_tasks(person).where(approvable(person))
    if filters.plan_id is not None:
        query = query.where(Task.plan_id == filters.plan_id)
    if filters.item_number:
        query = query.where(Item.number == filters.item_number)
    if filters.district_id is not None:
        query = query.where(
            or_(
                Organisation.parent_id == filters.district_id,
                Task.org_id == filters.district_id,
            )
        )
    if filters.school_id is not None:
        query = query.where(Task.org_id == filters.school_id)
    if filters.waiting_days is not None:
        since = (now or utcnow()) - timedelta(days=filters.waiting_days)
        query = query.where(Task.submitted_at <= since)
    return query


def waiting_count(session: Session, person: PersonFacts) -> int:
    """How many submissions wait for this person's approval."""
    if not is_approver(person):
        return 0
    query = queue_query(person, QueueFilters()).with_only_columns(func.count(Task.id))
    return session.scalar(query) or 0


def queue_page(
    session: Session,
    person: PersonFacts,
    filters: QueueFilters,
    *,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> QueuePage:
    """One page of the queue, oldest submission first, after `cursor`.

    Keyset pagination on (submitted_at, id): every page costs the same
    statements and index range, the first as the last.
    """
    query = queue_query(person, filters)
    if cursor:
        submitted_at, task_id = decode_cursor(cursor)
        query = query.where(
            tuple_(Task.submitted_at, Task.id) > (submitted_at, task_id)
        )
    query = query.order_by(Task.submitted_at, Task.id).limit(limit + 1)
    tasks = list(session.scalars(query))

    more = len(tasks) > limit
    tasks = tasks[:limit]
    entries = _entries(session, tasks)
    next_cursor = None
    if more and tasks:
        last = tasks[-1]
        next_cursor = encode_cursor(last.submitted_at or last.updated_at, last.id)
    return QueuePage(entries, next_cursor)


def _entries(session: Session, tasks: Sequence[Task]) -> list[QueueEntry]:
    """Add the submitter, the submit comment and the evidence, in three queries."""
    if not tasks:
        return []
    ids = [task.id for task in tasks]
    submitters = {task.submitted_by_id for task in tasks} - {None}
    names: dict[int, str] = {}
    if submitters:
        rows = session.execute(
            select(Person.id, Person.name).where(Person.id.in_(submitters))
        )
        names = {person_id: name for person_id, name in rows}
    comments: dict[int, str] = {}
    for task_id, comment in session.execute(
        select(AuditRecord.task_id, AuditRecord.comment)
        .where(
            AuditRecord.task_id.in_(ids),
            AuditRecord.trigger_name == TriggerName.SUBMIT.value,
        )
        .order_by(AuditRecord.id)
    ):
        comments[task_id] = comment
    evidence: dict[int, list[Evidence]] = defaultdict(list)
    for item in session.scalars(
        select(Evidence).where(Evidence.task_id.in_(ids)).order_by(Evidence.id)
    ):
        evidence[item.task_id].append(item)
    return [
        QueueEntry(
            task=task,
            submitter_name=names.get(task.submitted_by_id or -1),
            comment=comments.get(task.id, ""),
            evidence=evidence.get(task.id, []),
        )
        for task in tasks
    ]


def encode_cursor(submitted_at: datetime, task_id: int) -> str:
    """An opaque cursor for the position after one task."""
    raw = f"{submitted_at.isoformat()}|{task_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Read a cursor back; raise QueueCursorError for anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, task_id = base64.urlsafe_b64decode(padded).decode().split("|")
        return datetime.fromisoformat(moment), int(task_id)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise QueueCursorError(
            "The cursor is not one this server gave; start again from the first page."
        ) from None


def matching_ids(
    session: Session,
    person: PersonFacts,
    filters: QueueFilters,
    limit: int = BULK_LIMIT,
) -> list[int]:
    """The ids of the queue's tasks that match the filters, oldest first."""
    query = (
        queue_query(person, filters)
        .with_only_columns(Task.id)
        .order_by(Task.submitted_at, Task.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def bulk_transition(
    session: Session,
    person: PersonFacts,
    tasks: Iterable[tuple[int, int | None]],
    trigger: str,
    comment: str | None = None,
) -> list[BulkResult]:
    """Approve or send back many tasks, each in its own transaction.

    `tasks` pairs each id with the version the person saw (None: as it is
    now). Every task gets the same permission checks as a single action, and
    a result: done, or why not. A task is changed entirely or not at all.
    """
    if trigger not in {t.value for t in BULK_TRIGGERS}:
        raise ValueError("A bulk action is either approve or send_back.")
    text = (comment or "").strip()
    if trigger == TriggerName.SEND_BACK.value and not text:
        raise CommentRequiredError(
            "Sending back in bulk needs one reason for all; write it and try again."
        )
    pairs = list(dict(tasks).items())
    if len(pairs) > BULK_LIMIT:
        raise ValueError(f"At most {BULK_LIMIT} tasks in one bulk action.")

    results: list[BulkResult] = []
    for task_id, version in pairs:
        try:
            apply_transition(
                session, person, task_id, trigger, version=version, comment=text
            )
        except NotFoundError:
            results.append(BulkResult(task_id, BulkOutcome.NOT_YOURS, "not found"))
        except PermissionDeniedError as refused:
            results.append(
                BulkResult(task_id, BulkOutcome.NOT_YOURS, refused.refusal.value)
            )
        except ConflictError as conflict:
            results.append(BulkResult(task_id, BulkOutcome.CHANGED, str(conflict)))
        except WorkflowError as other:
            results.append(BulkResult(task_id, BulkOutcome.REFUSED, str(other)))
        else:
            results.append(BulkResult(task_id, BulkOutcome.DONE))
    done = sum(1 for result in results if result.outcome is BulkOutcome.DONE)
    logger.info(
        "Person %s: bulk %s on %s tasks, %s done",
        person.person_id,
        trigger,
        len(pairs),
        done,
    )
    return results
