"""The progress matrix: items down, districts (or schools) across, done of total.

Each cell counts the tasks of one item in one unit: a district with its
schools across the republic; a school (and the district's own tasks) inside
one district; the ministry and each agency stand for themselves. The counts
come from one aggregate query with the board's own conditions, so a cell's
numbers are exactly the cards the board shows behind its link.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.orm import Session

from workflow.board_filters import BoardFilters, conditions, scope_orgs
from workflow.enums import HEAD_ROLES, Level, Role, State, TriggerName
from workflow.models import AuditRecord, Item, Membership, Organisation, Person, Task
from workflow.signoff import APPROVER_ROLES, PersonFacts


@dataclass
class Cell:
    """Tasks of one item in one unit: how many, how many approved, how many late."""

    total: int = 0
    done: int = 0
    overdue: int = 0

    @property
    def label(self) -> str:
        """ "done / total", with the overdue ones after a plus sign when there are."""
        text = f"{self.done} / {self.total}"
        return f"{text} (+{self.overdue})" if self.overdue else text

    @property
    def hue(self) -> int:
        """A colour from red (0) to green (120): the share done, less the share late."""
        if not self.total:
            return 120
        share = (self.done - self.overdue) / self.total
        return round(120 * max(0.0, share))

    def add(self, other: Cell) -> None:
        """Add another cell's counts to this one."""
        self.total += other.total
        self.done += other.done
        self.overdue += other.overdue


@dataclass(frozen=True)
class Unit:
    """One column: a district, a school, the ministry or an agency.

    `by_district` says which board filter selects exactly its tasks: a
    district with its schools, or one organisation alone.
    """

    key: int
    name: str
    level: Level
    by_district: bool


@dataclass
class MatrixRow:
    """One item across the units."""

    item_id: int
    number: str
    title: str
    cells: dict[int, Cell] = field(default_factory=dict)
    total: Cell = field(default_factory=Cell)


@dataclass(frozen=True)
class Matrix:
    """The whole matrix, with its totals per unit and overall."""

    units: list[Unit]
    rows: list[MatrixRow]
    totals: dict[int, Cell]
    total: Cell


def progress_matrix(
    session: Session, person: PersonFacts, filters: BoardFilters, today: date
) -> Matrix:
    """Count the tasks the filters select per item and unit (district or school)."""
    orgs = scope_orgs(session, person, filters)
    where = conditions(session, person, filters, today, orgs)
    across_districts = orgs.count(Level.DISTRICT) > 1
    approved = cast(Task.state == State.APPROVED, Integer)
    late = cast(and_(Task.due < today, Task.state != State.APPROVED), Integer)
    per_org = (
        select(
            Task.item_id,
            Task.org_id,
            func.count().label("tasks"),
            func.sum(approved).label("done"),
            func.sum(late).label("late"),
        )
        .where(*where)
        .group_by(Task.item_id, Task.org_id)
        .subquery()
    )
    # Across districts a school's tasks count in its district's column.
    unit = (
        case(
            (Organisation.level == Level.SCHOOL, Organisation.parent_id),
            else_=Organisation.id,
        )
        if across_districts
        else Organisation.id
    )
    rows = session.execute(
        select(
            per_org.c.item_id,
            unit,
            cast(func.sum(per_org.c.tasks), Integer),
            cast(func.sum(per_org.c.done), Integer),
            cast(func.sum(per_org.c.late), Integer),
        )
        .join(Organisation, Organisation.id == per_org.c.org_id)
        .group_by(per_org.c.item_id, unit)
    ).all()

    units = _units(session, {row[1] for row in rows}, across_districts)
    lines = {
        item_id: MatrixRow(item_id, number, title)
        for item_id, number, title in session.execute(
            select(Item.id, Item.number, Item.title)
            .where(Item.id.in_({row[0] for row in rows} or {-1}))
            .order_by(Item.plan_id.desc(), Item.position)
        ).all()
    }
    totals = {found.key: Cell() for found in units}
    total = Cell()
    for item_id, unit_id, tasks, done, late_count in rows:
        cell = Cell(tasks, done or 0, late_count or 0)
        line = lines[item_id]
        line.cells[unit_id] = cell
        line.total.add(cell)
        totals[unit_id].add(cell)
        total.add(cell)
    return Matrix(units, list(lines.values()), totals, total)


_LEVEL_ORDER = {Level.MINISTRY: 0, Level.AGENCY: 1, Level.DISTRICT: 2, Level.SCHOOL: 3}


def _units(session: Session, ids: set[int], across_districts: bool) -> list[Unit]:
    """The columns: districts (or schools) by name, after the ministry and agencies."""
    found = [
        Unit(
            org_id,
            name,
            Level(level),
            by_district=across_districts and Level(level) is Level.DISTRICT,
        )
        for org_id, name, level in session.execute(
            select(Organisation.id, Organisation.short_name, Organisation.level).where(
                Organisation.id.in_(ids or {-1})
            )
        ).all()
    ]
    found.sort(key=lambda unit: (_LEVEL_ORDER[unit.level], unit.name))
    return found


@dataclass(frozen=True)
class BurnUpPoint:
    """On one day: how many tasks were due by then, and how many were approved."""

    day: date
    due: int
    approved: int


def burn_up(
    session: Session, person: PersonFacts, filters: BoardFilters, today: date
) -> list[BurnUpPoint]:
    """Tasks due vs approved over time, a point a week from the first due date."""
    where = conditions(session, person, filters, today)
    due_days = session.execute(
        select(Task.due, func.count())
        .where(*where, Task.due.is_not(None))
        .group_by(Task.due)
    ).all()
    if not due_days:
        return []
    # An approved task counts from its last approval (it may have been reopened).
    approvals = session.execute(
        select(AuditRecord.task_id, func.max(AuditRecord.created_at))
        .join(Task, Task.id == AuditRecord.task_id)
        .where(
            *where,
            Task.state == State.APPROVED,
            AuditRecord.trigger_name == TriggerName.APPROVE.value,
        )
        .group_by(AuditRecord.task_id)
    ).all()
    approved_days: Counter[date] = Counter(moment.date() for _task, moment in approvals)
    due_counts: Counter[date] = Counter()
    for day, count in due_days:
        if day is not None:
            due_counts[day] += count

    first = min(due_counts)
    last = max(max(due_counts), today)
    days = [
        first + timedelta(days=7 * week) for week in range((last - first).days // 7 + 1)
    ]
    # Today is a point of its own, so the chart reads today's numbers exactly.
    days = sorted({*days, last, *([today] if first <= today else [])})
    points: list[BurnUpPoint] = []
    for day in days:
        points.append(
            BurnUpPoint(
                day,
                sum(n for found, n in due_counts.items() if found <= day),
                sum(n for found, n in approved_days.items() if found <= day),
            )
        )
    return points


@dataclass(frozen=True)
class Behind:
    """An organisation with overdue tasks, or one whose approvals wait."""

    org_id: int
    name: str
    count: int
    since: date | datetime | None
    people: tuple[str, ...] = ()


BEHIND_LIMIT = 10


def most_overdue(
    session: Session, person: PersonFacts, filters: BoardFilters, today: date
) -> list[Behind]:
    """The organisations with the most overdue tasks, with the oldest due date."""
    late = replace(filters, overdue=True)
    rows = session.execute(
        select(Task.org_id, Organisation.short_name, func.count(), func.min(Task.due))
        .join(Organisation, Organisation.id == Task.org_id)
        .where(*conditions(session, person, late, today))
        .group_by(Task.org_id, Organisation.short_name)
        .order_by(func.count().desc(), Organisation.short_name)
        .limit(BEHIND_LIMIT)
    ).all()
    return [Behind(org_id, name, count, oldest) for org_id, name, count, oldest in rows]


def waiting_approvals(
    session: Session, person: PersonFacts, filters: BoardFilters, today: date
) -> list[Behind]:
    """The approvers whose submissions have waited longest: organisation and people."""
    where = conditions(session, person, filters, today)
    rows = session.execute(
        select(Organisation.parent_id, func.count(), func.min(Task.submitted_at))
        .join(Organisation, Organisation.id == Task.org_id)
        .where(
            *where, Task.state == State.SUBMITTED, Organisation.parent_id.is_not(None)
        )
        .group_by(Organisation.parent_id)
        .order_by(func.min(Task.submitted_at), Organisation.parent_id)
        .limit(BEHIND_LIMIT)
    ).all()
    ids = [parent for parent, _count, _since in rows if parent is not None]
    orgs = {
        org_id: (name, Level(level))
        for org_id, name, level in session.execute(
            select(Organisation.id, Organisation.short_name, Organisation.level).where(
                Organisation.id.in_(ids or [-1])
            )
        ).all()
    }
    people: dict[int, list[str]] = {}
    for org_id, role, name in session.execute(
        select(Membership.org_id, Membership.role, Person.name)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.org_id.in_(ids or [-1]), Person.active.is_(True))
        .order_by(Person.name)
    ).all():
        level = orgs[org_id][1]
        if Role(role) is APPROVER_ROLES.get(level, HEAD_ROLES[level]):
            people.setdefault(org_id, []).append(name)
    return [
        Behind(parent, orgs[parent][0], count, since, tuple(people.get(parent, [])))
        for parent, count, since in rows
        if parent is not None
    ]


@dataclass(frozen=True)
class Activity:
    """When an organisation's people last signed in, and when they last acted."""

    org_id: int
    name: str
    level: Level
    last_login: datetime | None
    last_action: datetime | None

    def idle_since(self, now: datetime, days: int) -> bool:
        """Whether none of its people has acted for `days` days (or ever)."""
        return self.last_action is None or self.last_action < now - timedelta(days=days)


def activity(
    session: Session, person: PersonFacts, filters: BoardFilters
) -> list[Activity]:
    """Each organisation in scope, the quietest first: last sign-in and last action."""
    orgs = scope_orgs(session, person, filters)
    ids = orgs.ids or [-1]
    logins = dict(
        session.execute(
            select(Membership.org_id, func.max(Person.last_login_at))
            .join(Person, Person.id == Membership.person_id)
            .where(Membership.org_id.in_(ids))
            .group_by(Membership.org_id)
        ).all()
    )
    actions = dict(
        session.execute(
            select(Membership.org_id, func.max(AuditRecord.created_at))
            .join(AuditRecord, AuditRecord.actor_id == Membership.person_id)
            .where(Membership.org_id.in_(ids))
            .group_by(Membership.org_id)
        ).all()
    )
    names = dict(
        session.execute(
            select(Organisation.id, Organisation.short_name).where(
                Organisation.id.in_(ids)
            )
        ).all()
    )
    found = [
        Activity(
            org_id,
            names[org_id],
            orgs.levels[org_id],
            logins.get(org_id),
            actions.get(org_id),
        )
        for org_id in orgs.ids
    ]
    found.sort(
        key=lambda row: (
            row.last_action is not None,
            row.last_action or datetime.min,
            row.name,
        )
    )
    return found
