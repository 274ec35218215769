"""The board at ministry scope: items with counts per state and per organisation.

Thousands of cards tell a ministry nothing; it opens the board grouped by
item, each item with its counts per state and per district (or, once a
district is chosen, per school), and drills down from there. The counts come
from one aggregate query. This module also lists what the board's filters
offer (plans, items, districts, schools, periods), each from one query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.orm import Session

from workflow.board_filters import BoardFilters, conditions, scope_orgs
from workflow.enums import Level, State
from workflow.models import Item, Organisation, Plan, PlanStatus, Task
from workflow.scope import in_scope
from workflow.signoff import PersonFacts

PERIOD_OPTIONS_LIMIT = 200
SCHOOL_OPTIONS_LIMIT = 400


@dataclass
class Breakdown:
    """One organisation's counts per state within an item (or in total)."""

    org_id: int | None
    name: str
    counts: dict[State, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Tasks of the organisation across every state."""
        return sum(self.counts.values())


@dataclass
class ItemSummary:
    """One item: its counts per state, and per organisation of the breakdown."""

    item_id: int
    number: str
    title: str
    counts: dict[State, int] = field(default_factory=dict)
    rows: list[Breakdown] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Tasks of the item across every state."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class Summary:
    """The grouped board: items, and the level the breakdown is by."""

    items: list[ItemSummary]
    by_level: Level
    counts: dict[State, int]

    @property
    def total(self) -> int:
        """Every task the filters select."""
        return sum(self.counts.values())


def summarise(
    session: Session, person: PersonFacts, filters: BoardFilters, today: date
) -> Summary:
    """Counts per item, state and district (or school, inside a district)."""
    orgs = scope_orgs(session, person, filters)
    where = conditions(session, person, filters, today, orgs)
    # Count per (item, organisation, state) from the tasks' indexes first, then
    # fold organisations into their district: the join touches one row per
    # organisation and item, not one per task.
    per_org = (
        select(Task.item_id, Task.org_id, Task.state, func.count().label("tasks"))
        .where(*where)
        .group_by(Task.item_id, Task.org_id, Task.state)
        .subquery()
    )
    # Within one district (chosen, or all a person sees) the breakdown is by
    # school; across districts, by district.
    if orgs.count(Level.DISTRICT) <= 1:
        by_level = Level.SCHOOL
        unit: Any = per_org.c.org_id
    else:
        by_level = Level.DISTRICT
        unit = case(
            (Organisation.level == Level.SCHOOL, Organisation.parent_id),
            (Organisation.level == Level.DISTRICT, Organisation.id),
            else_=None,
        )
    rows = session.execute(
        select(
            per_org.c.item_id,
            unit,
            per_org.c.state,
            cast(func.sum(per_org.c.tasks), Integer),
        )
        .join(Organisation, Organisation.id == per_org.c.org_id)
        .group_by(per_org.c.item_id, unit, per_org.c.state)
    ).all()
    item_ids = {row[0] for row in rows}
    org_ids = {row[1] for row in rows if row[1] is not None}
    names = _names(session, org_ids)

    items = {
        item_id: ItemSummary(item_id, number, title)
        for item_id, number, title in session.execute(
            select(Item.id, Item.number, Item.title)
            .where(Item.id.in_(item_ids or {-1}))
            .order_by(Item.plan_id.desc(), Item.position)
        ).all()
    }
    totals: dict[State, int] = dict.fromkeys(State, 0)
    breakdowns: dict[tuple[int, int | None], Breakdown] = {}
    for item_id, org_id, state_value, count in rows:
        state = State(state_value)
        summary = items[item_id]
        summary.counts[state] = summary.counts.get(state, 0) + count
        totals[state] += count
        key = (item_id, org_id)
        if key not in breakdowns:
            breakdowns[key] = Breakdown(org_id, names.get(org_id, ""))
            summary.rows.append(breakdowns[key])
        breakdowns[key].counts[state] = count

    for summary in items.values():
        # Organisations by name; the ministry's and agencies' own tasks last.
        summary.rows.sort(key=lambda row: (row.org_id is None, row.name))
    return Summary(list(items.values()), by_level, totals)


def _names(session: Session, org_ids: set[int]) -> dict[int | None, str]:
    if not org_ids:
        return {}
    rows = session.execute(
        select(Organisation.id, Organisation.short_name).where(
            Organisation.id.in_(org_ids)
        )
    ).all()
    return {org_id: name for org_id, name in rows}


@dataclass(frozen=True)
class Option:
    """One choice of a filter."""

    value: str
    label: str


@dataclass(frozen=True)
class FilterOptions:
    """What each of the board's filters offers to this person."""

    plans: list[Option]
    items: list[Option]
    districts: list[Option]
    schools: list[Option]
    periods: list[Option]


def filter_options(
    session: Session, person: PersonFacts, filters: BoardFilters
) -> FilterOptions:
    """Plans, items, districts and schools in scope, and the plan's periods."""
    plans = [
        Option(str(plan_id), f"{title} ({year})" if year else title)
        for plan_id, title, year in session.execute(
            select(Plan.id, Plan.title, Plan.school_year)
            .where(Plan.status == PlanStatus.PUBLISHED)
            .order_by(Plan.id.desc())
        ).all()
    ]

    item_query = select(Item.id, Item.number, Item.title).order_by(
        Item.plan_id.desc(), Item.position
    )
    if filters.plan_id is not None:
        item_query = item_query.where(Item.plan_id == filters.plan_id)
    items = [
        Option(str(item_id), f"{number} {title}")
        for item_id, number, title in session.execute(item_query.limit(500)).all()
    ]

    units = session.execute(
        select(Organisation.id, Organisation.short_name, Organisation.level)
        .where(
            in_scope(person, Organisation.path),
            Organisation.level == Level.DISTRICT,
        )
        .order_by(Organisation.short_name)
    ).all()
    districts = [Option(str(org_id), name) for org_id, name, _level in units]

    schools = _school_options(
        session, person, filters, [int(d.value) for d in districts]
    )
    periods = _period_options(session, filters)
    return FilterOptions(plans, items, districts, schools, periods)


def _school_options(
    session: Session,
    person: PersonFacts,
    filters: BoardFilters,
    district_ids: Sequence[int],
) -> list[Option]:
    """Schools of the chosen district, or of the one district a person sees."""
    query = select(Organisation.id, Organisation.short_name).where(
        in_scope(person, Organisation.path), Organisation.level == Level.SCHOOL
    )
    if filters.district_id is not None:
        query = query.where(Organisation.parent_id == filters.district_id)
    elif len(district_ids) > 1:
        # A republic's 150 schools in one list help nobody: choose a district.
        return []
    rows = session.execute(
        query.order_by(Organisation.short_name).limit(SCHOOL_OPTIONS_LIMIT)
    ).all()
    return [Option(str(org_id), name) for org_id, name in rows]


def _period_options(session: Session, filters: BoardFilters) -> list[Option]:
    """The periods of the chosen plan (and item), in the order they start."""
    if filters.plan_id is None and filters.item_id is None:
        return []
    query = select(Task.period_label, func.min(Task.start))
    if filters.plan_id is not None:
        query = query.where(Task.plan_id == filters.plan_id)
    if filters.item_id is not None:
        query = query.where(Task.item_id == filters.item_id)
    rows = session.execute(
        query.group_by(Task.period_label)
        .order_by(func.min(Task.start), Task.period_label)
        .limit(PERIOD_OPTIONS_LIMIT)
    ).all()
    return [Option(label, label) for label, _start in rows]
