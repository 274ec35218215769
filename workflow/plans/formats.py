"""Turn the bytes of a plan document into grids of cell text, whatever the format.

The format is told by the content, never by the file name: a ministry often
renames files, and a picture saved as ".docx" must fail with a clear message.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import docx
import openpyxl
from charset_normalizer import from_bytes
from docx.table import Table

from workflow.plans.errors import PlanReadError

logger = logging.getLogger(__name__)

# What python-docx, openpyxl and the XML and zip readers under them raise for
# a damaged document: a truncated part is an XML syntax error, a broken
# entry a zlib error, a missing part a KeyError.
DAMAGED_DOCUMENT_ERRORS: tuple[type[Exception], ...] = (
    KeyError,
    ValueError,
    SyntaxError,
    EOFError,
    IndexError,
    TypeError,
    zipfile.BadZipFile,
    zlib.error,
)

# A plan-schedule is a few pages; anything far larger is a wrong file, and
# reading it would hold a web worker for a long time.
MAX_PLAN_BYTES = 10 * 1024 * 1024

# One grid is a list of lines, each a list of cell texts. A paragraph of the
# heading is a line with one cell.
Grid = list[list[str]]

TEXT_DELIMITERS = ("\t", ";", ",")

# Magic numbers of files people attach by mistake, with a name for the message.
BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "изображение PNG"),
    (b"\xff\xd8\xff", "изображение JPEG"),
    (b"GIF8", "изображение GIF"),
    (b"BM", "изображение BMP"),
    (b"%PDF", "документ PDF"),
    (b"\xd0\xcf\x11\xe0", "документ старого формата Word/Excel (.doc/.xls)"),
    (b"Rar!", "архив RAR"),
    (b"7z\xbc\xaf", "архив 7-Zip"),
)


def extract_grids(data: bytes, filename: str) -> tuple[str, list[Grid]]:
    """Return the detected format and candidate grids of the document.

    A text file yields one candidate grid per delimiter (tab, ";", ","): the
    reader keeps the first one in which it finds a table header.
    """
    check_size(data, filename)

    if data.startswith(b"PK"):
        return read_zip_document(data, filename)

    for signature, kind in BINARY_SIGNATURES:
        if data.startswith(signature):
            raise PlanReadError(
                f"Файл «{filename}» — это {kind}, а не план-график. "
                "Загрузите документ Word (.docx), таблицу Excel (.xlsx) "
                "или текстовый файл (.txt, .csv)."
            )

    text = decode_text(data, filename)
    return "text", [split_text(text, delimiter) for delimiter in TEXT_DELIMITERS]


def check_size(data: bytes, filename: str) -> None:
    """Refuse an empty file and a file over MAX_PLAN_BYTES."""
    if not data.strip():
        raise PlanReadError(
            f"Файл «{filename}» пуст. Выберите файл с таблицей плана-графика."
        )

    if len(data) > MAX_PLAN_BYTES:
        raise too_large_error(filename)


def too_large_error(filename: str) -> PlanReadError:
    """The error for a file over MAX_PLAN_BYTES."""
    megabytes = MAX_PLAN_BYTES // (1024 * 1024)
    return PlanReadError(
        f"Файл «{filename}» больше {megabytes} МБ. План-график занимает "
        "несколько страниц: проверьте, тот ли это файл, или уберите из "
        "него рисунки."
    )


def read_zip_document(data: bytes, filename: str) -> tuple[str, list[Grid]]:
    """Read a DOCX or an XLSX, both of which are zip archives."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile as error:
        raise PlanReadError(
            f"Файл «{filename}» повреждён: архив документа не читается. "
            "Откройте его в Word или Excel, сохраните заново и загрузите снова."
        ) from error

    try:
        if "word/document.xml" in names:
            return "docx", [read_docx(data)]
        if any(name.startswith("xl/") for name in names):
            return "xlsx", read_xlsx(data)
    except DAMAGED_DOCUMENT_ERRORS as error:
        logger.warning("Plan document %s: damaged (%r)", filename, error)
        raise PlanReadError(
            f"Файл «{filename}» повреждён и не открывается. Откройте его в Word "
            "или Excel, сохраните заново и загрузите снова."
        ) from error

    raise PlanReadError(
        f"Файл «{filename}» — архив, но не документ Word (.docx) и не таблица "
        "Excel (.xlsx). Загрузите сам документ с планом-графиком."
    )


def read_docx(data: bytes) -> Grid:
    """Return the paragraphs and table rows of a DOCX in document order."""
    document = docx.Document(io.BytesIO(data))
    grid: Grid = []

    for block in document.iter_inner_content():
        if isinstance(block, Table):
            grid.extend(table_rows(block))
        else:
            grid.append([block.text])

    return grid


def table_rows(table: Any) -> Iterator[list[str]]:
    """Yield the rows of a Word table; a cell merged across columns is one cell."""
    for row in table.rows:
        cells: list[str] = []
        previous: Any = None

        for cell in row.cells:
            # python-docx repeats a horizontally merged cell once per grid
            # column; keep one copy so that columns line up with the header.
            if previous is not None and cell._tc is previous._tc:
                cells.append("")
            else:
                cells.append(cell.text)
            previous = cell

        yield cells


def read_xlsx(data: bytes) -> list[Grid]:
    """Return one grid per worksheet of an XLSX workbook."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    grids: list[Grid] = []

    for sheet in workbook.worksheets:
        grid = [
            [cell_text(value) for value in row]
            for row in sheet.iter_rows(values_only=True)
        ]
        grids.append(grid)

    workbook.close()
    return grids


def cell_text(value: object) -> str:
    """Write a spreadsheet value as the text a person sees in the cell."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def decode_text(data: bytes, filename: str) -> str:
    """Decode UTF-8 (with or without BOM), UTF-16 with BOM or Windows-1251."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")

    if b"\x00" in data:
        raise PlanReadError(
            f"Файл «{filename}» не является текстом или документом. Загрузите "
            "документ Word (.docx), таблицу Excel (.xlsx) или текстовый файл."
        )

    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass

    # Ministries still save text in Windows-1251; a file that is not valid
    # UTF-8 is almost always that. charset-normalizer only breaks a tie
    # with the rarer Cyrillic code pages.
    best = from_bytes(data).best()
    if best is not None and best.encoding in ("cp866", "koi8_r", "mac_cyrillic"):
        return str(best)
    return data.decode("cp1251", errors="replace")


def split_text(text: str, delimiter: str) -> Grid:
    """Split text into lines of cells; quoted cells may hold the delimiter."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [list(row) for row in reader]
