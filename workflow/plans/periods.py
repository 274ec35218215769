"""Turn an item's timing into task periods with due dates, using the calendar.

One period per task: a non-recurring item has one; "еженедельно" has one per
school week; "в конце каждой четверти" one per quarter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from workflow.calendar import Calendar, SchoolTerm
from workflow.enums import Recurrence
from workflow.plans.dates import last_day
from workflow.plans.recurrence import TimingRule
from workflow.plans.timing import Timing

MONTH_NAMES = (
    "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь"
).split()
ROMAN = ("I", "II", "III", "IV")


@dataclass(frozen=True)
class PeriodSettings:
    """How many working days "по окончании …" allows after the period ends."""

    working_days_after_quarter: int = 5
    working_days_after_school_year: int = 5


@dataclass(frozen=True)
class Period:
    """One task period: its label ("I четверть"), start and due date.

    start and due are None only when the timing was not understood; the
    reviewer must then set the dates.
    """

    label: str
    start: date | None
    due: date | None


def periods_for(
    timing: Timing, calendar: Calendar, settings: PeriodSettings | None = None
) -> list[Period]:
    """The task periods of a timing, with due dates placed on the calendar."""
    settings = settings or PeriodSettings()
    rule = timing.rule or TimingRule()
    window_start, window_end = window_of(timing, calendar)

    if timing.recurrence is None:
        return [Period(single_label(timing), timing.start, timing.due)]
    if timing.recurrence is Recurrence.WEEKLY:
        return weekly_periods(calendar, rule, window_start, window_end)
    if timing.recurrence is Recurrence.SCHOOL_QUARTER:
        return school_quarter_periods(
            calendar, rule, settings, window_start, window_end
        )
    if timing.recurrence is Recurrence.MONTHLY:
        return monthly_periods(calendar, rule, window_start, window_end)
    if timing.recurrence is Recurrence.QUARTERLY:
        return quarterly_periods(calendar, rule, window_start, window_end)
    return yearly_periods(calendar, rule, window_start, window_end)


def window_of(timing: Timing, calendar: Calendar) -> tuple[date, date]:
    """The span a recurrence runs in: the timing's own, else the whole calendar."""
    quarters = calendar.quarters()
    start = timing.start or (quarters[0].start if quarters else date.min)
    end = timing.due or (quarters[-1].end if quarters else date.max)
    return start, end


def deadline(calendar: Calendar, day: date) -> date:
    """A computed deadline that falls on a day off moves to the next working day."""
    return calendar.next_working_day(day, inclusive=True)


def weekly_periods(
    calendar: Calendar, rule: TimingRule, start: date, end: date
) -> list[Period]:
    """One period per school week, due on its last school day or the named weekday."""
    periods = []
    for week in calendar.school_weeks(start, end):
        due = week.last_school_day
        if rule.weekday is not None:
            named = week.monday + timedelta(days=rule.weekday)
            # The named day may be a holiday: the last school day before it.
            candidates = [
                week.first_school_day + timedelta(days=offset)
                for offset in range((named - week.first_school_day).days + 1)
            ]
            school_days = [day for day in candidates if calendar.is_school_day(day)]
            due = school_days[-1] if school_days else week.first_school_day

        label = week_label(week.first_school_day, week.last_school_day)
        periods.append(Period(label, week.first_school_day, due))
    return periods


def single_label(timing: Timing) -> str:
    """ "01.04–30.06.2021", "до 15.09.2021", or the timing text when not understood.

    Labels come from the dates, not the plan's words, so that a plan rolled
    over to another year labels its tasks with that year's dates.
    """
    if timing.start and timing.due and timing.start != timing.due:
        first = (
            f"{timing.start:%d.%m}"
            if timing.start.year == timing.due.year
            else (f"{timing.start:%d.%m.%Y}")
        )
        return f"{first}–{timing.due:%d.%m.%Y}"
    if timing.due:
        return f"до {timing.due:%d.%m.%Y}"
    return timing.text


def week_label(first: date, last: date) -> str:
    """ "неделя 06.09–10.09.2021", or "неделя 01.09.2021" for a one-day week."""
    if first == last:
        return f"неделя {first:%d.%m.%Y}"
    return f"неделя {first:%d.%m}–{last:%d.%m.%Y}"


def school_quarter_periods(
    calendar: Calendar,
    rule: TimingRule,
    settings: PeriodSettings,
    start: date,
    end: date,
) -> list[Period]:
    """Periods tied to school quarters, or to the end of the school year."""
    quarters = [
        quarter for quarter in calendar.quarters() if start <= quarter.end <= end
    ]

    if rule.school_year_end:
        return school_year_end_periods(calendar, rule, settings, quarters)

    if rule.school_quarter is not None:
        quarters = [
            quarter
            for quarter in quarters
            if quarter.quarter_number == rule.school_quarter
        ]

    offset = rule.working_days_after or settings.working_days_after_quarter
    periods = []
    for quarter in quarters:
        if rule.after_end:
            due = calendar.add_working_days(quarter.end, offset)
        else:
            due = calendar.last_school_day(quarter)
        periods.append(Period(quarter.name, quarter.start, due))
    return periods


def school_year_end_periods(
    calendar: Calendar,
    rule: TimingRule,
    settings: PeriodSettings,
    quarters: list[SchoolTerm],
) -> list[Period]:
    """One period per school year, due after (or at the end of) its last quarter."""
    offset = rule.working_days_after or settings.working_days_after_school_year
    by_year: dict[int, list[SchoolTerm]] = {}
    for quarter in quarters:
        by_year.setdefault(quarter.school_year, []).append(quarter)

    periods = []
    for first_year, year_quarters in sorted(by_year.items()):
        last = year_quarters[-1]
        if rule.after_end:
            due = calendar.add_working_days(last.end, offset)
        else:
            due = calendar.last_school_day(last)
        periods.append(
            Period(f"{first_year}-{first_year + 1}", year_quarters[0].start, due)
        )
    return periods


def add_months(year: int, month: int, count: int) -> tuple[int, int]:
    """The year and month count months after the given one."""
    index = year * 12 + month - 1 + count
    return index // 12, index % 12 + 1


def due_in_month(
    calendar: Calendar, rule: TimingRule, year: int, month: int, period_end: date
) -> date:
    """A period's deadline: "до 15 числа" of its month (or the next), else its end."""
    if rule.day_of_month is None and rule.months_after == 0:
        return deadline(calendar, period_end)

    due_year, due_month = add_months(year, month, rule.months_after)
    month_end = last_day(due_year, due_month)
    day = min(rule.day_of_month or month_end.day, month_end.day)
    return deadline(calendar, date(due_year, due_month, day))


def monthly_periods(
    calendar: Calendar, rule: TimingRule, start: date, end: date
) -> list[Period]:
    """One period per month of the window."""
    periods = []
    year, month = start.year, start.month
    while date(year, month, 1) <= end:
        month_end = last_day(year, month)
        due = due_in_month(calendar, rule, year, month, month_end)
        label = f"{MONTH_NAMES[month - 1]} {year}"
        periods.append(Period(label, max(start, date(year, month, 1)), due))
        year, month = add_months(year, month, 1)
    return periods


def quarterly_periods(
    calendar: Calendar, rule: TimingRule, start: date, end: date
) -> list[Period]:
    """One period per calendar quarter of the window."""
    periods = []
    year, month = start.year, (start.month - 1) // 3 * 3 + 1
    while date(year, month, 1) <= end:
        last_year, last_month = add_months(year, month, 2)
        quarter_end = last_day(last_year, last_month)
        # A quarter belongs to the window in which it ends, like a school
        # year's window (1 September to 31 August) holds III 2021 to II 2022.
        if quarter_end <= end:
            due = due_in_month(calendar, rule, last_year, last_month, quarter_end)
            label = f"{ROMAN[(month - 1) // 3]} квартал {year}"
            periods.append(Period(label, max(start, date(year, month, 1)), due))
        year, month = add_months(year, month, 3)
    return periods


def yearly_periods(
    calendar: Calendar, rule: TimingRule, start: date, end: date
) -> list[Period]:
    """One period per year whose deadline ("до 1 сентября") falls in the window."""
    periods = []
    for year in range(start.year, end.year + 1):
        if rule.month is not None:
            day = min(rule.day_of_month or 1, last_day(year, rule.month).day)
            due = date(year, rule.month, day)
        else:
            due = date(year, 12, 31)
        if start <= due <= end:
            periods.append(
                Period(str(year), max(start, date(year, 1, 1)), deadline(calendar, due))
            )
    return periods
