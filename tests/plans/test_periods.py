"""Timings turned into task periods on the PMR 2021-2022 calendar."""

from __future__ import annotations

from datetime import date

from workflow.calendar import Calendar
from workflow.plans import (
    ParsedPlan,
    PeriodSettings,
    TimingContext,
    periods_for,
    understand_timing,
)


def item_periods(
    plan: ParsedPlan, number: str, calendar: Calendar
) -> list[date | None]:
    """The due dates of a seed item's periods."""
    item = next(item for item in plan.items if item.number == number)
    return [period.due for period in periods_for(item.timing, calendar)]


def test_weekly_item_yields_one_task_per_school_week(
    seed_plan: ParsedPlan, calendar_2021: Calendar
) -> None:
    dues = item_periods(seed_plan, "8", calendar_2021)

    # Counted by hand from the quarters: 9 + 8 + 11 + 8 weeks.
    assert len(dues) == 36 == len(calendar_2021.school_weeks())
    # The first week has one school day: 2 September is a holiday and
    # 3 September a transferred day off.
    assert dues[0] == date(2021, 9, 1)
    # The next week ends on a working Saturday.
    assert dues[1] == date(2021, 9, 11)
    assert dues[-1] == date(2022, 5, 25)


def test_weekly_on_fridays_falls_back_when_friday_is_a_day_off(
    calendar_2021: Calendar, school_year_2021: TimingContext
) -> None:
    timing = understand_timing("еженедельно (по пятницам)", school_year_2021)

    periods = periods_for(timing, calendar_2021)

    assert periods[0].due == date(2021, 9, 1)
    assert periods[1].due == date(2021, 9, 10)
    assert periods[1].label == "неделя 06.09–11.09.2021"


def test_end_of_each_quarter_is_due_on_its_last_school_day(
    seed_plan: ParsedPlan, calendar_2021: Calendar
) -> None:
    assert item_periods(seed_plan, "10", calendar_2021) == [
        date(2021, 10, 29),
        date(2021, 12, 28),
        date(2022, 3, 25),
        date(2022, 5, 25),
    ]


def test_after_each_quarter_is_due_five_working_days_later(
    seed_plan: ParsedPlan, calendar_2021: Calendar
) -> None:
    # II quarter ends 28 December; 31 December and 6 January are transferred
    # days off, 1-3 and 7 January holidays.
    assert item_periods(seed_plan, "11", calendar_2021) == [
        date(2021, 11, 5),
        date(2022, 1, 10),
        date(2022, 4, 1),
        date(2022, 6, 1),
    ]


def test_working_days_after_a_quarter_are_configurable(
    seed_plan: ParsedPlan, calendar_2021: Calendar
) -> None:
    item = next(item for item in seed_plan.items if item.number == "11")

    periods = periods_for(item.timing, calendar_2021, PeriodSettings(2, 5))

    assert periods[0].due == date(2021, 11, 2)


def test_after_the_school_year_is_one_task(
    seed_plan: ParsedPlan, calendar_2021: Calendar
) -> None:
    item = next(item for item in seed_plan.items if item.number == "12")

    periods = periods_for(item.timing, calendar_2021)

    assert [(period.label, period.due) for period in periods] == [
        ("2021-2022", date(2022, 6, 1))
    ]


def test_after_a_named_quarter_is_one_task(
    calendar_2021: Calendar, school_year_2021: TimingContext
) -> None:
    timing = understand_timing("по окончании II четверти", school_year_2021)

    periods = periods_for(timing, calendar_2021)

    assert [(period.label, period.due) for period in periods] == [
        ("II четверть", date(2022, 1, 10))
    ]


def test_non_recurring_item_is_one_task_with_its_own_dates(
    seed_plan: ParsedPlan, calendar_2021: Calendar
) -> None:
    item = next(item for item in seed_plan.items if item.number == "7")

    periods = periods_for(item.timing, calendar_2021)

    assert len(periods) == 1
    assert (periods[0].start, periods[0].due) == (date(2021, 9, 1), date(2022, 5, 31))


def test_monthly_deadline_in_the_following_month_moves_off_days_off(
    calendar_2021: Calendar, school_year_2021: TimingContext
) -> None:
    text = "ежемесячно до 15 числа месяца, следующего за отчетным периодом"
    periods = periods_for(understand_timing(text, school_year_2021), calendar_2021)

    assert len(periods) == 12
    assert (periods[0].label, periods[0].due) == ("сентябрь 2021", date(2021, 10, 15))
    # 15 January 2022 is a Saturday: the deadline moves to Monday.
    december = next(period for period in periods if period.label == "декабрь 2021")
    assert december.due == date(2022, 1, 17)


def test_quarterly_yields_the_calendar_quarters_ending_in_the_school_year(
    calendar_2021: Calendar, school_year_2021: TimingContext
) -> None:
    timing = understand_timing("ежеквартально", school_year_2021)

    labels = [period.label for period in periods_for(timing, calendar_2021)]

    assert labels == [
        "III квартал 2021",
        "IV квартал 2021",
        "I квартал 2022",
        "II квартал 2022",
    ]


def test_yearly_deadline_once_in_the_school_year(
    calendar_2021: Calendar, school_year_2021: TimingContext
) -> None:
    timing = understand_timing("ежегодно до 1 сентября", school_year_2021)

    periods = periods_for(timing, calendar_2021)

    assert [period.due for period in periods] == [date(2021, 9, 1)]
