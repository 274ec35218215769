"""The rows of a progress report: the tasks the board's filters select, signed off.

Exports (XLSX) and the printable report (PDF) read the same rows, so the two
never disagree. The tasks come through `workflow.scope.scoped_tasks` with the
board's own conditions: a report holds nothing a person could not see on the
board with the same filters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from workflow.board_filters import BoardFilters, conditions
from workflow.enums import Level, State, TriggerName
from workflow.models import AuditRecord, Item, Organisation, Person, Plan, Task
from workflow.scope import in_scope, scoped_tasks
from workflow.signoff import PersonFacts

# Known limitation: a report holds at most this many tasks (the first ones by
# plan, item and organisation); `Report.truncated` says when more matched.
REPORT_ROW_LIMIT = 50_000
_CHUNK = 900


@dataclass(frozen=True)
class ReportRow:
    """One task as a report prints it."""

    task_id: int
    plan_id: int
    item_number: str
    item_title: str
    organisation: str
    district: str
    period: str
    start: date | None
    due: date | None
    state: State
    overdue: bool
    submitted_by: str
    submitted_at: datetime | None
    approved_by: str
    approved_at: datetime | None


@dataclass(frozen=True)
class ReportItem:
    """One item of a plan, with its tasks in the report (possibly none)."""

    item_id: int
    plan_id: int
    number: str
    title: str


@dataclass(frozen=True)
class Report:
    """What a report shows: plans, their items, and the tasks' rows."""

    plans: dict[int, str]
    items: list[ReportItem]
    rows: list[ReportRow]
    truncated: bool


def build_report(
    session: Session,
    person: PersonFacts,
    filters: BoardFilters,
    today: date,
    limit: int = REPORT_ROW_LIMIT,
) -> Report:
    """The tasks in the person's scope that the filters select, with their sign-off."""
    where = conditions(session, person, filters, today)
    query = (
        scoped_tasks(person)
        .where(*where)
        .order_by(Task.plan_id, Item.position, Organisation.path, Task.start, Task.id)
        .limit(limit + 1)
    )
    tasks = list(session.scalars(query))
    truncated = len(tasks) > limit
    tasks = tasks[:limit]

    parents = _org_names(session, {t.organisation.parent_id for t in tasks})
    submitters = _person_names(session, {t.submitted_by_id for t in tasks})
    approvals = _approvals(session, [t.id for t in tasks if t.state is State.APPROVED])
    rows = [
        _row(task, today, parents, submitters, approvals.get(task.id)) for task in tasks
    ]
    plans, items = _plans_and_items(session, filters, {t.plan_id for t in tasks})
    return Report(plans, items, rows, truncated)


def _row(
    task: Task,
    today: date,
    parents: dict[int, str],
    submitters: dict[int, str],
    approval: tuple[str, datetime] | None,
) -> ReportRow:
    """One task's row; a submission counts only while it stands."""
    signed = task.state in (State.SUBMITTED, State.APPROVED)
    org = task.organisation
    district = org.short_name if org.level is Level.DISTRICT else ""
    if org.level is Level.SCHOOL and org.parent_id is not None:
        district = parents.get(org.parent_id, "")
    return ReportRow(
        task_id=task.id,
        plan_id=task.plan_id,
        item_number=task.item.number,
        item_title=task.item.title,
        organisation=org.short_name,
        district=district,
        period=task.period_label,
        start=task.start,
        due=task.due,
        state=State(task.state),
        overdue=(
            task.due is not None and task.due < today and task.state != State.APPROVED
        ),
        submitted_by=(
            submitters.get(task.submitted_by_id, "")
            if signed and task.submitted_by_id
            else ""
        ),
        submitted_at=task.submitted_at if signed else None,
        approved_by=approval[0] if approval else "",
        approved_at=approval[1] if approval else None,
    )


def _org_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Organisations' short names by id."""
    return _names(session, Organisation.id, Organisation.short_name, ids)


def _person_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """People's names by id."""
    return _names(session, Person.id, Person.name, ids)


def _names(
    session: Session,
    id_column: InstrumentedAttribute[int],
    name_column: InstrumentedAttribute[str],
    ids: Iterable[int | None],
) -> dict[int, str]:
    """Names by id, read in chunks that every database accepts in one IN list."""
    wanted = sorted({found for found in ids if found is not None})
    names: dict[int, str] = {}
    for chunk in _chunks(wanted):
        rows = session.execute(
            select(id_column, name_column).where(id_column.in_(chunk))
        ).all()
        names.update({row_id: name for row_id, name in rows})
    return names


def _approvals(
    session: Session, task_ids: Sequence[int]
) -> dict[int, tuple[str, datetime]]:
    """Who approved each approved task and when: its last approve in the audit trail."""
    found: dict[int, tuple[str, datetime]] = {}
    for chunk in _chunks(task_ids):
        rows = session.execute(
            select(AuditRecord.task_id, Person.name, AuditRecord.created_at)
            .join(Person, Person.id == AuditRecord.actor_id)
            .where(
                AuditRecord.task_id.in_(chunk),
                AuditRecord.trigger_name == TriggerName.APPROVE.value,
            )
            .order_by(AuditRecord.id)
        ).all()
        for task_id, name, created_at in rows:
            found[task_id] = (name, created_at)
    return found


def _plans_and_items(
    session: Session, filters: BoardFilters, plan_ids: set[int]
) -> tuple[dict[int, str], list[ReportItem]]:
    """The plans shown and every item of them, so an item with no task still prints."""
    if filters.plan_id is not None:
        plan_ids = plan_ids | {filters.plan_id}
    wanted = sorted(plan_ids)
    plans = {
        plan_id: title
        for plan_id, title in session.execute(
            select(Plan.id, Plan.title).where(Plan.id.in_(wanted or [-1]))
        ).all()
    }
    query = (
        select(Item.id, Item.plan_id, Item.number, Item.title)
        .where(Item.plan_id.in_(wanted or [-1]))
        .order_by(Item.plan_id, Item.position)
    )
    if filters.item_id is not None:
        query = query.where(Item.id == filters.item_id)
    items = [
        ReportItem(item_id, plan_id, number, title)
        for item_id, plan_id, number, title in session.execute(query).all()
    ]
    return plans, items


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def scope_title(session: Session, person: PersonFacts, filters: BoardFilters) -> str:
    """Whose report it is: the school or district chosen, or the person's own units."""
    chosen = filters.school_id or filters.district_id
    query = select(Organisation.name).where(in_scope(person, Organisation.path))
    if chosen is not None:
        name = session.scalar(query.where(Organisation.id == chosen))
        if name:
            return name
    # The person's top organisations: the shortest paths of their scope.
    names = session.scalars(
        query.where(Organisation.path.in_(person.org_paths or ("",))).order_by(
            Organisation.name
        )
    ).all()
    return ", ".join(names)
