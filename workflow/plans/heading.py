"""Read a plan's title and its year from the text above its table."""

from __future__ import annotations

import re
from dataclasses import dataclass

TITLE_START = re.compile(r"^план\b|^план-график", re.IGNORECASE)

SCHOOL_YEAR = re.compile(
    r"(?P<first>\d{4})\s*[-–—/]\s*(?P<second>\d{2,4})\s*(?:гг?\.?\s*)?уч", re.IGNORECASE
)

CALENDAR_YEAR = re.compile(r"\b(?:на|в)\s+(?P<year>\d{4})\s*(?:г\.|год)", re.IGNORECASE)


@dataclass(frozen=True)
class PlanHeading:
    """What the heading says: the plan's title and the year it covers."""

    title: str
    school_year_start: int | None
    calendar_year: int | None

    @property
    def school_year(self) -> str | None:
        """The school year as "2021-2022", or None for a calendar-year plan."""
        if self.school_year_start is None:
            return None
        return f"{self.school_year_start}-{self.school_year_start + 1}"


def read_heading(lines: list[str]) -> PlanHeading:
    """Find the title ("План-график …") and the school or calendar year."""
    lines = [" ".join(line.split()) for line in lines if line.strip()]

    start = next(
        (index for index, line in enumerate(lines) if TITLE_START.match(line)), None
    )
    title_lines = lines[start:] if start is not None else lines[-3:]
    title = " ".join(title_lines)

    # The title names the plan's year; the order's own date above it does not.
    school_year_start = find_school_year(title) or find_school_year(" ".join(lines))
    calendar_year = None
    if school_year_start is None:
        match = CALENDAR_YEAR.search(title)
        calendar_year = int(match.group("year")) if match else None

    return PlanHeading(title, school_year_start, calendar_year)


def find_school_year(text: str) -> int | None:
    """Return the first year of "2021-2022 учебный год" (or "2021/22 уч. г.")."""
    match = SCHOOL_YEAR.search(text)
    if match is None:
        return None

    first = int(match.group("first"))
    second_text = match.group("second")
    second = (
        int(second_text)
        if len(second_text) == 4
        else first // 100 * 100 + int(second_text)
    )
    return first if second == first + 1 else None
