"""Russian date words: months, dates, years and the spans they name.

Functions here take text already lowered, with "ё" as "е", dashes as "-" and
"г."/"года" after a year removed (see timing.normalise_timing).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from workflow.plans.numbering import roman_value

# Stems of month names in any case ("июнь", "июня", "в июне") and their common
# abbreviations. "дек" must not take "декада".
MONTH_STEMS = (
    ("янв", 1),
    ("фев", 2),
    ("мар", 3),
    ("апр", 4),
    ("ма", 5),
    ("июн", 6),
    ("июл", 7),
    ("авг", 8),
    ("сен", 9),
    ("окт", 10),
    ("ноя", 11),
    ("дек", 12),
)

MONTH = (
    r"(?:янв\w*|фев\w*|мар\w*|апр\w*|ма[йяе]|июн\w*|июл\w*|авг\w*"
    r"|сен\w*|окт\w*|ноя\w*|дек(?!ад)\w*)\.?"
)
YEAR = r"\d{4}"

# The first month of a school year: August to December fall in its first
# calendar year, January to July in its second.
SCHOOL_YEAR_FIRST_MONTH = 8
SCHOOL_YEAR_OPENING_MONTH = 9

NUMERIC_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{4}|\d{2}))?$")
WORD_DATE = re.compile(rf"^(\d{{1,2}})\s+({MONTH})(?:\s+({YEAR}))?$")
MONTH_WITH_YEAR = re.compile(rf"^({MONTH})(?:\s+({YEAR}))?$")


class DateError(ValueError):
    """A phrase names a date that does not exist or cannot be placed in a year."""


@dataclass(frozen=True)
class YearContext:
    """The years a plan covers, used to place a month written without a year."""

    school_year_start: int | None = None
    calendar_year: int | None = None

    def year_of_month(self, month: int) -> int | None:
        """The year of a bare month: by the school year, else the calendar year."""
        if self.school_year_start is not None:
            return school_year_of_month(month, self.school_year_start)
        return self.calendar_year

    def window(self) -> tuple[date, date] | None:
        """The whole span the plan covers: 1 September to 31 August, or a year."""
        if self.school_year_start is not None:
            return school_year_window(self.school_year_start)
        if self.calendar_year is not None:
            return date(self.calendar_year, 1, 1), date(self.calendar_year, 12, 31)
        return None


def school_year_of_month(month: int, first_year: int) -> int:
    """The calendar year of a month within the school year starting in first_year."""
    return first_year if month >= SCHOOL_YEAR_FIRST_MONTH else first_year + 1


def school_year_window(first_year: int) -> tuple[date, date]:
    """1 September of the first year to 31 August of the second."""
    return date(first_year, SCHOOL_YEAR_OPENING_MONTH, 1), date(first_year + 1, 8, 31)


def month_number(word: str) -> int:
    """The number of a month named by any form of its Russian name."""
    for stem, number in MONTH_STEMS:
        if word.startswith(stem):
            return number
    raise DateError(f"«{word}» — не название месяца")


def last_day(year: int, month: int) -> date:
    """The last day of a month."""
    return date(year, month, calendar.monthrange(year, month)[1])


def make_date(year: int, month: int, day: int) -> date:
    """Build a date, or explain in Russian why it does not exist."""
    try:
        return date(year, month, day)
    except ValueError as error:
        raise DateError(f"даты {day:02d}.{month:02d}.{year} не существует") from error


def full_year(text: str) -> int:
    """Read a year written with two or four digits ("21" is 2021)."""
    year = int(text)
    return year + 2000 if year < 100 else year


def parse_day(fragment: str, context: YearContext) -> date | None:
    """Read one day: "15 сентября 2021", "30.03.2011", "01.09" (year from context)."""
    fragment = fragment.strip(" .,")
    numeric = NUMERIC_DATE.match(fragment)
    if numeric:
        day, month = int(numeric.group(1)), int(numeric.group(2))
        year_text = numeric.group(3)
        year = full_year(year_text) if year_text else context.year_of_month(month)
    else:
        worded = WORD_DATE.match(fragment)
        if worded is None:
            return None
        day, month = int(worded.group(1)), month_number(worded.group(2))
        year = int(worded.group(3)) if worded.group(3) else context.year_of_month(month)

    if year is None:
        raise DateError(
            "не указан год, и его не из чего взять: в заголовке плана нет года"
        )
    return make_date(year, month, day)


def parse_month(fragment: str) -> tuple[int, int | None] | None:
    """Read a month with an optional year: "июнь 2022", "сентябрь"."""
    match = MONTH_WITH_YEAR.match(fragment.strip(" .,"))
    if match is None:
        return None
    year = int(match.group(2)) if match.group(2) else None
    return month_number(match.group(1)), year


def month_span(month: int, year: int | None, context: YearContext) -> tuple[date, date]:
    """The first and last day of a month, its year from the context if not written."""
    if year is None:
        year = context.year_of_month(month)
    if year is None:
        raise DateError(
            "не указан год, и его не из чего взять: в заголовке плана нет года"
        )
    return date(year, month, 1), last_day(year, month)


def quarter_span(quarter_text: str, year: int) -> tuple[date, date]:
    """The span of a calendar quarter ("IV" or "4") of a year."""
    quarter = ordinal(quarter_text)
    if quarter is None or not 1 <= quarter <= 4:
        raise DateError(f"квартала «{quarter_text}» не бывает")
    first_month = 3 * (quarter - 1) + 1
    return date(year, first_month, 1), last_day(year, first_month + 2)


def half_span(half_text: str, year: int) -> tuple[date, date]:
    """The span of a half-year ("I полугодие") of a year."""
    half = ordinal(half_text)
    if half not in (1, 2):
        raise DateError(f"полугодия «{half_text}» не бывает")
    if half == 1:
        return date(year, 1, 1), date(year, 6, 30)
    return date(year, 7, 1), date(year, 12, 31)


def ordinal(text: str) -> int | None:
    """Read "II", "2" or "2-й" as 2."""
    text = re.sub(r"-?(?:й|ой|ий|го|е)$", "", text.strip())
    if text.isdigit():
        return int(text)
    return roman_value(text)
