"""Escalation thresholds: on which working day each level fires for a due date."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from workflow.calendar import Calendar
from workflow.clock import LOCAL_ZONE
from workflow.escalation_models import EscalationLevel, PlanThresholds

logger = logging.getLogger(__name__)

# How far the search for a threshold's due date may walk through the calendar.
SEARCH_LIMIT_DAYS = 366


@dataclass(frozen=True)
class Thresholds:
    """Working days: the reminder before the due date, levels 1 and 2 after level 0."""

    reminder: int = 2
    level1: int = 5
    level2: int = 5

    def offset(self, level: EscalationLevel) -> int:
        """Working days from the due date to the day a level fires (<0: before)."""
        if level is EscalationLevel.REMINDER:
            return -self.reminder
        if level is EscalationLevel.LEVEL_0:
            return 1
        if level is EscalationLevel.LEVEL_1:
            return 1 + self.level1
        return 1 + self.level1 + self.level2

    def for_plan(self, row: PlanThresholds | None) -> Thresholds:
        """These defaults with a plan's own thresholds laid over them."""
        if row is None:
            return self
        return Thresholds(
            reminder=_chosen(row.reminder_working_days, self.reminder),
            level1=_chosen(row.level1_working_days, self.level1),
            level2=_chosen(row.level2_working_days, self.level2),
        )


def _chosen(value: int | None, default: int) -> int:
    return default if value is None else value


def local_day(moment: datetime) -> date:
    """The republic's date at a moment given in naive UTC."""
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_ZONE).date()


def fires_on(
    calendar: Calendar, due: date, level: EscalationLevel, thresholds: Thresholds
) -> date:
    """The day a level fires for a task with this due date."""
    return calendar.add_working_days(due, thresholds.offset(level))


def latest_due(calendar: Calendar, today: date, offset: int) -> date:
    """The latest due date whose threshold, `offset` working days on, is today or past.

    The threshold day only grows with the due date, so a short walk from
    today finds the boundary.
    """

    def reached(due: date) -> bool:
        return calendar.add_working_days(due, offset) <= today

    day = today
    one_day = timedelta(days=1)
    if reached(day):
        for _step in range(SEARCH_LIMIT_DAYS):
            if not reached(day + one_day):
                break
            day += one_day
        return day
    for _step in range(SEARCH_LIMIT_DAYS):
        day -= one_day
        if reached(day):
            break
    return day


def plan_thresholds(
    session: Session, plan_id: int, defaults: Thresholds
) -> tuple[Thresholds, bool]:
    """A plan's thresholds, and whether the plan sets any of its own."""
    row = session.get(PlanThresholds, plan_id)
    return defaults.for_plan(row), row is not None


def set_plan_thresholds(
    session: Session,
    plan_id: int,
    *,
    reminder: int | None = None,
    level1: int | None = None,
    level2: int | None = None,
) -> PlanThresholds:
    """Give a plan thresholds of its own (None keeps the default for that one)."""
    for value in (reminder, level1, level2):
        if value is not None and not 0 <= value <= 60:
            raise ValueError(
                f"A threshold of {value} working days is out of range; use 0 to 60."
            )
    row = session.get(PlanThresholds, plan_id) or PlanThresholds(plan_id=plan_id)
    row.reminder_working_days = reminder
    row.level1_working_days = level1
    row.level2_working_days = level2
    session.add(row)
    session.flush()
    logger.info(
        "Plan %s: escalation thresholds set reminder=%s level1=%s level2=%s",
        plan_id,
        reminder,
        level1,
        level2,
    )
    return row
