"""Tables of escalation and mail: events, sweep progress, thresholds, preferences."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from workflow.clock import utcnow
from workflow.models import Base, Task, _enum


class EscalationLevel(StrEnum):
    """How far up a task's lateness has been reported (the reminder comes before)."""

    REMINDER = "reminder"
    LEVEL_0 = "0"
    LEVEL_1 = "1"
    LEVEL_2 = "2"

    @property
    def for_executors(self) -> bool:
        """The reminder and level 0 go to the task's executors; a submit stops them."""
        return self in (EscalationLevel.REMINDER, EscalationLevel.LEVEL_0)

    @property
    def essential(self) -> bool:
        """Whether a person who unsubscribed from non-essential mail still gets it."""
        return self is not EscalationLevel.REMINDER


class EscalationEvent(Base):
    """One level fired for one task: the unique key makes each fire only once."""

    __tablename__ = "escalation_events"
    __table_args__ = (
        UniqueConstraint("task_id", "level"),
        Index("ix_escalation_events_recorded_at", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    level: Mapped[EscalationLevel] = mapped_column(_enum(EscalationLevel, 16))
    # The due date the level was counted from (a due date may move later).
    due: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recipients: Mapped[int] = mapped_column(Integer, default=0)


class EscalationWatermark(Base):
    """The latest due date a level has been swept through, per plan.

    The next sweep looks only at due dates after it, so its cost follows the
    tasks that newly crossed a threshold, not all the tasks there are.
    """

    __tablename__ = "escalation_watermarks"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    level: Mapped[EscalationLevel] = mapped_column(
        _enum(EscalationLevel, 16), primary_key=True
    )
    swept_through: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PlanThresholds(Base):
    """A plan's own escalation thresholds in working days; unset ones use defaults."""

    __tablename__ = "plan_thresholds"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    reminder_working_days: Mapped[int | None] = mapped_column(Integer)
    level1_working_days: Mapped[int | None] = mapped_column(Integer)
    level2_working_days: Mapped[int | None] = mapped_column(Integer)


class MailPreference(Base):
    """What mail one person wants; a person without a row gets everything at once."""

    __tablename__ = "mail_preferences"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    # No reminders and no approval notices; escalations and "sent back" stay.
    unsubscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Collect everything but "sent back" into one message a day.
    daily_digest: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Who changed it last: "link" (the signed link in a message) or "admin".
    changed_by: Mapped[str] = mapped_column(String(16), default="link")


# The sweep reads one plan's tasks by due-date range.
Index("ix_tasks_plan_due", Task.plan_id, Task.due)
