"""Read a plan document into raw rows: find its table, columns and heading.

Nothing here interprets dates or parties; see timing.py and parties.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from workflow.plans.errors import PlanReadError
from workflow.plans.formats import Grid, extract_grids
from workflow.plans.heading import PlanHeading, read_heading
from workflow.plans.numbering import NumberedRow, SourceRow, number_rows


class Column(StrEnum):
    """A column of a plan's table, found by its heading."""

    NUMBER = "number"
    TITLE = "title"
    TIMING = "timing"
    RESPONSIBLE = "responsible"


# Heading words per column, checked in this order so that "Срок исполнения"
# is a timing and "Ответственный исполнитель" a responsible column.
COLUMN_HEADINGS: tuple[tuple[Column, re.Pattern[str]], ...] = (
    (Column.RESPONSIBLE, re.compile(r"ответствен|исполнител")),
    (Column.TIMING, re.compile(r"\b(срок|дата|даты|период|время)")),
    (Column.TITLE, re.compile(r"мероприят|наименован|содержан|меры|действи")),
    (Column.NUMBER, re.compile(r"^(№|n|no|номер|п/п|№\s*п/п|n\s*п/п)\.?$")),
)

REQUIRED_COLUMNS = (Column.TITLE, Column.TIMING)

# A header cell is short; a longer cell is a sentence of the heading text.
MAX_HEADER_CELL_LENGTH = 60


@dataclass(frozen=True)
class RawPlan:
    """A plan as read from its document, before timings and parties are understood."""

    format: str
    heading: PlanHeading
    rows: list[NumberedRow]
    warnings: list[tuple[str | None, str]] = field(default_factory=list)


def read_plan(data: bytes, filename: str) -> RawPlan:
    """Read a plan document (DOCX, XLSX, CSV/TSV or text) into raw numbered rows."""
    document_format, grids = extract_grids(data, filename)

    for grid in grids:
        header = find_header(grid)
        if header is None:
            continue

        header_index, columns = header
        return build_raw_plan(document_format, grid, header_index, columns, filename)

    raise no_table_error(grids, filename)


def build_raw_plan(
    document_format: str,
    grid: Grid,
    header_index: int,
    columns: dict[Column, int],
    filename: str,
) -> RawPlan:
    """Turn the lines of a grid below its header into numbered rows."""
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        names = ", ".join(COLUMN_NAMES_RU[column] for column in missing)
        raise PlanReadError(
            f"В таблице файла «{filename}» нет столбца: {names}. Подпишите "
            "столбцы таблицы (например, «№», «Мероприятие», «Срок», "
            "«Ответственный») и загрузите файл снова."
        )

    warnings: list[tuple[str | None, str]] = []
    if Column.RESPONSIBLE not in columns:
        warnings.append(
            (
                None,
                "В таблице нет столбца «Ответственный»: ответственных нужно "
                "указать вручную при проверке.",
            )
        )

    heading_lines = [" ".join(line).strip() for line in grid[:header_index]]
    source_rows = collect_rows(grid[header_index + 1 :], columns)
    if not source_rows:
        raise PlanReadError(
            f"В таблице файла «{filename}» нет ни одной строки с мероприятием "
            "под заголовком. Проверьте, что таблица заполнена."
        )

    numbered, numbering_warnings = number_rows(source_rows, Column.NUMBER in columns)
    warnings.extend(numbering_warnings)
    return RawPlan(document_format, read_heading(heading_lines), numbered, warnings)


COLUMN_NAMES_RU = {
    Column.NUMBER: "«№»",
    Column.TITLE: "«Мероприятие» (или «Наименование»)",
    Column.TIMING: "«Срок» (или «Дата», «Период»)",
    Column.RESPONSIBLE: "«Ответственный» (или «Исполнитель»)",
}


def no_table_error(grids: list[Grid], filename: str) -> PlanReadError:
    """Explain why no table header was found in any candidate grid."""
    has_table = any(
        sum(1 for cell in line if cell.strip()) >= 2 for grid in grids for line in grid
    )
    if has_table:
        return PlanReadError(
            f"В файле «{filename}» не найдена строка заголовков таблицы. Над "
            "таблицей должна быть строка с подписями столбцов: «№», "
            "«Мероприятие», «Срок», «Ответственный»."
        )
    return PlanReadError(
        f"В файле «{filename}» не найдена таблица. План-график должен быть "
        "таблицей со столбцами «№», «Мероприятие», «Срок», «Ответственный»."
    )


def classify_heading(cell: str) -> Column | None:
    """Tell which column a header cell names, if any."""
    text = " ".join(cell.lower().replace("ё", "е").split())
    if not text or len(text) > MAX_HEADER_CELL_LENGTH:
        return None

    for column, pattern in COLUMN_HEADINGS:
        if pattern.search(text):
            return column
    return None


def find_header(grid: Grid) -> tuple[int, dict[Column, int]] | None:
    """Find the first line naming at least two columns, and where each column is."""
    for index, line in enumerate(grid):
        columns = header_columns(line)
        if len(columns) >= 2 and Column.TITLE in columns:
            return index, columns
    return None


def header_columns(line: list[str]) -> dict[Column, int]:
    """Map each column named in a line to its position; the first naming wins."""
    columns: dict[Column, int] = {}
    for position, cell in enumerate(line):
        column = classify_heading(cell)
        if column is not None and column not in columns:
            columns[column] = position
    return columns


def collect_rows(lines: Grid, columns: dict[Column, int]) -> list[SourceRow]:
    """Collect table rows, joining continuation lines onto the row they continue."""
    rows: list[SourceRow] = []

    for line in lines:
        cells = {
            column: cell_at(line, position) for column, position in columns.items()
        }
        if not any(cells.values()) or is_column_index_line(line):
            continue

        # A repeated header (a table continued on the next page) is not a row.
        if len(header_columns(line)) >= 2:
            continue

        number = cells.get(Column.NUMBER, "")
        if not number and rows and is_continuation(cells):
            rows[-1] = rows[-1].extended(
                cells.get(Column.TITLE, ""),
                cells.get(Column.TIMING, ""),
                cells.get(Column.RESPONSIBLE, ""),
            )
            continue

        rows.append(
            SourceRow(
                number=number,
                title=cells.get(Column.TITLE, ""),
                timing=cells.get(Column.TIMING, ""),
                responsible=cells.get(Column.RESPONSIBLE, ""),
            )
        )

    return rows


def cell_at(line: list[str], position: int) -> str:
    """Return the stripped cell at a position, or "" past the end of a short line."""
    if position >= len(line):
        return ""
    return " ".join(line[position].split())


def is_column_index_line(line: list[str]) -> bool:
    """Tell a "1 | 2 | 3 | 4" line that numbers the columns under a header."""
    cells = [cell.strip() for cell in line if cell.strip()]
    return len(cells) >= 3 and cells == [
        str(index) for index in range(1, len(cells) + 1)
    ]


def is_continuation(cells: dict[Column, str]) -> bool:
    """Tell a wrapped line that continues the previous row from a section row.

    A line without a number continues the row above when it fills more than
    the title cell, or when its title goes on in lower case. A title alone
    starting with a capital is a section heading (a row with only a title).
    Known limitation: a wrapped title alone that goes on with a capital
    letter is therefore taken for a section.
    """
    other_cells = [
        text
        for column, text in cells.items()
        if column not in (Column.NUMBER, Column.TITLE)
    ]
    if any(other_cells):
        return True

    title = cells.get(Column.TITLE, "")
    return bool(title) and title[0].islower()
