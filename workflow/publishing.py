"""From an understood plan to stored items, and from items to tasks (fan-out)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Insert,
    Integer,
    Select,
    String,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from workflow.calendar import Calendar, shift_date
from workflow.clock import utcnow
from workflow.enums import Level, Recurrence, State
from workflow.models import Item, Organisation, Plan, PlanStatus, Task
from workflow.plans import (
    ParsedItem,
    ParsedPlan,
    Party,
    Period,
    PeriodSettings,
    periods_for,
)
from workflow.plans.recurrence import TimingRule
from workflow.plans.timing import Timing

logger = logging.getLogger(__name__)

# The columns publishing fills, in the order of its INSERT … SELECT.
TASK_COLUMNS = (
    "plan_id",
    "item_id",
    "org_id",
    "period_label",
    "start",
    "due",
    "state",
    "version",
    "sent_back",
    "created_at",
    "updated_at",
)
YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


class UnplacedReason(StrEnum):
    """Why an item gets no tasks."""

    NO_LEVEL = "no_level"
    NO_ORGANISATION = "no_organisation"


@dataclass(frozen=True)
class Unplaced:
    """An item that got no tasks, and why."""

    number: str
    reason: UnplacedReason


@dataclass(frozen=True)
class PublishResult:
    """What a publication created, what already existed, and what went nowhere."""

    created: int
    existing: int
    unplaced: tuple[Unplaced, ...] = ()
    # (item number, tasks created) for every item that got tasks.
    created_by_item: tuple[tuple[str, int], ...] = ()


def party_to_dict(party: Party) -> dict[str, Any]:
    """A party as stored on an item."""
    return {
        "text": party.text,
        "role": party.role.value if party.role else None,
        "level": party.level.value if party.level else None,
        "org_code": party.org_code,
        "agreed": party.agreed,
    }


def lead_level(parties: Iterable[Party]) -> Level | None:
    """The level where tasks live: that of the first party outside agreement."""
    for party in parties:
        if party.level is not None and not party.agreed:
            return party.level
    return None


def store_plan(
    session: Session, parsed: ParsedPlan, source_name: str, heading: str = ""
) -> Plan:
    """Store a parsed plan and its items as a draft."""
    plan = Plan(
        title=parsed.title,
        heading=heading,
        school_year=parsed.school_year,
        status=PlanStatus.DRAFT,
        source_name=source_name,
    )
    session.add(plan)
    session.flush()

    by_number: dict[str, Item] = {}
    for position, parsed_item in enumerate(parsed.items):
        item = _item_of(plan, position, parsed_item)
        parent = by_number.get(parsed_item.parent or "")
        item.parent_id = parent.id if parent else None
        session.add(item)
        session.flush()
        by_number[item.number] = item
    logger.info(
        "Plan %s: stored %s items from %s", plan.id, len(by_number), source_name
    )
    return plan


def _item_of(plan: Plan, position: int, parsed: ParsedItem) -> Item:
    timing = parsed.timing
    return Item(
        plan_id=plan.id,
        number=parsed.number,
        position=position,
        title=parsed.title,
        timing_text=timing.text,
        responsible_text=", ".join(party.text for party in parsed.responsible),
        start=timing.start,
        due=timing.due,
        recurrence=timing.recurrence,
        recurrence_rule=asdict(timing.rule) if timing.rule else {},
        parties=[party_to_dict(party) for party in parsed.responsible],
        level=lead_level(parsed.responsible),
    )


def timing_of(item: Item) -> Timing:
    """Rebuild an item's understood timing from its stored fields."""
    rule = TimingRule(**item.recurrence_rule) if item.recurrence_rule else None
    return Timing(
        text=item.timing_text,
        start=item.start,
        due=item.due,
        recurrence=Recurrence(item.recurrence) if item.recurrence else None,
        rule=rule,
    )


def lead_party(item: Item) -> dict[str, Any] | None:
    """The party whose level decides where an item's tasks live."""
    return next(
        (p for p in item.parties if not p.get("agreed") and p.get("level")), None
    )


def organisation_ids(item: Item) -> Select[int] | None:
    """Select the ids of the organisations that must do an item (None: nowhere)."""
    if item.level is None:
        return None
    query = select(Organisation.id).where(Organisation.level == item.level)
    lead = lead_party(item)
    if lead and lead.get("org_code"):
        query = query.where(Organisation.code == lead["org_code"])
    return query


def count_organisations(session: Session, item: Item) -> int:
    """How many organisations must do an item."""
    ids = organisation_ids(item)
    if ids is None:
        return 0
    return session.scalar(select(func.count()).select_from(ids.subquery())) or 0


def unplaced_reason(session: Session, item: Item) -> UnplacedReason | None:
    """Why an item would get no tasks, or None when it gets some (or is a section)."""
    if item.level is None:
        if not item.parties and not item.timing_text and not item.responsible_text:
            return None
        return UnplacedReason.NO_LEVEL
    if count_organisations(session, item) == 0:
        return UnplacedReason.NO_ORGANISATION
    return None


def settings_of(plan: Plan) -> PeriodSettings:
    """The plan's working days after a quarter and after the school year."""
    return PeriodSettings(
        working_days_after_quarter=plan.working_days_after_quarter,
        working_days_after_school_year=plan.working_days_after_school_year,
    )


def publish(
    session: Session,
    plan: Plan,
    calendar: Calendar,
    settings: PeriodSettings | None = None,
) -> PublishResult:
    """Create the tasks of every item × organisation × period; safe to repeat.

    The organisations are never read into Python: each period of each item
    is one INSERT … SELECT from the organisations table, so publishing to
    40,000 schools costs a few dozen statements.
    """
    settings = settings or settings_of(plan)
    moment = utcnow()
    has_tasks = (
        session.scalar(select(Task.id).where(Task.plan_id == plan.id).limit(1))
        is not None
    )

    created = expected = 0
    unplaced: list[Unplaced] = []
    by_item: list[tuple[str, int]] = []
    for item in session.scalars(
        select(Item).where(Item.plan_id == plan.id).order_by(Item.position)
    ):
        reason = unplaced_reason(session, item)
        if reason is not None:
            unplaced.append(Unplaced(item.number, reason))
            continue
        if item.level is None:
            continue

        periods = periods_for(timing_of(item), calendar, settings)
        expected += count_organisations(session, item) * len(periods)
        item_created = insert_tasks(
            session,
            item,
            periods,
            moment,
            once_per_organisation=has_tasks and item.recurrence is None,
        )
        created += item_created
        by_item.append((item.number, item_created))

    plan.status = PlanStatus.PUBLISHED
    plan.published_at = plan.published_at or moment
    session.flush()
    logger.info("Plan %s: published, %s tasks created", plan.id, created)
    return PublishResult(
        created=created,
        existing=expected - created,
        unplaced=tuple(unplaced),
        created_by_item=tuple(by_item),
    )


def insert_tasks(
    session: Session,
    item: Item,
    periods: Iterable[Period],
    moment: datetime,
    *,
    once_per_organisation: bool = False,
) -> int:
    """Insert an item's planned tasks for some periods; returns how many were new.

    A task that exists for the same organisation and period is left alone.
    With once_per_organisation, an organisation that has any task of the item
    gets none: a single-period item whose dates (and so its period label)
    were changed after publishing must not get a second task.
    """
    targets = organisation_ids(item)
    if targets is None:
        return 0
    if once_per_organisation:
        targets = targets.where(
            ~exists().where(Task.item_id == item.id, Task.org_id == Organisation.id)
        )

    created = 0
    connection = session.connection()
    for period in periods:
        rows = targets.with_only_columns(
            literal(item.plan_id, Integer),
            literal(item.id, Integer),
            Organisation.id,
            literal(period.label[:100], String),
            literal(period.start, Date),
            literal(period.due, Date),
            literal(State.PLANNED.value, String),
            literal(1, Integer),
            literal(False, Boolean),
            literal(moment, DateTime),
            literal(moment, DateTime),
        )
        statement = _insert_ignoring_duplicates(session).from_select(
            TASK_COLUMNS, rows, include_defaults=False
        )
        # Without preserve_rowcount an INSERT's row count is lost when the
        # cursor closes on PostgreSQL (it reads -1).
        result = connection.execute(
            statement, execution_options={"preserve_rowcount": True}
        )
        created += result.rowcount
    return created


def _insert_ignoring_duplicates(session: Session) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING on the (item, org, period) key."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql_insert(Task).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite_insert(Task).on_conflict_do_nothing()
    raise NotImplementedError(f"Publishing does not support the {dialect} database.")


def rolled_over(parsed: ParsedPlan, years: int) -> ParsedPlan:
    """The same plan moved by whole years: dates, and the years in its words."""

    def shift(day: date | None) -> date | None:
        return shift_date(day, years) if day else None

    items = [
        replace(
            item,
            timing=replace(
                item.timing,
                text=shift_years(item.timing.text, years),
                start=shift(item.timing.start),
                due=shift(item.timing.due),
            ),
        )
        for item in parsed.items
    ]
    return replace(
        parsed,
        title=shift_years(parsed.title, years),
        school_year=(
            shift_years(parsed.school_year, years) if parsed.school_year else None
        ),
        items=items,
    )


def shift_years(text: str, years: int) -> str:
    """Move every year written in a text ("2021", "2021-2022") by whole years."""
    return YEAR.sub(lambda found: str(int(found.group(1)) + years), text)


class RolloverError(ValueError):
    """A plan cannot be rolled over as asked; the message says why."""


@dataclass(frozen=True)
class RolloverResult:
    """The plan in the target school year, and whether this call made it."""

    plan: Plan
    created: bool


def roll_over_plan(session: Session, plan: Plan, first_year: int) -> RolloverResult:
    """A draft copy of a stored plan in another school year: same items, new dates.

    Rolling the same plan into the same school year again returns the plan
    made the first time and creates nothing.
    """
    if not plan.school_year:
        raise RolloverError(
            f"Plan {plan.id} has no school year, so it cannot be moved to another; "
            "set its school year first."
        )
    years = first_year - int(plan.school_year[:4])
    target_year = f"{first_year}-{first_year + 1}"
    if years == 0:
        raise RolloverError(f"Plan {plan.id} is already in {target_year}.")

    earlier = session.scalars(
        select(Plan).where(
            Plan.rolled_over_from_id == plan.id, Plan.school_year == target_year
        )
    ).first()
    if earlier is not None:
        return RolloverResult(earlier, created=False)

    copy = Plan(
        title=shift_years(plan.title, years),
        heading=shift_years(plan.heading, years),
        school_year=target_year,
        status=PlanStatus.DRAFT,
        source_name=plan.source_name,
        working_days_after_quarter=plan.working_days_after_quarter,
        working_days_after_school_year=plan.working_days_after_school_year,
        rolled_over_from_id=plan.id,
    )
    session.add(copy)
    session.flush()

    new_ids: dict[int, int] = {}
    for item in session.scalars(
        select(Item).where(Item.plan_id == plan.id).order_by(Item.position)
    ):
        moved = Item(
            plan_id=copy.id,
            parent_id=new_ids.get(item.parent_id) if item.parent_id else None,
            number=item.number,
            position=item.position,
            title=item.title,
            timing_text=shift_years(item.timing_text, years),
            responsible_text=item.responsible_text,
            start=shift_date(item.start, years) if item.start else None,
            due=shift_date(item.due, years) if item.due else None,
            recurrence=item.recurrence,
            recurrence_rule=dict(item.recurrence_rule),
            parties=[dict(party) for party in item.parties],
            level=item.level,
            requires_evidence=item.requires_evidence,
        )
        session.add(moved)
        session.flush()
        new_ids[item.id] = moved.id

    logger.info(
        "Plan %s: rolled over to %s as plan %s (%s items)",
        plan.id,
        target_year,
        copy.id,
        len(new_ids),
    )
    return RolloverResult(copy, created=True)
