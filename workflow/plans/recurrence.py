"""Recognise how a measure repeats: "еженедельно", "в конце каждой четверти"...

Works on text normalised by timing.normalise_timing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workflow.enums import Recurrence
from workflow.plans.dates import MONTH, month_number, ordinal

WEEKLY = re.compile(r"еженедельн\w*|кажд\w+\s+недел\w*|раз\s+в\s+неделю")
MONTHLY = re.compile(r"ежемесячн\w*|кажд\w+\s+месяц\w*|раз\s+в\s+месяц")
QUARTERLY = re.compile(r"ежеквартальн\w*|кажд\w+\s+квартал\w*|раз\s+в\s+квартал")
YEARLY = re.compile(r"ежегодн\w*|кажд\w+\s+год\w*|раз\s+в\s+год")

# "по пятницам", "каждую пятницу", "в пятницу"; "четверг" is not "четверть".
WEEKDAY = re.compile(
    r"(?:по|кажд\w+|в|во)\s+"
    r"(понедельник|вторник|сред|четверг|пятниц|суббот|воскресен)\w*"
)
EVERY_WEEKDAY = re.compile(
    r"(?:по|кажд\w+)\s+(понедельник|вторник|сред|четверг|пятниц|суббот|воскресен)\w*"
)
WEEKDAY_STEMS = ("понедельник", "вторник", "сред", "четверг", "пятниц", "суббот")

DAY_OF_MONTH = re.compile(r"до\s+(\d{1,2})(?:-?го)?\s+числа")
DAY_AND_MONTH = re.compile(rf"до\s+(\d{{1,2}})\s+({MONTH})")
FOLLOWING_PERIOD = re.compile(r"следующ\w+\s+за\s+отчетн\w+")
WORKING_DAYS = re.compile(r"(?:через|в\s+течение)\s+(\d{1,2})\s+рабоч\w*\s+дн\w*")

# "в конце каждой четверти", "по окончании II четверти", "по итогам четверти".
END_WORDS = r"(в\s+конце|по\s+окончании|после\s+окончания|по\s+итогам|по\s+завершении)"
SCHOOL_QUARTER = re.compile(
    END_WORDS + r"\s+(?:(кажд\w+)\s+)?(?:([ivx]+|\d)(?:-?[йо]й?)?\s+)?четверт\w*"
)
SCHOOL_YEAR_END = re.compile(END_WORDS + r"\s+(?:\d{4}\s*-\s*\d{4}\s+)?учебного\s+года")


@dataclass(frozen=True)
class TimingRule:
    """The details of a recurrence that the calendar needs to place due dates.

    weekday: 0 for Monday ("по пятницам" is 4); day_of_month and month: the
    deadline within each period ("до 25 числа", "ежегодно до 1 сентября");
    months_after: 1 when the deadline falls in the month following the
    reported one; school_quarter: the quarter named ("II"), None for each;
    school_year_end: due after the school year's last quarter; after_end:
    due some working days after the quarter ends ("по окончании") rather than
    on its last school day ("в конце"); working_days_after: those working
    days when the plan names them, None for the configured default.
    """

    weekday: int | None = None
    day_of_month: int | None = None
    month: int | None = None
    months_after: int = 0
    school_quarter: int | None = None
    school_year_end: bool = False
    after_end: bool = False
    working_days_after: int | None = None


def find_recurrence(text: str) -> tuple[Recurrence, TimingRule] | None:
    """Recognise a recurrence and its rule in normalised timing text."""
    school = find_school_quarter(text)
    if school is not None:
        return school

    if WEEKLY.search(text) or EVERY_WEEKDAY.search(text):
        return Recurrence.WEEKLY, TimingRule(weekday=find_weekday(text))

    if MONTHLY.search(text):
        return Recurrence.MONTHLY, deadline_rule(text)

    if QUARTERLY.search(text):
        return Recurrence.QUARTERLY, deadline_rule(text)

    if YEARLY.search(text):
        match = DAY_AND_MONTH.search(text)
        if match is None:
            return Recurrence.YEARLY, TimingRule()
        day, month = int(match.group(1)), month_number(match.group(2))
        return Recurrence.YEARLY, TimingRule(day_of_month=day, month=month)

    return None


def find_school_quarter(text: str) -> tuple[Recurrence, TimingRule] | None:
    """Recognise deadlines tied to school quarters or the end of the school year."""
    working_days = WORKING_DAYS.search(text)
    working_days_after = int(working_days.group(1)) if working_days else None

    year_end = SCHOOL_YEAR_END.search(text)
    if year_end is not None:
        rule = TimingRule(
            school_year_end=True,
            after_end=not year_end.group(1).startswith("в"),
            working_days_after=working_days_after,
        )
        return Recurrence.SCHOOL_QUARTER, rule

    quarter = SCHOOL_QUARTER.search(text)
    if quarter is None:
        return None

    named = ordinal(quarter.group(3)) if quarter.group(3) else None
    rule = TimingRule(
        school_quarter=named,
        after_end=not quarter.group(1).startswith("в"),
        working_days_after=working_days_after,
    )
    return Recurrence.SCHOOL_QUARTER, rule


def find_weekday(text: str) -> int | None:
    """The weekday named in "по пятницам" (0 is Monday), or None."""
    match = WEEKDAY.search(text)
    if match is None:
        return None
    return WEEKDAY_STEMS.index(match.group(1)) if match.group(1) in WEEKDAY_STEMS else 6


def deadline_rule(text: str) -> TimingRule:
    """The day of month of a monthly or quarterly deadline, and its month offset."""
    match = DAY_OF_MONTH.search(text)
    day = int(match.group(1)) if match else None
    months_after = 1 if FOLLOWING_PERIOD.search(text) else 0
    return TimingRule(day_of_month=day, months_after=months_after)


def is_weekday_remark(remark: str) -> bool:
    """Tell a parenthesised remark that only names a weekday ("(по пятницам)")."""
    return WEEKDAY.fullmatch(remark.strip()) is not None
