"""Lists of tasks for pages and the API, always inside the person's scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from workflow.approvals import approvable
from workflow.enums import Level, State
from workflow.models import Evidence, Item, Organisation, Task
from workflow.scope import scoped_tasks
from workflow.service import task_facts
from workflow.signoff import Decision, PersonFacts, decide

# How many rows the "my tasks" page reads at most while looking for tasks the
# person can act on, so that a page never scans a whole republic.
SCAN_LIMIT = 2000


@dataclass(frozen=True)
class TaskFilters:
    """Filters shared by the pages and the API."""

    state: State | None = None
    item_number: str | None = None
    org_id: int | None = None
    plan_id: int | None = None


def apply_filters(query: Select[Task], filters: TaskFilters) -> Select[Task]:
    """Narrow a scoped task query by the filters that are set."""
    if filters.state is not None:
        query = query.where(Task.state == filters.state)
    if filters.item_number:
        query = query.where(Item.number == filters.item_number)
    if filters.org_id is not None:
        query = query.where(Task.org_id == filters.org_id)
    if filters.plan_id is not None:
        query = query.where(Task.plan_id == filters.plan_id)
    return query


def visible_tasks(
    session: Session,
    person: PersonFacts,
    filters: TaskFilters,
    *,
    after_id: int | None = None,
    limit: int = 50,
) -> list[Task]:
    """Tasks the person may see, by id, one page after the cursor `after_id`."""
    query = apply_filters(scoped_tasks(person), filters)
    if after_id is not None:
        query = query.where(Task.id > after_id)
    return list(session.scalars(query.order_by(Task.id).limit(limit)))


def actionable_tasks(
    session: Session, person: PersonFacts, filters: TaskFilters, *, limit: int = 100
) -> list[tuple[Task, list[Decision]]]:
    """Tasks where the person may fire a trigger now, the soonest due first."""
    query = apply_filters(scoped_tasks(person), filters)
    query = query.where(_may_act(person)).order_by(
        Task.due.is_(None), Task.due, Task.id
    )
    tasks = list(session.scalars(query.limit(SCAN_LIMIT)))
    decisions = decisions_for(session, person, tasks)

    found: list[tuple[Task, list[Decision]]] = []
    for task in tasks:
        allowed = [d for d in decisions[task.id] if d.allowed]
        if allowed:
            found.append((task, decisions[task.id]))
        if len(found) >= limit:
            break
    return found


def decisions_for(
    session: Session, person: PersonFacts, tasks: Sequence[Task]
) -> dict[int, list[Decision]]:
    """Decide every trigger for many tasks with two extra queries at most."""
    if not tasks:
        return {}
    parent_ids = {t.organisation.parent_id for t in tasks} - {None}
    parent_levels: dict[int, Level] = {}
    if parent_ids:
        rows = session.execute(
            select(Organisation.id, Organisation.level).where(
                Organisation.id.in_(parent_ids)
            )
        )
        parent_levels = {org_id: Level(level) for org_id, level in rows}

    needing = [t.id for t in tasks if t.item.requires_evidence]
    evidence: dict[int, int] = {}
    if needing:
        counts = session.execute(
            select(Evidence.task_id, func.count())
            .where(Evidence.task_id.in_(needing))
            .group_by(Evidence.task_id)
        )
        evidence = {task_id: count for task_id, count in counts}

    result: dict[int, list[Decision]] = {}
    for task in tasks:
        parent_id = task.organisation.parent_id
        parent_level = parent_levels.get(parent_id) if parent_id else None
        facts = task_facts(task, parent_level, evidence.get(task.id, 0))
        result[task.id] = decide(person, facts)
    return result


def _may_act(person: PersonFacts) -> ColumnElement[bool]:
    """A superset, in SQL, of the tasks where the person may fire something.

    Executors act in their own organisations (or those of the people they
    stand in for); approvals use the approval queue's exact condition.
    """
    acting_orgs = set(person.roles_by_org)
    for roles_by_org in person.stand_ins.values():
        acting_orgs.update(roles_by_org)
    if not acting_orgs:
        return false()

    return or_(
        and_(
            Task.org_id.in_(sorted(acting_orgs)),
            Task.state.in_([State.PLANNED, State.IN_PROGRESS]),
        ),
        approvable(person),
    )
