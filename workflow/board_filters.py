"""What the board shows: its filters, the organisations in scope, "needs my action".

The board's task queries say their scope as `org_id IN (...)`: the
organisations come first from the person's scope (`workflow.scope.in_scope`)
in one query, which lets the database answer each column from an index
whatever the size of the rest of the table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session, load_only

from workflow.enums import HEAD_ROLES, ROLE_LEVELS, Level, Role, State
from workflow.models import Item, Organisation, Plan, PlanStatus, Task
from workflow.scope import in_scope
from workflow.signoff import APPROVER_ROLES, PersonFacts


@dataclass(frozen=True)
class BoardFilters:
    """What the board shows; every field comes from the URL."""

    plan_id: int | None = None
    item_id: int | None = None
    district_id: int | None = None
    school_id: int | None = None
    period: str | None = None
    overdue: bool = False
    mine: bool = False


def latest_plan_id(session: Session) -> int | None:
    """The most recent published plan: the one the board opens on."""
    return session.scalar(
        select(Plan.id)
        .where(Plan.status == PlanStatus.PUBLISHED)
        .order_by(Plan.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class ScopeOrgs:
    """The organisations whose tasks the board shows, with their parents."""

    parent_of: Mapping[int, int | None]
    levels: Mapping[int, Level] = field(default_factory=dict)

    @property
    def ids(self) -> list[int]:
        """The organisations' ids, in order."""
        return sorted(self.parent_of)

    def children_of(self, org_id: int) -> list[int]:
        """The organisations directly under one organisation."""
        return [child for child, parent in self.parent_of.items() if parent == org_id]

    def count(self, level: Level) -> int:
        """How many organisations of one level there are."""
        return sum(1 for found in self.levels.values() if found is level)


def scope_orgs(
    session: Session, person: PersonFacts, filters: BoardFilters
) -> ScopeOrgs:
    """The organisations in the person's scope that the filters keep, in one query.

    Listing them first lets every task query say `org_id IN (...)`, which the
    database answers from an index whatever the size of the rest of the table.
    """
    query = select(Organisation.id, Organisation.parent_id, Organisation.level).where(
        in_scope(person, Organisation.path)
    )
    if filters.district_id is not None:
        query = query.where(
            or_(
                Organisation.id == filters.district_id,
                Organisation.parent_id == filters.district_id,
            )
        )
    if filters.school_id is not None:
        query = query.where(Organisation.id == filters.school_id)
    rows = session.execute(query).all()
    return ScopeOrgs(
        {org_id: parent for org_id, parent, _level in rows},
        {org_id: Level(level) for org_id, _parent, level in rows},
    )


def conditions(
    session: Session,
    person: PersonFacts,
    filters: BoardFilters,
    today: date,
    orgs: ScopeOrgs | None = None,
) -> list[ColumnElement[bool]]:
    """The WHERE conditions on `Task` of the person's scope and the filters.

    The scope comes from `scope_orgs` (one query); the "needs my action"
    filter reads the items' parties (one more) to say it exactly in SQL.
    """
    if orgs is None:
        orgs = scope_orgs(session, person, filters)
    found: list[ColumnElement[bool]] = [
        Task.org_id.in_(orgs.ids) if orgs.ids else false()
    ]
    if filters.plan_id is not None:
        found.append(Task.plan_id == filters.plan_id)
    if filters.item_id is not None:
        found.append(Task.item_id == filters.item_id)
    if filters.period:
        found.append(Task.period_label == filters.period)
    if filters.overdue:
        found.append(and_(Task.due < today, Task.state != State.APPROVED))
    if filters.mine:
        found.append(needs_action_condition(session, person, filters, orgs))
    return found


def needs_action_condition(
    session: Session, person: PersonFacts, filters: BoardFilters, orgs: ScopeOrgs
) -> ColumnElement[bool]:
    """`needs_action` said in SQL: the person is the one to start, submit or approve.

    Which roles execute and lead depends on each item's parties, so the items
    (of the plan shown, or of every plan) are read once and their ids listed.
    """
    query = select(Item).options(load_only(Item.id, Item.parties))
    if filters.plan_id is not None:
        query = query.where(Item.plan_id == filters.plan_id)
    items = list(session.scalars(query))

    identities: list[tuple[int, Mapping[int, frozenset[Role]]]] = [
        (person.person_id, person.roles_by_org),
        *person.stand_ins.items(),
    ]
    found: list[ColumnElement[bool]] = []
    for identity, roles_by_org in identities:
        not_theirs = or_(
            Task.submitted_by_id.is_(None),
            Task.submitted_by_id.not_in({identity, person.person_id}),
        )
        for org_id, roles in roles_by_org.items():
            found.extend(_actions_in(org_id, roles, items, not_theirs, orgs))
    return or_(false(), *found)


def _actions_in(
    org_id: int,
    roles: frozenset[Role],
    items: Sequence[Item],
    not_theirs: ColumnElement[bool],
    orgs: ScopeOrgs,
) -> list[ColumnElement[bool]]:
    """The tasks where holding `roles` in one organisation means acting next."""
    if not roles:
        return []
    level = ROLE_LEVELS[next(iter(roles))]
    head = HEAD_ROLES[level]
    execute_ids: list[int] = []
    lead_ids: list[int] = []
    for item in items:
        named_here = [role for role in item.roles if ROLE_LEVELS[role] is level]
        if roles & set(named_here):
            execute_ids.append(item.id)
        if roles & set(named_here[:1]):
            lead_ids.append(item.id)

    def by_item(ids: list[int]) -> ColumnElement[bool]:
        return true() if head in roles else Task.item_id.in_(ids or [-1])

    found: list[ColumnElement[bool]] = [
        and_(
            Task.org_id == org_id,
            or_(
                and_(Task.state == State.PLANNED, by_item(execute_ids)),
                and_(Task.state == State.IN_PROGRESS, by_item(lead_ids)),
            ),
        )
    ]
    if APPROVER_ROLES.get(level, head) in roles:
        children = orgs.children_of(org_id)
        if children:
            found.append(
                and_(
                    Task.org_id.in_(children),
                    Task.state == State.SUBMITTED,
                    not_theirs,
                )
            )
    if Role.MINISTRY_ADMIN in roles and orgs.parent_of.get(org_id, 0) is None:
        found.append(
            and_(Task.org_id == org_id, Task.state == State.SUBMITTED, not_theirs)
        )
    return found
