"""Spreadsheets of reports: one sheet, a frozen header row, filters, real dates.

Every text cell goes through `safe_text`: a value that a spreadsheet would read
as a formula (it starts with =, +, -, @, a tab or a carriage return) is
written as text, so a task title can never run code on the reader's machine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from workflow.dashboard import Matrix
from workflow.enums import State
from workflow.reports import Report

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"


@dataclass(frozen=True)
class Column:
    """One column: its header and its width in characters."""

    header: str
    width: int


# The headers of the task list, in the order of ReportRow's values below.
TASK_COLUMNS = (
    Column("План", 30),
    Column("№", 8),
    Column("Мероприятие", 60),
    Column("Район (УНО)", 22),
    Column("Организация", 30),
    Column("Период", 22),
    Column("Начало", 12),
    Column("Срок", 12),
    Column("Состояние", 16),
    Column("Просрочено", 12),
    Column("Сдал", 26),
    Column("Сдано", 17),
    Column("Утвердил", 26),
    Column("Утверждено", 17),
)

STATE_WORDS: Mapping[State, str] = {
    State.PLANNED: "Запланировано",
    State.IN_PROGRESS: "В работе",
    State.SUBMITTED: "Сдано на утверждение",
    State.APPROVED: "Утверждено",
}


def safe_text(value: str) -> tuple[str, bool]:
    """The text to store and whether it must be marked as text, never a formula."""
    return value, value.startswith(FORMULA_STARTS)


def tasks_workbook(report: Report) -> bytes:
    """The report's tasks as an XLSX file."""
    rows = [
        [
            report.plans.get(row.plan_id, ""),
            row.item_number,
            row.item_title,
            row.district,
            row.organisation,
            row.period,
            row.start,
            row.due,
            STATE_WORDS[row.state],
            "да" if row.overdue else "",
            row.submitted_by,
            row.submitted_at,
            row.approved_by,
            row.approved_at,
        ]
        for row in report.rows
    ]
    if report.truncated:
        rows.append(["Показаны не все задачи: сузьте фильтры."])
    return _workbook("Задачи", TASK_COLUMNS, rows)


def matrix_workbook(matrix: Matrix) -> bytes:
    """The progress matrix: items down, units across, "done / total (overdue)"."""
    columns = [Column("№", 8), Column("Мероприятие", 60)]
    columns += [Column(unit.name, 16) for unit in matrix.units]
    columns.append(Column("Итого", 16))
    rows: list[list[Any]] = []
    for line in matrix.rows:
        values: list[Any] = [line.number, line.title]
        for unit in matrix.units:
            cell = line.cells.get(unit.key)
            values.append(cell.label if cell is not None else "")
        values.append(line.total.label)
        rows.append(values)
    return _workbook("Ход выполнения", columns, rows)


def _workbook(
    title: str, columns: Sequence[Column], rows: Sequence[list[Any]]
) -> bytes:
    """One sheet with a bold, frozen, filtered header row; dates stay dates."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for index, column in enumerate(columns, start=1):
        _set(sheet.cell(row=1, column=index), column.header)
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.cell(row=1, column=index).alignment = Alignment(wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    for row_number, values in enumerate(rows, start=2):
        for index, value in enumerate(values, start=1):
            _set(sheet.cell(row=row_number, column=index), value)

    sheet.freeze_panes = "A2"
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 1)}"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _set(cell: Cell, value: Any) -> None:
    """Write one value: dates as dates, formula-like text as plain text."""
    if isinstance(value, datetime):
        cell.value = value
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif isinstance(value, str):
        text, as_text = safe_text(value)
        # openpyxl reads a string starting with "=" as a formula; set the value
        # first and then say it is a string, with Excel's quote prefix so that
        # editing the cell keeps it text.
        cell.value = text
        if as_text:
            cell.data_type = "s"
            cell.style = "Normal"
            cell.quotePrefix = True
    elif value is not None:
        cell.value = value
