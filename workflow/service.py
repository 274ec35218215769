"""Applying a transition: one transaction from permission check to outbox."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased, contains_eager

from workflow.clock import utcnow
from workflow.enums import Level, State, TriggerName
from workflow.errors import (
    CommentRequiredError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnknownTriggerError,
)
from workflow.models import (
    AuditRecord,
    Evidence,
    Membership,
    Organisation,
    OutboxMessage,
    Task,
)
from workflow.scope import in_scope
from workflow.signoff import (
    Decision,
    PersonFacts,
    Refusal,
    TaskFacts,
    decide,
    decide_one,
    parties_of,
)

logger = logging.getLogger(__name__)

COMMENT_LIMIT = 4000


@dataclass(frozen=True)
class LoadedTask:
    """A task in scope together with the facts that decide what may be done."""

    task: Task
    facts: TaskFacts

    def decisions(self, person: PersonFacts) -> list[Decision]:
        """Every trigger, allowed or refused with its reason, for this person."""
        return decide(person, self.facts)


def load_task(session: Session, person: PersonFacts, task_id: int) -> LoadedTask:
    """Load a task in the person's scope with what deciding needs, in one query."""
    parent = aliased(Organisation)
    row = session.execute(
        select(Task, parent.level)
        .join(Task.organisation)
        .join(Task.item)
        .outerjoin(parent, parent.id == Organisation.parent_id)
        .where(Task.id == task_id, in_scope(person, Organisation.path))
        .options(contains_eager(Task.organisation), contains_eager(Task.item))
        # Always read the row as it is now, never a copy the session kept.
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFoundError(f"Task {task_id} was not found.")
    task, parent_level = row

    evidence_count = 0
    if task.item.requires_evidence:
        evidence_count = (
            session.scalar(select(func.count()).where(Evidence.task_id == task.id)) or 0
        )

    level = Level(parent_level) if parent_level else None
    return LoadedTask(task, task_facts(task, level, evidence_count))


def task_facts(
    task: Task, parent_level: Level | None, evidence_count: int
) -> TaskFacts:
    """The facts that decide what may be done, from a task with org and item loaded."""
    return TaskFacts(
        state=State(task.state),
        org_id=task.org_id,
        org_level=Level(task.organisation.level),
        parent_org_id=task.organisation.parent_id,
        parent_org_level=parent_level,
        item_roles=tuple(task.item.roles),
        submitted_by_id=task.submitted_by_id,
        requires_evidence=task.item.requires_evidence,
        evidence_count=evidence_count,
    )


def apply_transition(
    session: Session,
    person: PersonFacts,
    task_id: int,
    trigger: str,
    *,
    version: int,
    comment: str | None = None,
    now: datetime | None = None,
) -> Task:
    """Fire `trigger` on a task for a person, or raise and change nothing.

    One transaction: permission check, version-guarded state change, audit
    record and outbox rows. The caller's session is committed on success and
    rolled back on any refusal.
    """
    try:
        trigger_name = TriggerName(trigger)
    except ValueError:
        known = ", ".join(name.value for name in TriggerName)
        raise UnknownTriggerError(
            f"Unknown trigger {trigger!r}; use one of: {known}."
        ) from None
    moment = now or utcnow()
    text = (comment or "").strip()

    try:
        loaded = load_task(session, person, task_id)
        task = loaded.task
        _check_version(task, version)
        decision = decide_one(person, loaded.facts, trigger_name)
        _check_decision(task, decision, text)

        from_state = State(task.state)
        to_state = decision.dest
        assert to_state is not None and decision.role is not None
        changes: dict[str, Any] = {
            "state": to_state,
            "version": task.version + 1,
            "updated_at": moment,
        }
        if trigger_name is TriggerName.SUBMIT:
            changes.update(submitted_by_id=person.person_id, sent_back=False)
        elif trigger_name is TriggerName.SEND_BACK:
            changes["sent_back"] = True

        result = session.execute(
            update(Task)
            .where(Task.id == task.id, Task.version == task.version)
            .values(**changes)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(
                f"Task {task.id} was changed by someone else; reload it and try again."
            )

        session.add(
            AuditRecord(
                task_id=task.id,
                trigger_name=trigger_name.value,
                from_state=from_state,
                to_state=to_state,
                actor_id=person.person_id,
                role_used=decision.role,
                created_at=moment,
                comment=text,
            )
        )
        _write_outbox(session, person, loaded, trigger_name, to_state, text, moment)
        session.commit()
    except Exception:
        session.rollback()
        raise

    logger.info(
        "Task %s: %s applied %s -> %s by person=%s role=%s",
        task_id,
        trigger_name.value,
        from_state.value,
        to_state.value,
        person.person_id,
        decision.role.value,
    )
    refreshed = session.get(Task, task_id, populate_existing=True)
    assert refreshed is not None
    return refreshed


def _check_version(task: Task, version: int) -> None:
    if version != task.version:
        raise ConflictError(
            f"Task {task.id} has changed since you opened it (version {version}, "
            f"now {task.version}); reload it and try again.",
            current_version=task.version,
        )


def _check_decision(task: Task, decision: Decision, comment: str) -> None:
    if not decision.allowed:
        assert decision.refusal is not None
        if decision.refusal is Refusal.WRONG_STATE:
            raise ConflictError(
                f"Task {task.id} is {task.state.value}; "
                f"{decision.trigger.value} is not possible from there.",
                current_version=task.version,
            )
        raise PermissionDeniedError(
            f"Task {task.id}: {decision.trigger.value} refused "
            f"({decision.refusal.value}).",
            decision.refusal,
        )
    if decision.needs_comment and not comment:
        raise CommentRequiredError(
            f"{decision.trigger.value} needs a comment; write what was done or why."
        )
    if len(comment) > COMMENT_LIMIT:
        raise CommentRequiredError(
            f"The comment is longer than {COMMENT_LIMIT} characters; shorten it."
        )


def _write_outbox(
    session: Session,
    person: PersonFacts,
    loaded: LoadedTask,
    trigger: TriggerName,
    to_state: State,
    comment: str,
    moment: datetime,
) -> None:
    """Queue a message for everyone who must hear of this transition."""
    task, facts = loaded.task, loaded.facts
    parties = parties_of(facts)

    if trigger is TriggerName.START:
        return
    if trigger is TriggerName.SUBMIT:
        org_id, roles = parties.approver_org_id, parties.approver_roles
    else:
        org_id, roles = task.org_id, (parties.leads[-1],)

    recipients = set(
        session.scalars(
            select(Membership.person_id).where(
                Membership.org_id == org_id, Membership.role.in_(roles)
            )
        )
    )
    if trigger is not TriggerName.SUBMIT and task.submitted_by_id is not None:
        recipients.add(task.submitted_by_id)
    recipients.discard(person.person_id)

    payload = {
        "task_id": task.id,
        "trigger": trigger.value,
        "state": to_state.value,
        "actor_id": person.person_id,
        "comment": comment,
        "item_number": task.item.number,
        "item_title": task.item.title,
        "org_name": task.organisation.short_name,
        "period": task.period_label,
    }
    session.add_all(
        OutboxMessage(
            recipient_id=recipient,
            kind=f"task_{trigger.value}",
            task_id=task.id,
            payload=payload,
            created_at=moment,
        )
        for recipient in sorted(recipients)
    )
