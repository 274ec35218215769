"""Russian timing phrases become start, due and recurrence, or text with a warning."""

from __future__ import annotations

from datetime import date

import pytest

from workflow.enums import Recurrence
from workflow.plans import TimingContext, understand_timing

SCHOOL_YEAR = TimingContext(school_year_start=2021)
CALENDAR_YEAR = TimingContext(calendar_year=2022)


@pytest.mark.parametrize(
    ("text", "start", "due"),
    [
        ("Апрель-июнь 2021", date(2021, 4, 1), date(2021, 6, 30)),
        ("апрель - июнь 2021 г.", date(2021, 4, 1), date(2021, 6, 30)),
        ("Апрель – июнь 2021", date(2021, 4, 1), date(2021, 6, 30)),
        ("ноябрь 2012 – май 2013г.", date(2012, 11, 1), date(2013, 5, 31)),
        ("Декабрь 2021 — январь 2022", date(2021, 12, 1), date(2022, 1, 31)),
    ],
)
def test_month_range_with_any_dash_and_across_years(
    text: str, start: date, due: date
) -> None:
    timing = understand_timing(text, SCHOOL_YEAR)

    assert (timing.start, timing.due) == (start, due)
    assert timing.recurrence is None
    assert timing.warnings == ()


def test_month_range_across_school_year_with_en_dash() -> None:
    timing = understand_timing("Сентябрь – май 2021-2022", TimingContext())

    assert (timing.start, timing.due) == (date(2021, 9, 1), date(2022, 5, 31))


def test_bare_months_take_their_year_from_the_school_year() -> None:
    autumn = understand_timing("сентябрь", SCHOOL_YEAR)
    spring = understand_timing("Март", SCHOOL_YEAR)
    across = understand_timing("ноябрь-январь", SCHOOL_YEAR)

    assert (autumn.start, autumn.due) == (date(2021, 9, 1), date(2021, 9, 30))
    assert (spring.start, spring.due) == (date(2022, 3, 1), date(2022, 3, 31))
    assert (across.start, across.due) == (date(2021, 11, 1), date(2022, 1, 31))


def test_bare_month_of_a_calendar_year_plan() -> None:
    timing = understand_timing("сентябрь", CALENDAR_YEAR)

    assert (timing.start, timing.due) == (date(2022, 9, 1), date(2022, 9, 30))


def test_bare_month_without_any_year_is_kept_with_a_warning() -> None:
    timing = understand_timing("июнь", TimingContext())

    assert (timing.start, timing.due) == (None, None)
    assert "год" in timing.warnings[0]


def test_single_month_with_year() -> None:
    timing = understand_timing("Июнь 2022", SCHOOL_YEAR)

    assert (timing.start, timing.due) == (date(2022, 6, 1), date(2022, 6, 30))


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("до 15 сентября 2021", date(2021, 9, 15)),
        ("До 30.03.2011 г.", date(2011, 3, 30)),
        ("не позднее 15 апреля 2023 года", date(2023, 4, 15)),
        ("не позднее 15 апреля 2023года", date(2023, 4, 15)),
        ("До 10 июня 2021", date(2021, 6, 10)),
        ("до 10 июня", date(2022, 6, 10)),
        ("до конца мая 2022", date(2022, 5, 31)),
    ],
)
def test_deadline_has_a_due_date_and_no_start(text: str, due: date) -> None:
    timing = understand_timing(text, SCHOOL_YEAR)

    assert (timing.start, timing.due) == (None, due)
    assert timing.warnings == ()


def test_a_single_date_is_the_day_of_the_measure() -> None:
    timing = understand_timing("01.09.2021", TimingContext())

    assert (timing.start, timing.due) == (date(2021, 9, 1), date(2021, 9, 1))


@pytest.mark.parametrize(
    ("text", "start", "due"),
    [
        ("с 1 сентября по 15 октября 2021 г.", date(2021, 9, 1), date(2021, 10, 15)),
        ("с 01.09.2021 по 15.09.2021", date(2021, 9, 1), date(2021, 9, 15)),
        ("с 1 по 15 сентября 2021", date(2021, 9, 1), date(2021, 9, 15)),
        ("с ноября 2021 по март 2022", date(2021, 11, 1), date(2022, 3, 31)),
        ("1-15 сентября 2021", date(2021, 9, 1), date(2021, 9, 15)),
    ],
)
def test_from_to_spans(text: str, start: date, due: date) -> None:
    timing = understand_timing(text, SCHOOL_YEAR)

    assert (timing.start, timing.due) == (start, due)


@pytest.mark.parametrize(
    ("text", "start", "due"),
    [
        ("IV квартал 2022", date(2022, 10, 1), date(2022, 12, 31)),
        ("в I квартале 2022 года", date(2022, 1, 1), date(2022, 3, 31)),
        ("I полугодие 2022 года", date(2022, 1, 1), date(2022, 6, 30)),
        ("II полугодие 2022", date(2022, 7, 1), date(2022, 12, 31)),
        ("в течение 2022 года", date(2022, 1, 1), date(2022, 12, 31)),
        ("в течение 2022г.", date(2022, 1, 1), date(2022, 12, 31)),
    ],
)
def test_quarters_halves_and_whole_years(text: str, start: date, due: date) -> None:
    timing = understand_timing(text, SCHOOL_YEAR)

    assert (timing.start, timing.due) == (start, due)


def test_glued_year_word_and_footnote_mark_are_ignored() -> None:
    timing = understand_timing("Июнь 2022г.*", SCHOOL_YEAR)

    assert (timing.start, timing.due) == (date(2022, 6, 1), date(2022, 6, 30))
    assert timing.text == "Июнь 2022г.*"


def test_yo_and_case_do_not_matter() -> None:
    upper = understand_timing("ПО ОКОНЧАНИИ КАЖДОЙ ЧЕТВЕРТИ", SCHOOL_YEAR)

    assert upper.recurrence is Recurrence.SCHOOL_QUARTER
    assert upper.rule is not None and upper.rule.after_end


def test_parenthesised_remark_is_kept_with_a_warning() -> None:
    timing = understand_timing(
        "Апрель-май 2021 (по индивидуальному графику)", SCHOOL_YEAR
    )

    assert (timing.start, timing.due) == (date(2021, 4, 1), date(2021, 5, 31))
    assert timing.remark == "по индивидуальному графику"
    assert len(timing.warnings) == 1


@pytest.mark.parametrize(
    "text",
    [
        "по индивидуальному графику",
        "по мере необходимости",
        "по графику ФЦТ",
        "постоянно",
    ],
)
def test_text_that_is_not_a_date_is_kept_and_not_guessed(text: str) -> None:
    timing = understand_timing(text, SCHOOL_YEAR)

    assert timing.text == text
    assert (timing.start, timing.due, timing.recurrence) == (None, None, None)
    assert text in timing.warnings[0]


def test_impossible_date_is_reported_not_guessed() -> None:
    timing = understand_timing("до 31.02.2022", SCHOOL_YEAR)

    assert timing.due is None
    assert "31.02.2022" in timing.warnings[0]


def test_weekly_with_a_named_weekday() -> None:
    plain = understand_timing("еженедельно", SCHOOL_YEAR)
    fridays = understand_timing("еженедельно (по пятницам)", SCHOOL_YEAR)

    assert plain.recurrence is Recurrence.WEEKLY
    assert plain.rule is not None and plain.rule.weekday is None
    assert fridays.recurrence is Recurrence.WEEKLY
    assert fridays.rule is not None and fridays.rule.weekday == 4
    assert fridays.warnings == ()


def test_recurrence_spans_the_school_year_until_the_calendar_places_it() -> None:
    timing = understand_timing("еженедельно", SCHOOL_YEAR)

    assert (timing.start, timing.due) == (date(2021, 9, 1), date(2022, 8, 31))


def test_monthly_deadline_in_the_following_month() -> None:
    text = "ежемесячно до 15 числа месяца, следующего за отчетным периодом"
    timing = understand_timing(text, SCHOOL_YEAR)

    assert timing.recurrence is Recurrence.MONTHLY
    assert timing.rule is not None
    assert (timing.rule.day_of_month, timing.rule.months_after) == (15, 1)


def test_monthly_deadline_in_the_same_month() -> None:
    timing = understand_timing("до 25 числа каждого месяца", SCHOOL_YEAR)

    assert timing.recurrence is Recurrence.MONTHLY
    assert timing.rule is not None
    assert (timing.rule.day_of_month, timing.rule.months_after) == (25, 0)


def test_quarterly_and_yearly() -> None:
    quarterly = understand_timing("ежеквартально", SCHOOL_YEAR)
    yearly = understand_timing("ежегодно до 1 сентября", SCHOOL_YEAR)

    assert quarterly.recurrence is Recurrence.QUARTERLY
    assert yearly.recurrence is Recurrence.YEARLY
    assert yearly.rule is not None
    assert (yearly.rule.month, yearly.rule.day_of_month) == (9, 1)


@pytest.mark.parametrize(
    ("text", "quarter", "after_end", "school_year_end"),
    [
        ("в конце каждой четверти", None, False, False),
        ("по окончании каждой четверти", None, True, False),
        ("по окончании II четверти", 2, True, False),
        ("по окончании учебного года", None, True, True),
    ],
)
def test_school_quarter_phrases(
    text: str, quarter: int | None, after_end: bool, school_year_end: bool
) -> None:
    timing = understand_timing(text, SCHOOL_YEAR)

    assert timing.recurrence is Recurrence.SCHOOL_QUARTER
    assert timing.rule is not None
    assert timing.rule.school_quarter == quarter
    assert timing.rule.after_end is after_end
    assert timing.rule.school_year_end is school_year_end


def test_weekday_thursday_is_not_a_school_quarter() -> None:
    timing = understand_timing("еженедельно по четвергам", SCHOOL_YEAR)

    assert timing.recurrence is Recurrence.WEEKLY
    assert timing.rule is not None and timing.rule.weekday == 3


def test_empty_timing_is_reported() -> None:
    timing = understand_timing("  ", SCHOOL_YEAR)

    assert timing.start is None and timing.due is None
    assert "не указан" in timing.warnings[0]
