"""Typed SQLAlchemy models: organisations, people, plans, items, tasks, audit."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from workflow.clock import utcnow
from workflow.enums import Level, Recurrence, Role, State

# Constraint names are fixed so that Alembic migrations can refer to them on
# every database (SQLite needs names for batch alterations).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _enum(enum_class: type[StrEnum], length: int = 32) -> Enum:
    """Store a str enum as its value in a VARCHAR column on every database."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    """The declarative base of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class PlanStatus(StrEnum):
    """Whether a plan's tasks exist yet."""

    DRAFT = "draft"
    PUBLISHED = "published"


class Organisation(Base):
    """A ministry, agency, district education department or school."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str] = mapped_column(String(120))
    level: Mapped[Level] = mapped_column(_enum(Level))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    # Materialised path of ids ("/1/4/17/"): a subtree is one prefix match.
    path: Mapped[str] = mapped_column(String(200), index=True)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id])


class Person(Base):
    """Someone who signs in; what they may do comes from their memberships."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)

    memberships: Mapped[list[Membership]] = relationship(back_populates="person")

    # Flask-Login reads these four attributes; they are plain properties so that
    # the domain does not import the web framework.
    @property
    def is_active(self) -> bool:
        """Whether the person may sign in."""
        return self.active

    @property
    def is_authenticated(self) -> bool:
        """A stored person is always an authenticated one."""
        return True

    @property
    def is_anonymous(self) -> bool:
        """A stored person is never anonymous."""
        return False

    def get_id(self) -> str:
        """The id that the session cookie keeps."""
        return str(self.id)


class Membership(Base):
    """One role of one person in one organisation."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("person_id", "org_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role))

    person: Mapped[Person] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship()


class Plan(Base):
    """One imported plan-schedule."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    heading: Mapped[str] = mapped_column(Text, default="")
    school_year: Mapped[str | None] = mapped_column(String(9))
    status: Mapped[PlanStatus] = mapped_column(
        _enum(PlanStatus), default=PlanStatus.DRAFT
    )
    source_name: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    # "по окончании каждой четверти" / "… учебного года": how many working days
    # after the quarter or the school year the tasks are due (PeriodSettings).
    working_days_after_quarter: Mapped[int] = mapped_column(
        Integer, default=5, server_default="5"
    )
    working_days_after_school_year: Mapped[int] = mapped_column(
        Integer, default=5, server_default="5"
    )
    # The plan this one was rolled over from into another school year.
    rolled_over_from_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))

    items: Mapped[list[Item]] = relationship(
        back_populates="plan", order_by="Item.position"
    )


class Item(Base):
    """One numbered measure of a plan, with its timing and parties understood."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    number: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    timing_text: Mapped[str] = mapped_column(Text, default="")
    responsible_text: Mapped[str] = mapped_column(Text, default="")
    start: Mapped[date | None] = mapped_column(Date)
    due: Mapped[date | None] = mapped_column(Date)
    recurrence: Mapped[Recurrence | None] = mapped_column(_enum(Recurrence))
    recurrence_rule: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Parties as understood: [{"text", "role", "level", "org_code", "agreed"}];
    # the first one leads and its level decides where the tasks live.
    parties: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    level: Mapped[Level | None] = mapped_column(_enum(Level))
    requires_evidence: Mapped[bool] = mapped_column(Boolean, default=False)

    plan: Mapped[Plan] = relationship(back_populates="items")
    parent: Mapped[Item | None] = relationship(remote_side=[id])

    @property
    def roles(self) -> list[Role]:
        """The roles the item names, lead first, without co-executors by agreement."""
        found: list[Role] = []
        for party in self.parties:
            role = party.get("role")
            if role and not party.get("agreed") and Role(role) not in found:
                found.append(Role(role))
        return found


class Task(Base):
    """An item's instance for one organisation and one period."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("item_id", "org_id", "period_label"),
        Index("ix_tasks_org_state", "org_id", "state"),
        Index("ix_tasks_plan_state", "plan_id", "state"),
        Index("ix_tasks_due", "due"),
        Index("ix_tasks_state_submitted", "state", "submitted_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    period_label: Mapped[str] = mapped_column(String(100))
    start: Mapped[date | None] = mapped_column(Date)
    due: Mapped[date | None] = mapped_column(Date)
    state: Mapped[State] = mapped_column(_enum(State), default=State.PLANNED)
    version: Mapped[int] = mapped_column(Integer, default=1)
    sent_back: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # When the task was last submitted: the approval queue's order and its
    # "waiting since".
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    item: Mapped[Item] = relationship()
    organisation: Mapped[Organisation] = relationship()
    plan: Mapped[Plan] = relationship()


class AuditRecord(Base):
    """One applied transition; append-only (the database refuses changes)."""

    __tablename__ = "audit_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    trigger_name: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[State] = mapped_column(_enum(State))
    to_state: Mapped[State] = mapped_column(_enum(State))
    actor_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    role_used: Mapped[Role] = mapped_column(_enum(Role))
    # Set when the actor stood in for an absent person (a substitute).
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[Person] = relationship(foreign_keys=[actor_id])


class Evidence(Base):
    """A file attached to a task to show that the work was done."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    stored_path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class OutboxMessage(Base):
    """A message to send, written in the same transaction as its cause."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unsent", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class ApiToken(Base):
    """A personal token for scripts; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
