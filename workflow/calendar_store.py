"""The school calendar as data in the database, edited by the ministry admin.

One school year's rows: its quarters and school holidays (terms), and the
public holidays, transferred days off and working Saturdays (days) around it.
Publishing builds a `workflow.calendar.Calendar` from these rows. A school
year without rows is filled on first need from the TSV files shipped in
data/calendar/, or, when none ship for it, from the 2021-2022 calendar moved
by whole years with every date marked assumed.

Known limitation: correcting a school year's rows moves no task by itself;
published plans follow when the admin applies the calendar to them again
(`workflow.plan_review.reschedule_plan`), so that nobody's due date changes
unannounced.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Date, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflow.calendar import (
    CALENDAR_DATA,
    SCHOOL_YEAR_FILE,
    Calendar,
    DataStatus,
    DayKind,
    SchoolTerm,
    SpecialDay,
    TermKind,
    load_calendar,
)
from workflow.clock import local_today
from workflow.models import Base, Item, Plan, _enum

logger = logging.getLogger(__name__)

# The school year whose calendar ships with the product; other years without
# rows are this one moved by whole years.
SHIPPED_FIRST_YEAR = 2021
SCHOOL_YEAR = re.compile(r"^\s*(\d{4})(?:\s*[-–/]\s*(\d{4}))?\s*$")


class CalendarTerm(Base):
    """A quarter or school holidays of one school year, first and last day included."""

    __tablename__ = "calendar_terms"
    __table_args__ = (UniqueConstraint("school_year", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The first calendar year of the school year: 2021 for 2021-2022.
    school_year: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[TermKind] = mapped_column(_enum(TermKind))
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date)
    status: Mapped[DataStatus] = mapped_column(_enum(DataStatus))


class CalendarDay(Base):
    """A public holiday, a transferred day off or a working Saturday."""

    __tablename__ = "calendar_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[DayKind] = mapped_column(_enum(DayKind))
    name: Mapped[str] = mapped_column(String(300))
    status: Mapped[DataStatus] = mapped_column(_enum(DataStatus))


class CalendarSource(StrEnum):
    """Where a school year's calendar came from."""

    STORED = "stored"
    SHIPPED = "shipped"
    ASSUMED = "assumed"


class CalendarProblem(StrEnum):
    """Why a calendar edit was refused; pages turn these into sentences."""

    ENDS_BEFORE_STARTS = "ends_before_starts"
    NAME_TAKEN = "name_taken"
    DAY_TAKEN = "day_taken"
    NOT_FOUND = "not_found"


class CalendarEditError(ValueError):
    """A calendar edit cannot be saved; `problem` says why."""

    def __init__(self, message: str, problem: CalendarProblem) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True)
class TermFields:
    """What the admin types for a quarter or school holidays."""

    name: str
    kind: TermKind
    starts: date
    ends: date
    status: DataStatus


@dataclass(frozen=True)
class DayFields:
    """What the admin types for a special day."""

    day: date
    kind: DayKind
    name: str
    status: DataStatus


def school_year_of(day: date) -> int:
    """The first calendar year of the school year a day belongs to (August on)."""
    return day.year if day.month >= 8 else day.year - 1


def school_year_label(first_year: int) -> str:
    """ "2021-2022" for 2021."""
    return f"{first_year}-{first_year + 1}"


def parse_school_year(text: str) -> int:
    """Read "2021-2022" or "2021" as 2021; raise ValueError for anything else."""
    found = SCHOOL_YEAR.match(text)
    if found is None:
        raise ValueError(
            f"{text!r} is not a school year; write it as 2021-2022 (or 2021)."
        )
    first = int(found.group(1))
    if found.group(2) is not None and int(found.group(2)) != first + 1:
        raise ValueError(
            f"{text!r} is not a school year: the second year must follow the first."
        )
    return first


def day_window(first_year: int) -> tuple[date, date]:
    """The span of special days that a school year's calendar reads.

    Wider than the school year itself, so that working-day arithmetic near
    its ends and a plan's spring measures before it see their holidays.
    """
    return date(first_year, 1, 1), date(first_year + 1, 12, 31)


def stored_school_years(session: Session) -> list[int]:
    """The school years that have rows, in order."""
    return list(
        session.scalars(
            select(CalendarTerm.school_year)
            .distinct()
            .order_by(CalendarTerm.school_year)
        )
    )


def terms_of(session: Session, first_year: int) -> list[CalendarTerm]:
    """A school year's stored quarters and school holidays, in date order."""
    return list(
        session.scalars(
            select(CalendarTerm)
            .where(CalendarTerm.school_year == first_year)
            .order_by(CalendarTerm.starts, CalendarTerm.id)
        )
    )


def days_of(session: Session, first_year: int) -> list[CalendarDay]:
    """The stored special days from August of a school year to the next July."""
    return list(
        session.scalars(
            select(CalendarDay)
            .where(
                CalendarDay.day >= date(first_year, 8, 1),
                CalendarDay.day <= date(first_year + 1, 7, 31),
            )
            .order_by(CalendarDay.day)
        )
    )


def fallback_calendar(
    first_year: int, folder: Path = CALENDAR_DATA
) -> tuple[Calendar, CalendarSource]:
    """The calendar of a school year without rows: shipped, or assumed by moving."""
    names = {"first": first_year, "second": first_year + 1}
    if (folder / SCHOOL_YEAR_FILE.format(**names)).exists():
        return load_calendar(first_year, folder), CalendarSource.SHIPPED

    moved = load_calendar(SHIPPED_FIRST_YEAR, folder).shifted(
        first_year - SHIPPED_FIRST_YEAR
    )
    terms = [replace(term, status=DataStatus.ASSUMED) for term in moved.terms]
    days = [replace(day, status=DataStatus.ASSUMED) for day in moved.days.values()]
    return Calendar(terms, days), CalendarSource.ASSUMED


def store_school_year(
    session: Session, first_year: int, folder: Path = CALENDAR_DATA
) -> CalendarSource:
    """Fill a school year without rows from its fallback; days already stored win."""
    if terms_of(session, first_year):
        return CalendarSource.STORED

    calendar, source = fallback_calendar(first_year, folder)
    for term in calendar.terms:
        session.add(
            CalendarTerm(
                school_year=first_year,
                name=term.name,
                kind=term.kind,
                starts=term.start,
                ends=term.end,
                status=term.status,
            )
        )

    taken = set(
        session.scalars(
            select(CalendarDay.day).where(
                CalendarDay.day.in_([special.day for special in calendar.days.values()])
            )
        )
    )
    added = 0
    for special in sorted(calendar.days.values(), key=lambda found: found.day):
        if special.day in taken:
            continue
        session.add(
            CalendarDay(
                day=special.day,
                kind=special.kind,
                name=special.name[:300],
                status=special.status,
            )
        )
        added += 1
    session.flush()
    logger.info(
        "Calendar %s: stored %s terms and %s days (%s)",
        school_year_label(first_year),
        len(calendar.terms),
        added,
        source.value,
    )
    return source


def shipped_school_years(folder: Path = CALENDAR_DATA) -> list[int]:
    """The school years that have a shipped school-year file."""
    found = []
    for path in folder.glob(SCHOOL_YEAR_FILE.format(first="*", second="*")):
        years = re.findall(r"\d{4}", path.name)
        if years:
            found.append(int(years[0]))
    return sorted(found)


def calendar_for_years(
    session: Session, years: Iterable[int], *, store: bool = False
) -> Calendar:
    """The calendar of some school years from their rows.

    A year without rows is first stored from its fallback when `store` is
    true; otherwise its fallback is used without writing anything.
    """
    terms: list[SchoolTerm] = []
    days: dict[date, SpecialDay] = {}
    stored_days: dict[date, SpecialDay] = {}

    for first_year in sorted(set(years)):
        if store:
            store_school_year(session, first_year)
        rows = terms_of(session, first_year)
        if rows:
            terms.extend(term_of(row) for row in rows)
        else:
            fallback, _source = fallback_calendar(first_year)
            terms.extend(fallback.terms)
            days.update(fallback.days)

        start, end = day_window(first_year)
        for row in session.scalars(
            select(CalendarDay).where(CalendarDay.day >= start, CalendarDay.day <= end)
        ):
            stored_days[row.day] = SpecialDay(row.day, row.kind, row.name, row.status)

    days.update(stored_days)
    return Calendar(terms, days.values())


def term_of(row: CalendarTerm) -> SchoolTerm:
    """A stored term as the calendar's record."""
    return SchoolTerm(row.name, row.kind, row.starts, row.ends, row.status)


def plan_school_years(plan: Plan, items: Iterable[Item]) -> set[int]:
    """The school years a plan's recurring items run in (its own year at least)."""
    years: set[int] = set()
    if plan.school_year:
        years.add(parse_school_year(plan.school_year))
    for item in items:
        if item.recurrence is None:
            continue
        if item.start is not None:
            years.add(school_year_of(item.start))
        if item.due is not None:
            # A window that ends in August ends the school year before.
            years.add(school_year_of(item.due - timedelta(days=31)))
    return years or {school_year_of(local_today())}


def calendar_for_plan(session: Session, plan: Plan, *, store: bool = False) -> Calendar:
    """The calendar that places a plan's due dates."""
    items = session.scalars(select(Item).where(Item.plan_id == plan.id)).all()
    return calendar_for_years(session, plan_school_years(plan, items), store=store)


def save_term(
    session: Session, first_year: int, fields: TermFields, term_id: int | None = None
) -> CalendarTerm:
    """Add a term to a school year, or change one; names are unique in a year."""
    if fields.ends < fields.starts:
        raise CalendarEditError(
            f"Term {fields.name!r} ends before it starts.",
            CalendarProblem.ENDS_BEFORE_STARTS,
        )

    term = _term(session, first_year, term_id) if term_id else CalendarTerm()
    clash = session.scalar(
        select(CalendarTerm.id).where(
            CalendarTerm.school_year == first_year,
            CalendarTerm.name == fields.name,
            CalendarTerm.id != (term_id or 0),
        )
    )
    if clash is not None:
        raise CalendarEditError(
            f"The school year already has a term named {fields.name!r}.",
            CalendarProblem.NAME_TAKEN,
        )

    term.school_year = first_year
    term.name = fields.name
    term.kind = fields.kind
    term.starts = fields.starts
    term.ends = fields.ends
    term.status = fields.status
    session.add(term)
    session.flush()
    logger.info("Calendar term %s: saved %s", term.id, fields.name)
    return term


def delete_term(session: Session, first_year: int, term_id: int) -> None:
    """Remove a term from a school year."""
    session.delete(_term(session, first_year, term_id))
    session.flush()
    logger.info("Calendar term %s: deleted", term_id)


def _term(session: Session, first_year: int, term_id: int) -> CalendarTerm:
    term = session.get(CalendarTerm, term_id)
    if term is None or term.school_year != first_year:
        raise CalendarEditError(
            f"Term {term_id} is not in {school_year_label(first_year)}.",
            CalendarProblem.NOT_FOUND,
        )
    return term


def save_day(
    session: Session, fields: DayFields, day_id: int | None = None
) -> CalendarDay:
    """Add a special day, or change one; one record per date."""
    special = _day(session, day_id) if day_id else CalendarDay()
    clash = session.scalar(
        select(CalendarDay.id).where(
            CalendarDay.day == fields.day, CalendarDay.id != (day_id or 0)
        )
    )
    if clash is not None:
        raise CalendarEditError(
            f"{fields.day.isoformat()} already has a record; change that one.",
            CalendarProblem.DAY_TAKEN,
        )

    special.day = fields.day
    special.kind = fields.kind
    special.name = fields.name
    special.status = fields.status
    session.add(special)
    session.flush()
    logger.info("Calendar day %s: saved %s", special.id, fields.day.isoformat())
    return special


def delete_day(session: Session, day_id: int) -> None:
    """Remove a special day."""
    session.delete(_day(session, day_id))
    session.flush()
    logger.info("Calendar day %s: deleted", day_id)


def _day(session: Session, day_id: int) -> CalendarDay:
    special = session.get(CalendarDay, day_id)
    if special is None:
        raise CalendarEditError(
            f"Calendar day {day_id} does not exist.", CalendarProblem.NOT_FOUND
        )
    return special
