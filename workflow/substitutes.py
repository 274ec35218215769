"""Substitutes (замещение): who stands in for whom, and when.

A substitution gives the substitute, for a date range, everything the absent
person may do. It is applied when permission is checked; no task moves.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from workflow.clock import utcnow
from workflow.enums import Role
from workflow.models import Base, Membership, Organisation, Person


class SubstitutionProblem(StrEnum):
    """Why a substitution cannot be recorded; pages turn it into words."""

    SELF = "self"
    DATES = "dates"
    INACTIVE = "inactive"


class SubstitutionError(ValueError):
    """A substitution that cannot be recorded; the message says why."""

    def __init__(self, message: str, problem: SubstitutionProblem) -> None:
        super().__init__(message)
        self.problem = problem


class Substitution(Base):
    """The substitute acts for the absent person from `starts` to `ends`."""

    __tablename__ = "substitutions"
    __table_args__ = (
        CheckConstraint("starts <= ends", name="dates_in_order"),
        CheckConstraint("absent_id <> substitute_id", name="not_self"),
        Index("ix_substitutions_substitute_dates", "substitute_id", "starts", "ends"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    absent_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    substitute_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)

    absent: Mapped[Person] = relationship(foreign_keys=[absent_id])
    substitute: Mapped[Person] = relationship(foreign_keys=[substitute_id])


def add_substitution(
    session: Session,
    absent: Person,
    substitute: Person,
    starts: date,
    ends: date,
    created_by: Person,
) -> Substitution:
    """Record a substitution after checking that it makes sense."""
    if absent.id == substitute.id:
        raise SubstitutionError(
            "A person cannot substitute for themselves.", SubstitutionProblem.SELF
        )
    if ends < starts:
        raise SubstitutionError(
            "The substitution ends before it starts; check the two dates.",
            SubstitutionProblem.DATES,
        )
    if not substitute.active:
        raise SubstitutionError(
            f"{substitute.email} cannot sign in, so cannot be a substitute.",
            SubstitutionProblem.INACTIVE,
        )
    substitution = Substitution(
        absent_id=absent.id,
        substitute_id=substitute.id,
        starts=starts,
        ends=ends,
        created_by_id=created_by.id,
    )
    session.add(substitution)
    return substitution


def absent_people_for(session: Session, person_id: int, today: date) -> list[int]:
    """Everyone this person stands in for today, following chains, loops ignored.

    If B substitutes for A and C substitutes for B, C stands in for both.
    """
    found: list[int] = []
    seen = {person_id}
    frontier = [person_id]
    while frontier:
        rows = session.execute(
            select(Substitution.absent_id).where(
                Substitution.substitute_id.in_(frontier),
                Substitution.starts <= today,
                Substitution.ends >= today,
                Substitution.cancelled_at.is_(None),
            )
        ).scalars()
        frontier = [absent for absent in set(rows) if absent not in seen]
        seen.update(frontier)
        found.extend(sorted(frontier))
    return found


def roles_of_people(
    session: Session, people: list[int]
) -> tuple[dict[int, dict[int, frozenset[Role]]], set[str]]:
    """Each person's roles per organisation, and the paths of those organisations."""
    if not people:
        return {}, set()
    rows = session.execute(
        select(
            Membership.person_id, Membership.org_id, Membership.role, Organisation.path
        )
        .join(Organisation, Organisation.id == Membership.org_id)
        .where(Membership.person_id.in_(people))
    ).all()
    roles: dict[int, dict[int, set[Role]]] = defaultdict(lambda: defaultdict(set))
    paths: set[str] = set()
    for person_id, org_id, role, path in rows:
        roles[person_id][org_id].add(Role(role))
        paths.add(path)
    frozen = {
        person_id: {org_id: frozenset(held) for org_id, held in by_org.items()}
        for person_id, by_org in roles.items()
    }
    return frozen, paths


def current_substitutions(
    session: Session, person_id: int, today: date
) -> list[Substitution]:
    """Substitutions that involve a person and have not ended, soonest first."""
    return list(
        session.scalars(
            select(Substitution)
            .where(
                (Substitution.absent_id == person_id)
                | (Substitution.substitute_id == person_id),
                Substitution.ends >= today,
                Substitution.cancelled_at.is_(None),
            )
            .order_by(Substitution.starts, Substitution.id)
        )
    )
