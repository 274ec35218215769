"""Moving the due dates of a published item's tasks, with a record of each move.

When the ministry admin corrects a published item's dates (or the calendar
under it), the tasks that are not yet approved follow; approved tasks keep
the dates they were approved against. Every move is one DueDateChange row:
task, old due, new due, who, when and why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Text,
    and_,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflow.calendar import Calendar
from workflow.clock import utcnow
from workflow.enums import State
from workflow.models import Base, Item, Task
from workflow.plans import Period, PeriodSettings, periods_for
from workflow.publishing import insert_tasks, timing_of

logger = logging.getLogger(__name__)


class DueDateChange(Base):
    """One moved due date of one task; append-only by convention."""

    __tablename__ = "due_date_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    old_due: Mapped[date | None] = mapped_column(Date)
    new_due: Mapped[date | None] = mapped_column(Date)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True)
class RescheduleResult:
    """What following an item's new dates did to its tasks.

    moved: tasks whose due date (or start, or period) changed; kept_approved:
    approved tasks whose dates would have changed and did not; created: tasks
    of periods the item did not have before; left: tasks of periods the item
    no longer has.

    Known limitation: tasks of periods an item no longer has (a week that is
    now a holiday) are left as they were and only counted; the admin judges
    them, because one may already hold work and evidence.
    """

    moved: int
    kept_approved: int
    created: int
    left: int


def reschedule_item(
    session: Session,
    item: Item,
    calendar: Calendar,
    settings: PeriodSettings,
    *,
    changed_by_id: int | None,
    reason: str = "",
) -> RescheduleResult:
    """Move the not-yet-approved tasks of an item to its periods as they are now."""
    periods = periods_for(timing_of(item), calendar, settings)
    moment = utcnow()
    moved = kept = 0

    for period in periods:
        if item.recurrence is None:
            # A single-period item has one task per organisation, whatever
            # label its old dates gave it.
            of_period: ColumnElement[bool] = Task.item_id == item.id
        else:
            of_period = and_(Task.item_id == item.id, Task.period_label == period.label)
        differs = or_(
            Task.due.is_distinct_from(period.due),
            Task.start.is_distinct_from(period.start),
            Task.period_label != period.label[:100],
        )
        kept += _count(session, of_period, differs, Task.state == State.APPROVED)
        moved += _move(
            session,
            item,
            period,
            and_(of_period, differs, Task.state != State.APPROVED),
            moment,
            changed_by_id,
            reason,
        )

    created = insert_tasks(
        session,
        item,
        periods,
        moment,
        once_per_organisation=item.recurrence is None,
    )
    left = 0
    if item.recurrence is not None:
        labels = [period.label[:100] for period in periods]
        left = _count(
            session, Task.item_id == item.id, Task.period_label.not_in(labels)
        )

    session.flush()
    logger.info(
        "Item %s: rescheduled, moved=%s kept_approved=%s created=%s left=%s",
        item.id,
        moved,
        kept,
        created,
        left,
    )
    return RescheduleResult(moved=moved, kept_approved=kept, created=created, left=left)


def _count(session: Session, *conditions: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count(Task.id)).where(*conditions)) or 0


def _move(
    session: Session,
    item: Item,
    period: Period,
    condition: ColumnElement[bool],
    moment: datetime,
    changed_by_id: int | None,
    reason: str,
) -> int:
    """Record, then apply, the move of the tasks matching a condition to a period."""
    records = select(
        Task.id,
        literal(item.id, Integer),
        Task.due,
        literal(period.due, Date),
        literal(changed_by_id, Integer),
        literal(moment, DateTime),
        literal(reason, Text),
    ).where(condition, Task.due.is_distinct_from(period.due))
    session.execute(
        insert(DueDateChange).from_select(
            [
                "task_id",
                "item_id",
                "old_due",
                "new_due",
                "changed_by_id",
                "changed_at",
                "reason",
            ],
            records,
        )
    )

    result = session.connection().execute(
        update(Task)
        .where(condition)
        .values(
            due=period.due,
            start=period.start,
            period_label=period.label[:100],
            updated_at=moment,
        )
    )
    return result.rowcount


def due_date_changes_of(session: Session, task_id: int) -> list[DueDateChange]:
    """A task's due date changes, oldest first (for the task page)."""
    return list(
        session.scalars(
            select(DueDateChange)
            .where(DueDateChange.task_id == task_id)
            .order_by(DueDateChange.id)
        )
    )
