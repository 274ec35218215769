"""The school calendar: quarters, school holidays, public holidays and working days.

A Calendar is built from plain records, so the app can load it from database
rows as well as from the TSV files shipped in data/calendar/. It does no I/O
itself; load_calendar reads the two files.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path

CALENDAR_DATA = Path(__file__).resolve().parents[1] / "data" / "calendar"
SCHOOL_YEAR_FILE = "pmr-school-year-{first}-{second}.tsv"
NONWORKING_DAYS_FILE = "pmr-nonworking-days-{first}-{second}.tsv"

# A five-day week: Saturday and Sunday are days off unless a decree moves one.
WEEKEND = (5, 6)

ROMAN_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}

# Holidays that follow Orthodox Easter, with their distance from it in days:
# the PMR list puts "второй день Пасхи" on the Monday and "День поминовения
# усопших" on the Monday a week later.
EASTER_HOLIDAYS = (("поминовен", 8), ("радониц", 8), ("втор", 1), ("пасх", 0))


class CalendarDataError(ValueError):
    """A calendar record cannot be read; the message names the line to fix."""


class DataStatus(StrEnum):
    """Whether a calendar date was seen in an official source or assumed."""

    CONFIRMED = "confirmed"
    ASSUMED = "assumed"


class DayKind(StrEnum):
    """What makes a day special in the working-day calendar."""

    PUBLIC_HOLIDAY = "public_holiday"
    TRANSFERRED_DAY_OFF = "transferred_day_off"
    WORKING_SATURDAY = "working_saturday"


class TermKind(StrEnum):
    """A span of the school year: a quarter of lessons, or school holidays."""

    QUARTER = "quarter"
    SCHOOL_HOLIDAYS = "school_holidays"


@dataclass(frozen=True)
class SpecialDay:
    """A public holiday, a transferred day off or a working Saturday."""

    day: date
    kind: DayKind
    name: str
    status: DataStatus


@dataclass(frozen=True)
class SchoolTerm:
    """A quarter ("I четверть") or school holidays, first and last day included."""

    name: str
    kind: TermKind
    start: date
    end: date
    status: DataStatus

    @property
    def quarter_number(self) -> int | None:
        """1 to 4 for a quarter named "I четверть" … "IV четверть", else None."""
        if self.kind is not TermKind.QUARTER:
            return None
        return ROMAN_QUARTERS.get(self.name.split()[0].lower())

    @property
    def school_year(self) -> int:
        """The first calendar year of the school year this term belongs to."""
        return self.start.year if self.start.month >= 8 else self.start.year - 1


@dataclass(frozen=True)
class SchoolWeek:
    """A week with school days: its first and last school day (the weekly due)."""

    monday: date
    first_school_day: date
    last_school_day: date


class Calendar:
    """Answers working-day and school-day questions for one or more school years."""

    def __init__(self, terms: Iterable[SchoolTerm], days: Iterable[SpecialDay]) -> None:
        """Build a calendar from its records; later records for a day win."""
        self.terms = sorted(terms, key=lambda term: term.start)
        self.days = {special.day: special for special in days}

    def quarters(self) -> list[SchoolTerm]:
        """The school quarters in date order."""
        return [term for term in self.terms if term.kind is TermKind.QUARTER]

    def is_working_day(self, day: date) -> bool:
        """Tell whether people work on a day (holidays and transfers respected)."""
        special = self.days.get(day)
        if special is not None:
            return special.kind is DayKind.WORKING_SATURDAY
        return day.weekday() not in WEEKEND

    def is_school_day(self, day: date) -> bool:
        """Tell whether a day is a working day within a school quarter."""
        in_quarter = any(term.start <= day <= term.end for term in self.quarters())
        return in_quarter and self.is_working_day(day)

    def add_working_days(self, day: date, count: int) -> date:
        """The day that is count working days after a day (before it if negative)."""
        step = timedelta(days=1 if count >= 0 else -1)
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def next_working_day(self, day: date, *, inclusive: bool = False) -> date:
        """The first working day after a day (or the day itself when inclusive)."""
        if inclusive and self.is_working_day(day):
            return day
        return self.add_working_days(day, 1)

    def last_school_day(self, quarter: SchoolTerm) -> date:
        """The last working day of a quarter (its end may fall on a day off)."""
        day = quarter.end
        while day >= quarter.start and not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def school_weeks(
        self, start: date | None = None, end: date | None = None
    ) -> list[SchoolWeek]:
        """Every week with school days, in order, whose last school day is in range."""
        days_by_monday: dict[date, list[date]] = {}
        for quarter in self.quarters():
            day = quarter.start
            while day <= quarter.end:
                if self.is_working_day(day):
                    monday = day - timedelta(days=day.weekday())
                    days_by_monday.setdefault(monday, []).append(day)
                day += timedelta(days=1)

        weeks = [
            SchoolWeek(monday, min(days), max(days))
            for monday, days in sorted(days_by_monday.items())
        ]
        return [
            week
            for week in weeks
            if (start is None or week.last_school_day >= start)
            and (end is None or week.last_school_day <= end)
        ]

    def shifted(self, years: int) -> Calendar:
        """This calendar moved by whole years, for rolling a plan over.

        Quarters and school holidays move by the years and become assumed.
        Fixed-date public holidays move and keep their status; holidays that
        follow Easter are recomputed for the new year and are assumed.
        Known limitation: transferred days off and working Saturdays are set
        by a decree for each year, so they are dropped, not moved.
        """
        terms = [
            replace(
                term,
                start=shift_date(term.start, years),
                end=shift_date(term.end, years),
                status=DataStatus.ASSUMED,
            )
            for term in self.terms
        ]

        holidays: dict[date, SpecialDay] = {}
        for special in self.days.values():
            if special.kind is not DayKind.PUBLIC_HOLIDAY:
                continue
            for moved in shift_holiday(special, years):
                holidays.setdefault(moved.day, moved)

        return Calendar(terms, holidays.values())


def shift_date(day: date, years: int) -> date:
    """The same day some years later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def orthodox_easter(year: int) -> date:
    """Orthodox Easter Sunday (Julian computus, given in the Gregorian calendar)."""
    a, b, c = year % 4, year % 7, year % 19
    d = (19 * c + 15) % 30
    e = (2 * a + 4 * b - d + 34) % 7
    month, day = divmod(d + e + 114, 31)
    julian = date(year, month, day + 1)
    return julian + timedelta(days=year // 100 - year // 400 - 2)


def easter_offset(name: str) -> int | None:
    """Days from Easter of a holiday named after it, or None for other holidays."""
    lowered = name.lower()
    if (
        "пасх" not in lowered
        and "поминовен" not in lowered
        and "радониц" not in lowered
    ):
        return None
    return next(offset for word, offset in EASTER_HOLIDAYS if word in lowered)


def shift_holiday(special: SpecialDay, years: int) -> list[SpecialDay]:
    """A public holiday moved by years: fixed parts by date, Easter parts recomputed."""
    moved: list[SpecialDay] = []
    fixed_parts = []

    for part in re.split(r"[;+]", special.name):
        offset = easter_offset(part)
        if offset is None:
            fixed_parts.append(part.strip())
            continue
        easter = orthodox_easter(special.day.year + years)
        day = easter + timedelta(days=offset)
        moved.append(
            replace(special, day=day, name=part.strip(), status=DataStatus.ASSUMED)
        )

    if fixed_parts:
        fixed = replace(
            special, day=shift_date(special.day, years), name="; ".join(fixed_parts)
        )
        moved.insert(0, fixed)
    return moved


def normalise_status(text: str) -> DataStatus:
    """Read a free-text status ("confirmed (list); carry-over UNCONFIRMED").

    Only the first clause speaks of the day itself; a clause "by analogy" or
    "computed" means nobody saw it in a source.
    """
    first_clause = re.split(r"[;(]", text.lower())[0]
    doubtful = ("analogy", "unconfirmed", "computed", "assumed", "inferred")
    if first_clause.strip().startswith("confirmed") and not any(
        word in first_clause for word in doubtful
    ):
        return DataStatus.CONFIRMED
    return DataStatus.ASSUMED


def data_rows(text: str) -> list[dict[str, str]]:
    """The rows of a TSV with a header line, skipping '#' comment lines."""
    lines = [
        line for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    return list(csv.DictReader(io.StringIO("\n".join(lines)), delimiter="\t"))


def read_school_terms(text: str) -> list[SchoolTerm]:
    """Read quarters and school holidays from the school-year TSV."""
    terms = []
    for row in data_rows(text):
        name = row["period"].strip()
        lowered = name.lower()
        if "четверт" in lowered or "триместр" in lowered:
            kind = TermKind.QUARTER
        elif "каникул" in lowered:
            kind = TermKind.SCHOOL_HOLIDAYS
        else:
            raise CalendarDataError(
                f"Период «{name}»: не четверть и не каникулы. Исправьте название."
            )

        start, end = parse_iso(row["starts"]), parse_iso(row["ends"])
        terms.append(
            SchoolTerm(name, kind, start, end, normalise_status(row["status"]))
        )
    return terms


DAY_KINDS = {
    "holiday": DayKind.PUBLIC_HOLIDAY,
    "transferred day off": DayKind.TRANSFERRED_DAY_OFF,
    "working saturday": DayKind.WORKING_SATURDAY,
}


def read_special_days(text: str) -> list[SpecialDay]:
    """Read public holidays, transferred days off and working Saturdays."""
    days = []
    for row in data_rows(text):
        kind = DAY_KINDS.get(row["kind"].strip().lower())
        if kind is None:
            raise CalendarDataError(
                f"День {row['date']}: вид «{row['kind']}» неизвестен; допустимы "
                "holiday, transferred day off, working Saturday."
            )
        status = normalise_status(row["status"])
        days.append(
            SpecialDay(parse_iso(row["date"]), kind, row["name"].strip(), status)
        )
    return days


def parse_iso(text: str) -> date:
    """Read a "YYYY-MM-DD" date, explaining a bad one."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise CalendarDataError(f"«{text}» — не дата в виде ГГГГ-ММ-ДД.") from error


def load_calendar(first_year: int = 2021, folder: Path = CALENDAR_DATA) -> Calendar:
    """Load a school year's calendar from the two TSV files in data/calendar/."""
    names = {"first": first_year, "second": first_year + 1}
    school_year = (folder / SCHOOL_YEAR_FILE.format(**names)).read_text(
        encoding="utf-8"
    )
    nonworking = (folder / NONWORKING_DAYS_FILE.format(**names)).read_text(
        encoding="utf-8"
    )
    return Calendar(read_school_terms(school_year), read_special_days(nonworking))
