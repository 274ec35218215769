"""From an understood plan to stored items, and from items to tasks (fan-out)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Insert, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from workflow.calendar import Calendar, shift_date
from workflow.clock import utcnow
from workflow.enums import Level, Recurrence, State
from workflow.models import Item, Organisation, Plan, PlanStatus, Task
from workflow.plans import ParsedItem, ParsedPlan, Party, PeriodSettings, periods_for
from workflow.plans.recurrence import TimingRule
from workflow.plans.timing import Timing

logger = logging.getLogger(__name__)

# Rows per INSERT statement: large enough to be fast, small enough for
# SQLite's limit on bound parameters.
INSERT_BATCH = 500
YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


@dataclass(frozen=True)
class PublishResult:
    """What a publication created, and what already existed."""

    created: int
    existing: int


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


def organisations_for(session: Session, item: Item) -> list[tuple[int, str]]:
    """The (id, path) of every organisation that must do an item."""
    if item.level is None:
        return []
    query = select(Organisation.id, Organisation.path).where(
        Organisation.level == item.level
    )
    lead = next(
        (p for p in item.parties if not p.get("agreed") and p.get("level")), None
    )
    if lead and lead.get("org_code"):
        query = query.where(Organisation.code == lead["org_code"])
    return [
        (org_id, path)
        for org_id, path in session.execute(query.order_by(Organisation.id))
    ]


def publish(
    session: Session,
    plan: Plan,
    calendar: Calendar,
    settings: PeriodSettings | None = None,
) -> PublishResult:
    """Create the tasks of every item × organisation × period; safe to repeat."""
    before = session.scalar(select(func.count()).where(Task.plan_id == plan.id)) or 0
    moment = utcnow()
    rows: list[dict[str, Any]] = []
    for item in session.scalars(
        select(Item).where(Item.plan_id == plan.id).order_by(Item.position)
    ):
        organisations = organisations_for(session, item)
        if not organisations:
            continue
        for period in periods_for(timing_of(item), calendar, settings):
            for org_id, _path in organisations:
                rows.append(
                    {
                        "plan_id": plan.id,
                        "item_id": item.id,
                        "org_id": org_id,
                        "period_label": period.label[:100],
                        "start": period.start,
                        "due": period.due,
                        "state": State.PLANNED.value,
                        "version": 1,
                        "sent_back": False,
                        "created_at": moment,
                        "updated_at": moment,
                    }
                )

    statement = _insert_ignoring_duplicates(session)
    for first in range(0, len(rows), INSERT_BATCH):
        session.execute(statement, rows[first : first + INSERT_BATCH])

    plan.status = PlanStatus.PUBLISHED
    plan.published_at = plan.published_at or moment
    session.flush()
    after = session.scalar(select(func.count()).where(Task.plan_id == plan.id)) or 0
    created = after - before
    logger.info("Plan %s: published, %s tasks created", plan.id, created)
    return PublishResult(created=created, existing=len(rows) - created)


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

    def shift_years(text: str) -> str:
        return YEAR.sub(lambda found: str(int(found.group(1)) + years), text)

    items = [
        replace(
            item,
            timing=replace(
                item.timing,
                text=shift_years(item.timing.text),
                start=shift(item.timing.start),
                due=shift(item.timing.due),
            ),
        )
        for item in parsed.items
    ]
    return replace(
        parsed,
        title=shift_years(parsed.title),
        school_year=shift_years(parsed.school_year) if parsed.school_year else None,
        items=items,
    )
