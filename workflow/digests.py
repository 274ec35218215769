"""Digests: who hears of which newly escalated tasks, written to the outbox.

A digest row holds, for one recipient, the tasks of one sweep's batch grouped
by level, plan, item and organisation. The sender joins every waiting digest
row of a recipient into one message (`digest_view`), so a sweep that commits
in several batches still sends each recipient one message.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, aliased

from workflow.clock import LOCAL_ZONE
from workflow.enums import Level, Role, State
from workflow.escalation_models import EscalationLevel, MailPreference
from workflow.models import (
    Item,
    Membership,
    Organisation,
    OutboxMessage,
    Person,
    Plan,
    Task,
)
from workflow.signoff import TaskFacts, parties_of

logger = logging.getLogger(__name__)

DIGEST_KIND = "escalation_digest"

# Level 2 goes to the people of the ministry at the top of the task's tree.
MINISTRY_ROLES = (Role.MINISTRY_ADMIN, Role.MINISTRY_SPECIALIST)


@dataclass(frozen=True)
class Candidate:
    """A task that reached a level, before the event is recorded."""

    task_id: int
    level: EscalationLevel
    due: date


@dataclass(frozen=True)
class TaskRow:
    """What a digest says of one task."""

    task_id: int
    plan_id: int
    item_id: int
    org_id: int
    org_name: str
    org_level: Level
    parent_org_id: int | None
    period: str
    due: date
    state: State


@dataclass
class Resolved:
    """The tasks of a batch with their items, plans and recipients."""

    tasks: dict[int, TaskRow] = field(default_factory=dict)
    items: dict[int, Item] = field(default_factory=dict)
    plans: dict[int, str] = field(default_factory=dict)
    recipients: dict[tuple[int, EscalationLevel], tuple[int, ...]] = field(
        default_factory=dict
    )

    def recipients_of(self, candidate: Candidate) -> tuple[int, ...]:
        """The people who hear of this task at this level."""
        return self.recipients.get((candidate.task_id, candidate.level), ())

    def plan_of(self, task_id: int) -> int:
        """The plan of a task of the batch."""
        return self.tasks[task_id].plan_id


@dataclass(frozen=True)
class DigestTiming:
    """When a sweep writes, how long its digests wait, when daily digests go."""

    moment: datetime
    hold_until: datetime
    daily_hour: int


@dataclass(frozen=True)
class Written:
    """The digest rows one batch wrote."""

    held_ids: list[int]
    recipients: set[int]


def resolve_candidates(session: Session, candidates: Sequence[Candidate]) -> Resolved:
    """Load the batch's tasks and find who hears of each at its level."""
    resolved = Resolved()
    task_ids = sorted({candidate.task_id for candidate in candidates})
    if not task_ids:
        return resolved

    parent = aliased(Organisation)
    rows = session.execute(
        select(
            Task.id,
            Task.plan_id,
            Task.item_id,
            Task.org_id,
            Task.period_label,
            Task.due,
            Task.state,
            Organisation.short_name,
            Organisation.level,
            Organisation.parent_id,
            Organisation.path,
            parent.level,
        )
        .join(Organisation, Organisation.id == Task.org_id)
        .outerjoin(parent, parent.id == Organisation.parent_id)
        .where(Task.id.in_(task_ids))
    ).all()
    # Per task: its supervisor's level and the ministry above it.
    context: dict[int, tuple[Level | None, int]] = {}
    for row in rows:
        (task_id, plan_id, item_id, org_id, period, due, state) = row[:7]
        (org_name, org_level, parent_id, path, parent_level) = row[7:]
        resolved.tasks[task_id] = TaskRow(
            task_id,
            plan_id,
            item_id,
            org_id,
            org_name,
            Level(org_level),
            parent_id,
            period,
            due or date.min,
            State(state),
        )
        context[task_id] = (
            Level(parent_level) if parent_level else None,
            int(path.strip("/").split("/")[0]),
        )

    item_ids = {task.item_id for task in resolved.tasks.values()}
    resolved.items = {
        item.id: item
        for item in session.scalars(select(Item).where(Item.id.in_(item_ids)))
    }
    plan_ids = {task.plan_id for task in resolved.tasks.values()}
    resolved.plans = dict(
        session.execute(select(Plan.id, Plan.title).where(Plan.id.in_(plan_ids))).all()
    )

    targets: dict[tuple[int, EscalationLevel], list[tuple[int, Role]]] = {}
    for candidate in candidates:
        task = resolved.tasks.get(candidate.task_id)
        if task is None:
            continue
        parent_level, ministry_id = context[task.task_id]
        task_facts = TaskFacts(
            state=task.state,
            org_id=task.org_id,
            org_level=task.org_level,
            parent_org_id=task.parent_org_id,
            parent_org_level=parent_level,
            item_roles=tuple(resolved.items[task.item_id].roles),
        )
        targets[(candidate.task_id, candidate.level)] = _targets(
            task_facts, candidate.level, ministry_id
        )

    holders = _holders(session, targets.values())
    for key, wanted in targets.items():
        people: dict[int, None] = {}
        for pair in wanted:
            people.update(dict.fromkeys(holders.get(pair, ())))
        resolved.recipients[key] = tuple(people)
    return resolved


def _targets(
    facts: TaskFacts, level: EscalationLevel, ministry_id: int
) -> list[tuple[int, Role]]:
    """The (organisation, role) pairs that hear of a task at a level."""
    parties = parties_of(facts)
    if level.for_executors:
        return [(facts.org_id, role) for role in parties.executors]
    if level is EscalationLevel.LEVEL_1:
        return [(parties.approver_org_id, role) for role in parties.approver_roles]
    return [(ministry_id, role) for role in MINISTRY_ROLES]


def _holders(
    session: Session, wanted: Iterable[list[tuple[int, Role]]]
) -> dict[tuple[int, Role], list[int]]:
    """The active people holding each wanted (organisation, role), in one query."""
    pairs = {pair for group in wanted for pair in group}
    if not pairs:
        return {}
    org_ids = sorted({org_id for org_id, _role in pairs})
    roles = sorted({role.value for _org, role in pairs})
    found: dict[tuple[int, Role], list[int]] = defaultdict(list)
    for person_id, org_id, role in session.execute(
        select(Membership.person_id, Membership.org_id, Membership.role)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Membership.org_id.in_(org_ids),
            Membership.role.in_(roles),
            Person.active.is_(True),
        )
        .order_by(Membership.person_id)
    ):
        key = (org_id, Role(role))
        if key in pairs:
            found[key].append(person_id)
    return found


def preferences_of(
    session: Session, person_ids: Iterable[int]
) -> dict[int, MailPreference]:
    """The mail preferences of some people (those without a row get everything)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    return {
        row.person_id: row
        for row in session.scalars(
            select(MailPreference).where(MailPreference.person_id.in_(ids))
        )
    }


def write_digests(
    session: Session,
    resolved: Resolved,
    recorded: Sequence[Candidate],
    timing: DigestTiming,
) -> Written:
    """Write one digest row per recipient for the newly recorded events."""
    by_person: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in recorded:
        for person_id in resolved.recipients_of(candidate):
            by_person[person_id].append(candidate)
    preferences = preferences_of(session, by_person)

    rows: list[dict[str, Any]] = []
    daily: set[int] = set()
    for person_id, candidates in sorted(by_person.items()):
        preference = preferences.get(person_id)
        if preference is not None and preference.unsubscribed:
            candidates = [c for c in candidates if c.level.essential]
        if not candidates:
            continue
        not_before = timing.hold_until
        if preference is not None and preference.daily_digest:
            not_before = next_daily_slot(timing.moment, timing.daily_hour)
            daily.add(person_id)
        rows.append(
            {
                "recipient_id": person_id,
                "kind": DIGEST_KIND,
                "task_id": None,
                "payload": digest_payload(resolved, candidates, timing.moment),
                "created_at": timing.moment,
                "next_attempt_at": not_before,
                "attempts": 0,
            }
        )
    if not rows:
        return Written([], set())

    inserted = session.execute(
        insert(OutboxMessage).returning(
            OutboxMessage.id, OutboxMessage.recipient_id, sort_by_parameter_order=True
        ),
        rows,
    ).all()
    held = [row_id for row_id, person_id in inserted if person_id not in daily]
    return Written(held, {person_id for _id, person_id in inserted})


def digest_payload(
    resolved: Resolved, candidates: Iterable[Candidate], moment: datetime
) -> dict[str, Any]:
    """The JSON a digest row keeps: its tasks grouped by level, plan, item, org."""
    groups: dict[tuple[str, int, int, int], dict[str, Any]] = {}
    for candidate in candidates:
        task = resolved.tasks[candidate.task_id]
        key = (candidate.level.value, task.plan_id, task.item_id, task.org_id)
        group = groups.get(key)
        if group is None:
            item = resolved.items[task.item_id]
            group = groups[key] = {
                "level": candidate.level.value,
                "plan_id": task.plan_id,
                "plan": resolved.plans.get(task.plan_id, ""),
                "item_id": task.item_id,
                "item_number": item.number,
                "item_title": item.title,
                "org_id": task.org_id,
                "org": task.org_name,
                "org_level": task.org_level.value,
                "parent_org_id": task.parent_org_id,
                "tasks": [],
            }
        group["tasks"].append([task.task_id, task.due.isoformat(), task.period])
    return {"written_at": moment.isoformat(), "groups": list(groups.values())}


def release_held(session: Session, row_ids: Sequence[int], moment: datetime) -> None:
    """Let a finished sweep's digests go out now (daily ones keep their hour)."""
    for first in range(0, len(row_ids), 500):
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(row_ids[first : first + 500]),
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.attempts == 0,
            )
            .values(next_attempt_at=moment)
            .execution_options(synchronize_session=False)
        )


def next_daily_slot(moment: datetime, hour: int) -> datetime:
    """The next time the daily digest goes out after a moment, in naive UTC."""
    local = moment.replace(tzinfo=UTC).astimezone(LOCAL_ZONE)
    slot = datetime.combine(local.date(), time(hour), tzinfo=LOCAL_ZONE)
    if slot <= local:
        slot = datetime.combine(
            local.date() + timedelta(days=1), time(hour), tzinfo=LOCAL_ZONE
        )
    return slot.astimezone(UTC).replace(tzinfo=None)
