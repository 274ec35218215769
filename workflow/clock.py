"""The one place that reads the clock, so tests can freeze it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# Pridnestrovie keeps the time of Chisinau; due dates are local calendar days.
LOCAL_ZONE = ZoneInfo("Europe/Chisinau")


def utcnow() -> datetime:
    """Return the current time in UTC as a naive datetime, as the database stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


def local_today() -> date:
    """Return today's date in the republic."""
    return datetime.now(LOCAL_ZONE).date()
