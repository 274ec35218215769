"""Give every row of a plan a unique number and a parent.

Plans number their measures "1.", "1.1", "6.1"; some group them in sections
("I.", "II", or a row with only a title), and some restart the numbering in
each section. Numbers stay unique within a plan: restarted numbers are
qualified by their section ("II.1").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}

ROMAN_DIGITS = (
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)

# Cyrillic letters that look like Roman digits; Word users type them often.
ROMAN_LOOKALIKES = str.maketrans({"І": "I", "Х": "X", "С": "C", "Ӏ": "I"})

NUMBER_PATTERN = re.compile(
    r"^(?:раздел\s+)?(?P<number>[IVXLC]+|\d+(?:\.\d+)*)[.)]?(?:\s+(?P<rest>.+))?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SourceRow:
    """One row of the plan's table as written, continuation lines joined."""

    number: str
    title: str
    timing: str
    responsible: str

    def extended(self, title: str, timing: str, responsible: str) -> SourceRow:
        """Return this row with a continuation line's cells appended to its own."""
        return replace(
            self,
            title=join_text(self.title, title),
            timing=join_text(self.timing, timing),
            responsible=join_text(self.responsible, responsible),
        )


@dataclass(frozen=True)
class NumberedRow:
    """A row with its unique number within the plan and its parent's number."""

    number: str
    parent: str | None
    title: str
    timing: str
    responsible: str
    is_section: bool


def join_text(first: str, second: str) -> str:
    """Join two pieces of a wrapped cell with one space."""
    return " ".join(part for part in (first, second) if part)


def to_roman(value: int) -> str:
    """Write a small positive number in Roman digits."""
    result = ""
    for amount, letters in ROMAN_DIGITS:
        while value >= amount:
            result += letters
            value -= amount
    return result


def roman_value(text: str) -> int | None:
    """Read Roman digits ("IV"), or None when the text is not Roman."""
    letters = text.upper().translate(ROMAN_LOOKALIKES)
    if not letters or any(letter not in ROMAN_VALUES for letter in letters):
        return None

    total = 0
    for index, letter in enumerate(letters):
        value = ROMAN_VALUES[letter]
        following = ROMAN_VALUES[letters[index + 1]] if index + 1 < len(letters) else 0
        total += -value if value < following else value
    return total if to_roman(total) == letters else None


@dataclass
class Entry:
    """A row on its way to a number: what it is and which section holds it."""

    row: SourceRow
    title: str
    local_number: str | None
    is_section: bool
    section: str | None


def number_rows(
    rows: list[SourceRow], has_number_column: bool
) -> tuple[list[NumberedRow], list[tuple[str | None, str]]]:
    """Number the rows of a plan and link each to its parent item."""
    warnings: list[tuple[str | None, str]] = []
    entries = classify_rows(rows, warnings)

    restarts = numbering_restarts(entries)
    auto_number = 0
    result: list[NumberedRow] = []
    used: set[str] = set()

    for entry in entries:
        if entry.is_section:
            number = entry.local_number or ""
            parent = None
        else:
            if entry.local_number is None:
                auto_number += 1
                entry.local_number = str(auto_number)
                if has_number_column:
                    warnings.append(
                        (
                            None,
                            f"У строки «{entry.title[:60]}» нет номера; ей дан номер "
                            f"{entry.local_number}.",
                        )
                    )
            number = qualified(entry.local_number, entry.section, restarts)
            parent = parent_of(entry, restarts, used)

        unique = unique_number(number, used)
        if unique != number:
            warnings.append(
                (
                    unique,
                    f"Номер {number} повторяется в плане; строке дан номер {unique}.",
                )
            )
        used.add(unique)
        result.append(
            NumberedRow(
                number=unique,
                parent=parent,
                title=entry.title,
                timing=entry.row.timing,
                responsible=entry.row.responsible,
                is_section=entry.is_section,
            )
        )

    if not has_number_column:
        warnings.append(
            (None, "В таблице нет столбца «№»: пункты пронумерованы по порядку.")
        )
    return result, warnings


def classify_rows(
    rows: list[SourceRow], warnings: list[tuple[str | None, str]]
) -> list[Entry]:
    """Tell sections from items and read each row's own number."""
    entries: list[Entry] = []
    section: str | None = None
    section_count = 0

    for row in rows:
        match = NUMBER_PATTERN.match(row.number.translate(ROMAN_LOOKALIKES))
        title = row.title
        if match and match.group("rest") and not title:
            title = match.group("rest")

        roman = roman_value(match.group("number")) if match else None
        only_title = not row.timing and not row.responsible
        if roman is not None and match is not None:
            section_count = max(section_count, roman)
            section = to_roman(roman)
            entries.append(Entry(row, title, section, True, None))
        elif match is not None:
            entries.append(Entry(row, title, match.group("number"), False, section))
        elif row.number or only_title:
            # A row with only a title, or a title written across the whole
            # row (it lands in the number cell), opens an unnumbered section.
            section_count += 1
            section = to_roman(section_count)
            entries.append(
                Entry(
                    row,
                    join_text(row.number, title) if row.number != title else title,
                    section,
                    True,
                    None,
                )
            )
        else:
            entries.append(Entry(row, title, None, False, section))

    return entries


def numbering_restarts(entries: list[Entry]) -> bool:
    """Tell whether item numbers restart in each section (so "1" appears twice)."""
    sections_by_number: dict[str, set[str | None]] = {}
    for entry in entries:
        if not entry.is_section and entry.local_number is not None:
            sections_by_number.setdefault(entry.local_number, set()).add(entry.section)
    return any(len(sections) > 1 for sections in sections_by_number.values())


def qualified(local_number: str, section: str | None, restarts: bool) -> str:
    """Prefix an item's number with its section when numbering restarts."""
    if restarts and section is not None:
        return f"{section}.{local_number}"
    return local_number


def parent_of(entry: Entry, restarts: bool, used: set[str]) -> str | None:
    """Find an item's parent: "6" for "6.1", else its section, else none."""
    local_number = entry.local_number or ""
    if "." in local_number:
        parent = qualified(local_number.rsplit(".", 1)[0], entry.section, restarts)
        if parent in used:
            return parent
    return entry.section


def unique_number(number: str, used: set[str]) -> str:
    """Return the number, or the number with "-2", "-3" appended when taken."""
    if number not in used:
        return number

    suffix = 2
    while f"{number}-{suffix}" in used:
        suffix += 1
    return f"{number}-{suffix}"
