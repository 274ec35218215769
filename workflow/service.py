"""Applying a transition: one transaction from permission check to outbox."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, insert, inspect, select, update
from sqlalchemy.orm import Session, aliased, contains_eager
from sqlalchemy.orm.attributes import set_committed_value

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
    Base,
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


# The statements of a transition are built once and reused: building a
# statement and its cache key costs SQLAlchemy more than running it (see
# bench/README.md). Only the task load differs between people, by their scope.
_LOAD_STATEMENTS: dict[tuple[str, ...], Select[Task, Level | None]] = {}
_LOAD_STATEMENTS_KEPT = 4096
_TASKS = Base.metadata.tables[Task.__tablename__]
# The version guard; the SET clause is made of the parameters given, and the
# row comes back as it now is.
_UPDATE_TASK = (
    update(_TASKS)
    .where(
        _TASKS.c.id == bindparam("task_id"),
        _TASKS.c.version == bindparam("seen_version"),
    )
    .returning(*_TASKS.c)
)
# The audit record and the messages are written, never read back: plain inserts.
_INSERT_AUDIT = insert(Base.metadata.tables[AuditRecord.__tablename__])
_INSERT_OUTBOX = insert(Base.metadata.tables[OutboxMessage.__tablename__])
_RECIPIENTS = select(Membership.person_id).where(
    Membership.org_id == bindparam("org_id"),
    Membership.role.in_(bindparam("roles", expanding=True)),
)
_TASK_ATTRIBUTES = [
    (column.key, column.columns[0]) for column in inspect(Task).column_attrs
]


def _load_statement(person: PersonFacts) -> Select[Task, Level | None]:
    """The scoped query of `load_task` for the person's scope, built once."""
    statement = _LOAD_STATEMENTS.get(person.org_paths)
    if statement is None:
        parent = aliased(Organisation)
        statement = (
            select(Task, parent.level)
            .join(Task.organisation)
            .join(Task.item)
            .outerjoin(parent, parent.id == Organisation.parent_id)
            .where(Task.id == bindparam("task_id"), in_scope(person, Organisation.path))
            .options(contains_eager(Task.organisation), contains_eager(Task.item))
            # Always read the row as it is now, never a copy the session kept.
            .execution_options(populate_existing=True)
        )
        if len(_LOAD_STATEMENTS) >= _LOAD_STATEMENTS_KEPT:
            _LOAD_STATEMENTS.clear()
        _LOAD_STATEMENTS[person.org_paths] = statement
    return statement


def load_task(session: Session, person: PersonFacts, task_id: int) -> LoadedTask:
    """Load a task in the person's scope with what deciding needs, in one query."""
    row = session.execute(_load_statement(person), {"task_id": task_id}).first()
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
    version: int | None,
    comment: str | None = None,
    now: datetime | None = None,
) -> Task:
    """Fire `trigger` on a task for a person, or raise and change nothing.

    One transaction: permission check, version-guarded state change, audit
    record and outbox rows. The caller's session is committed on success and
    rolled back on any refusal. `version` is the version the person saw; None
    (bulk actions) takes the task as it is now, still guarded against a change
    between this check and the update.
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
            changes.update(
                submitted_by_id=person.person_id, submitted_at=moment, sent_back=False
            )
        elif trigger_name is TriggerName.SEND_BACK:
            changes["sent_back"] = True

        updated = (
            session.execute(
                _UPDATE_TASK,
                {**changes, "task_id": task.id, "seen_version": task.version},
            )
            .mappings()
            .first()
        )
        if updated is None:
            raise ConflictError(
                f"Task {task.id} was changed by someone else; reload it and try again."
            )

        session.execute(
            _INSERT_AUDIT,
            {
                "task_id": task.id,
                "trigger_name": trigger_name.value,
                "from_state": from_state,
                "to_state": to_state,
                "actor_id": person.person_id,
                "role_used": decision.role,
                "on_behalf_of_id": decision.on_behalf_of,
                "created_at": moment,
                "comment": text,
            },
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
    # The UPDATE returned the row as it was committed: give the task those
    # values rather than read it once more.
    for key, column in _TASK_ATTRIBUTES:
        set_committed_value(task, key, updated[column])
    return task


def _check_version(task: Task, version: int | None) -> None:
    if version is not None and version != task.version:
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
        session.scalars(_RECIPIENTS, {"org_id": org_id, "roles": list(roles)})
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
    if recipients:
        session.execute(
            _INSERT_OUTBOX,
            [
                {
                    "recipient_id": recipient,
                    "kind": f"task_{trigger.value}",
                    "task_id": task.id,
                    "payload": payload,
                    "created_at": moment,
                }
                for recipient in sorted(recipients)
            ],
        )
