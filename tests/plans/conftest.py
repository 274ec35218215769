"""Fixtures for the plan reader: the seed plan's files and the 2021-2022 calendar."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow.calendar import Calendar, load_calendar
from workflow.plans import ParsedPlan, TimingContext, parse_plan

DATA = Path(__file__).resolve().parents[2] / "data"
SEED_TXT = DATA / "plans" / "mp-pmr-2021-289-eljur.txt"
SEED_DOCX = DATA / "plans" / "mp-pmr-2021-289-eljur.docx"


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The seed plan as text (appendix 1 to order № 289)."""
    return SEED_TXT.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_plan() -> ParsedPlan:
    """The seed plan parsed from its text form."""
    return parse_plan(SEED_TXT.read_bytes(), SEED_TXT.name)


@pytest.fixture(scope="session")
def seed_docx_plan() -> ParsedPlan:
    """The seed plan parsed from its DOCX form."""
    return parse_plan(SEED_DOCX.read_bytes(), SEED_DOCX.name)


@pytest.fixture(scope="session")
def calendar_2021() -> Calendar:
    """The PMR calendar of the 2021-2022 school year, from data/calendar/."""
    return load_calendar(2021)


@pytest.fixture
def school_year_2021() -> TimingContext:
    """The timing context of a plan for the 2021-2022 school year."""
    return TimingContext(school_year_start=2021)
