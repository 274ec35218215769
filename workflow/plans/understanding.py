"""Read a plan document and understand each item: its timing and its parties."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from workflow.plans.numbering import NumberedRow
from workflow.plans.parties import (
    Party,
    PartyDictionary,
    load_party_dictionary,
    understand_parties,
)
from workflow.plans.reading import read_plan
from workflow.plans.timing import Timing, TimingContext, understand_timing


@dataclass(frozen=True)
class ParsedItem:
    """One item of a plan with what was understood of it."""

    number: str
    parent: str | None
    title: str
    timing: Timing
    responsible: list[Party]
    is_section: bool = False


@dataclass(frozen=True)
class ParsedPlan:
    """A whole plan as understood, with every warning the reviewer must see."""

    title: str
    school_year: str | None
    calendar_year: int | None
    items: list[ParsedItem]
    warnings: list[tuple[str | None, str]] = field(default_factory=list)


def parse_plan(
    data: bytes, filename: str, dictionary: PartyDictionary | None = None
) -> ParsedPlan:
    """Read a plan document and understand its items; raises PlanReadError."""
    raw = read_plan(data, filename)
    heading = raw.heading
    context = TimingContext(heading.school_year_start, heading.calendar_year)

    # Aliases defined in one item ("(далее - …)") hold for the rest of this
    # plan only, so the plan works on its own copy of the dictionary.
    base = dictionary if dictionary is not None else load_party_dictionary()
    plan_dictionary = base.with_entries(())

    warnings = list(raw.warnings)
    if heading.school_year_start is None and heading.calendar_year is None:
        warnings.append(
            (
                None,
                "В заголовке плана не найден год (например, «в 2021-2022 учебном "
                "году» или «на 2022 год»): месяцы без года не поняты.",
            )
        )

    items: list[ParsedItem] = []
    for row in raw.rows:
        item, item_warnings = understand_row(row, context, plan_dictionary)
        items.append(item)
        warnings.extend((item.number, message) for message in item_warnings)

    title = heading.title or filename
    return ParsedPlan(
        title, heading.school_year, heading.calendar_year, items, warnings
    )


def understand_row(
    row: NumberedRow, context: TimingContext, dictionary: PartyDictionary
) -> tuple[ParsedItem, list[str]]:
    """Understand one numbered row; a section row has no timing or party to read."""
    if row.is_section and not row.timing and not row.responsible:
        item = ParsedItem(row.number, row.parent, row.title, Timing(text=""), [], True)
        return item, []

    timing = understand_timing(row.timing, context)
    parties, party_warnings = understand_parties(row.responsible, dictionary)
    warnings = [*timing.warnings, *party_warnings]
    if not parties and row.responsible == "":
        warnings.append("Не указан ответственный: укажите его при проверке.")

    item = ParsedItem(
        row.number, row.parent, row.title, timing, parties, row.is_section
    )
    return item, warnings


def iso(day: date | None) -> str | None:
    """A date as "YYYY-MM-DD", or None."""
    return day.isoformat() if day is not None else None


def parsed_plan_to_json(plan: ParsedPlan) -> dict[str, Any]:
    """The plan in the JSON shape of `flask plan parse` (see issue 3)."""
    return {
        "title": plan.title,
        "school_year": plan.school_year,
        "items": [
            {
                "number": item.number,
                "parent": item.parent,
                "title": item.title,
                "timing": {
                    "text": item.timing.text,
                    "start": iso(item.timing.start),
                    "due": iso(item.timing.due),
                    "recurrence": (
                        item.timing.recurrence.value if item.timing.recurrence else None
                    ),
                },
                "responsible": [
                    {
                        "text": party.text,
                        "role": party.role.value if party.role else None,
                        "level": party.level.value if party.level else None,
                        "agreed": party.agreed,
                    }
                    for party in item.responsible
                ],
            }
            for item in plan.items
        ],
        "warnings": [
            {"item": number, "message": message} for number, message in plan.warnings
        ],
    }
