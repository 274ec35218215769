"""What the task page shows besides the task: who executes and who approves it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from workflow.enums import Role
from workflow.models import Membership, Organisation, Person
from workflow.signoff import TaskFacts, parties_of


@dataclass(frozen=True)
class Party:
    """One role in one organisation, with the people who hold it."""

    org_name: str
    role: Role
    lead: bool
    people: tuple[str, ...]


@dataclass(frozen=True)
class Responsible:
    """The executors (lead first) and the approvers of a task."""

    executors: list[Party]
    approvers: list[Party]


def responsible_for(session: Session, facts: TaskFacts) -> Responsible:
    """The roles parties_of() names for the task, with their holders, in one query."""
    parties = parties_of(facts)
    wanted = [
        and_(Membership.org_id == facts.org_id, Membership.role.in_(parties.executors)),
        and_(
            Membership.org_id == parties.approver_org_id,
            Membership.role.in_(parties.approver_roles),
        ),
    ]
    rows = session.execute(
        select(Membership.org_id, Membership.role, Person.name)
        .join(Person, Person.id == Membership.person_id)
        .where(or_(*wanted), Person.active.is_(True))
        .order_by(Person.name)
    ).all()
    names = dict(
        session.execute(
            select(Organisation.id, Organisation.short_name).where(
                Organisation.id.in_({facts.org_id, parties.approver_org_id})
            )
        ).all()
    )

    holders: dict[tuple[int, Role], list[str]] = {}
    for org_id, role, name in rows:
        holders.setdefault((org_id, Role(role)), []).append(name)

    def party(org_id: int, role: Role, lead: bool) -> Party:
        return Party(
            names.get(org_id, ""), role, lead, tuple(holders.get((org_id, role), []))
        )

    lead = parties.leads[0] if parties.leads else None
    executors = [party(facts.org_id, role, role == lead) for role in parties.executors]
    executors.sort(key=lambda found: not found.lead)
    approvers = [
        party(parties.approver_org_id, role, False) for role in parties.approver_roles
    ]
    return Responsible(executors, approvers)
