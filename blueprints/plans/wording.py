"""Words a person reads for plan review's codes: recurrences, weekdays, reasons."""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from workflow.enums import Recurrence
from workflow.publishing import UnplacedReason

RECURRENCE_NAMES: dict[Recurrence, LazyString] = {
    Recurrence.WEEKLY: _l("Every school week"),
    Recurrence.MONTHLY: _l("Every month"),
    Recurrence.QUARTERLY: _l("Every calendar quarter"),
    Recurrence.SCHOOL_QUARTER: _l("School quarters or school year"),
    Recurrence.YEARLY: _l("Every year"),
}

WEEKDAY_NAMES: tuple[LazyString, ...] = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)

MONTH_NAMES: tuple[LazyString, ...] = (
    _l("January"),
    _l("February"),
    _l("March"),
    _l("April"),
    _l("May"),
    _l("June"),
    _l("July"),
    _l("August"),
    _l("September"),
    _l("October"),
    _l("November"),
    _l("December"),
)

UNPLACED_REASONS: dict[UnplacedReason, LazyString] = {
    UnplacedReason.NO_LEVEL: _l(
        "Nobody responsible is known: choose the lead party's role, or no "
        "tasks will be made."
    ),
    UnplacedReason.NO_ORGANISATION: _l(
        "No organisation of that level (or with that code) exists: no tasks "
        "will be made."
    ),
}

ROMAN = ("I", "II", "III", "IV")


def rule_summary(rule: dict[str, Any]) -> str:
    """The details of a recurrence in words ("Friday; 5 working days after")."""
    parts: list[str] = []
    if rule.get("weekday") is not None:
        parts.append(str(WEEKDAY_NAMES[int(rule["weekday"])]))
    if rule.get("school_year_end"):
        parts.append(_("at the end of the school year"))
    elif rule.get("school_quarter"):
        parts.append(_("quarter %(number)s", number=ROMAN[rule["school_quarter"] - 1]))
    if rule.get("day_of_month"):
        parts.append(_("by day %(day)s", day=rule["day_of_month"]))
    if rule.get("month"):
        parts.append(str(MONTH_NAMES[int(rule["month"]) - 1]))
    if rule.get("months_after"):
        parts.append(_("of the following month"))
    if rule.get("after_end"):
        days = rule.get("working_days_after")
        parts.append(
            _("%(days)s working days after it ends", days=days)
            if days is not None
            else _("working days after it ends (plan setting)")
        )
    return "; ".join(parts)
