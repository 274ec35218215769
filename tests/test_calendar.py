"""The school calendar: working days, quarters, school weeks and rolling over."""

from __future__ import annotations

from datetime import date

import pytest

from workflow.calendar import (
    Calendar,
    CalendarDataError,
    DataStatus,
    DayKind,
    SchoolTerm,
    SpecialDay,
    TermKind,
    load_calendar,
    normalise_status,
    orthodox_easter,
    read_special_days,
)


@pytest.fixture(scope="module")
def calendar() -> Calendar:
    """The PMR calendar of the 2021-2022 school year, from data/calendar/."""
    return load_calendar(2021)


def test_quarters_are_loaded_in_order(calendar: Calendar) -> None:
    quarters = calendar.quarters()

    assert [quarter.name for quarter in quarters] == [
        "I четверть",
        "II четверть",
        "III четверть",
        "IV четверть",
    ]
    assert [quarter.quarter_number for quarter in quarters] == [1, 2, 3, 4]
    assert (quarters[0].start, quarters[3].end) == (date(2021, 9, 1), date(2022, 5, 25))
    assert all(quarter.status is DataStatus.ASSUMED for quarter in quarters)


def test_public_holiday_and_transferred_day_off_are_not_working_days(
    calendar: Calendar,
) -> None:
    assert not calendar.is_working_day(date(2021, 9, 2))  # День Республики
    assert not calendar.is_working_day(date(2021, 9, 3))  # transferred day off
    assert not calendar.is_working_day(date(2021, 9, 4))  # a plain Saturday
    assert calendar.is_working_day(date(2021, 9, 1))


def test_working_saturday_is_a_working_day(calendar: Calendar) -> None:
    assert calendar.is_working_day(date(2021, 9, 11))


def test_add_working_days_skips_holidays_and_transfers(calendar: Calendar) -> None:
    # 1 September (Wed) + 1: the 2nd is a holiday, the 3rd a transferred day
    # off, the 4th and 5th a weekend.
    assert calendar.add_working_days(date(2021, 9, 1), 1) == date(2021, 9, 6)
    # The working Saturday counts.
    assert calendar.add_working_days(date(2021, 9, 10), 1) == date(2021, 9, 11)


def test_add_working_days_backwards(calendar: Calendar) -> None:
    assert calendar.add_working_days(date(2021, 9, 6), -1) == date(2021, 9, 1)
    assert calendar.add_working_days(date(2022, 1, 10), -2) == date(2022, 1, 4)


def test_next_working_day(calendar: Calendar) -> None:
    assert calendar.next_working_day(date(2021, 12, 30)) == date(2022, 1, 4)
    assert calendar.next_working_day(date(2021, 12, 30), inclusive=True) == date(
        2021, 12, 30
    )


def test_last_school_day_of_a_quarter_skips_days_off() -> None:
    quarter = SchoolTerm(
        "I четверть", TermKind.QUARTER, date(2021, 9, 1), date(2021, 10, 31),
        DataStatus.ASSUMED,
    )  # fmt: skip
    calendar = Calendar([quarter], [])

    assert calendar.last_school_day(quarter) == date(2021, 10, 29)


def test_school_weeks_of_2021_2022(calendar: Calendar) -> None:
    weeks = calendar.school_weeks()

    assert len(weeks) == 36
    # No school week falls in the holidays between quarters.
    assert not any(
        date(2021, 10, 30) <= week.last_school_day <= date(2021, 11, 7)
        for week in weeks
    )
    week_of_march_8 = next(week for week in weeks if week.monday == date(2022, 3, 7))
    assert week_of_march_8.first_school_day == date(2022, 3, 9)
    assert week_of_march_8.last_school_day == date(2022, 3, 12)


def test_statuses_are_normalised() -> None:
    assert normalise_status("confirmed (ТК ПМР ст.112 list)") is DataStatus.CONFIRMED
    assert (
        normalise_status("confirmed (list); weekend carry-over UNCONFIRMED")
        is DataStatus.CONFIRMED
    )
    assert normalise_status("confirmed by analogy with 2022 list") is DataStatus.ASSUMED
    assert normalise_status("COMPUTED by analogy") is DataStatus.ASSUMED
    assert normalise_status("assumed") is DataStatus.ASSUMED


def test_loaded_days_keep_their_status(calendar: Calendar) -> None:
    assert calendar.days[date(2021, 9, 2)].status is DataStatus.CONFIRMED
    assert calendar.days[date(2021, 5, 3)].status is DataStatus.ASSUMED
    assert calendar.days[date(2021, 9, 11)].kind is DayKind.WORKING_SATURDAY


def test_unknown_day_kind_is_refused() -> None:
    text = (
        "date\tweekday\tkind\tname\tstatus\tsource\n"
        "2022-01-01\tSat\tparty\tx\tconfirmed\t-\n"
    )

    with pytest.raises(CalendarDataError, match="party"):
        read_special_days(text)


def test_orthodox_easter() -> None:
    assert orthodox_easter(2021) == date(2021, 5, 2)
    assert orthodox_easter(2022) == date(2022, 4, 24)
    assert orthodox_easter(2024) == date(2024, 5, 5)


def test_shifted_calendar_moves_quarters_and_fixed_holidays(calendar: Calendar) -> None:
    shifted = calendar.shifted(2)

    assert shifted.quarters()[0].start == date(2023, 9, 1)
    assert shifted.quarters()[3].end == date(2024, 5, 25)
    assert not shifted.is_working_day(date(2023, 9, 2))
    assert shifted.days[date(2023, 9, 2)].status is DataStatus.CONFIRMED


def test_shifted_calendar_recomputes_easter_holidays_as_assumed(
    calendar: Calendar,
) -> None:
    shifted = calendar.shifted(2)

    # Easter 2024 is 5 May: its second day and the day of remembrance move.
    assert shifted.days[date(2024, 5, 6)].status is DataStatus.ASSUMED
    assert shifted.days[date(2024, 5, 13)].status is DataStatus.ASSUMED
    assert date(2024, 4, 25) not in shifted.days


def test_shifted_calendar_drops_decree_transfers(calendar: Calendar) -> None:
    shifted = calendar.shifted(1)

    assert all(
        special.kind is DayKind.PUBLIC_HOLIDAY for special in shifted.days.values()
    )


def test_shift_is_leap_day_safe() -> None:
    leap = SpecialDay(
        date(2024, 2, 29), DayKind.PUBLIC_HOLIDAY, "x", DataStatus.CONFIRMED
    )

    shifted = Calendar([], [leap]).shifted(1)

    assert list(shifted.days) == [date(2025, 2, 28)]
