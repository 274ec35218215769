"""Reading plan documents of every format, and refusing files that are not plans."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from workflow.plans import (
    MAX_PLAN_BYTES,
    ParsedPlan,
    PlanReadError,
    parse_plan,
    parsed_plan_to_json,
    read_plan,
)

HEADER = ["№", "Мероприятие", "Срок исполнения", "Ответственные"]
ROWS = [
    ["1.", "Совещание руководителей", "до 15 сентября 2021", "МП ПМР"],
    ["2.", "Отчёт о внедрении", "в конце каждой четверти", "Руководители ООО, УНО"],
]
HEADING = "План мероприятий на 2021-2022 учебный год"


def write_csv(path: Path, delimiter: str, encoding: str = "utf-8") -> bytes:
    """Write a small plan as CSV and return its bytes."""
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow([HEADING])
        writer.writerow(HEADER)
        writer.writerows(ROWS)
    return path.read_bytes()


def assert_small_plan(plan: ParsedPlan) -> None:
    """The small plan above, as a reviewer would check it."""
    assert plan.school_year == "2021-2022"
    assert [item.number for item in plan.items] == ["1", "2"]
    assert plan.items[0].title == "Совещание руководителей"
    assert plan.items[0].timing.due is not None
    assert plan.items[0].timing.due.isoformat() == "2021-09-15"
    assert [party.text for party in plan.items[1].responsible] == [
        "Руководители ООО",
        "УНО",
    ]


@pytest.mark.parametrize("delimiter", [";", ","])
def test_csv_round_trip(tmp_path: Path, delimiter: str) -> None:
    data = write_csv(tmp_path / "plan.csv", delimiter)

    assert_small_plan(parse_plan(data, "plan.csv"))


def test_xlsx_round_trip_with_columns_in_another_order(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([HEADING])
    sheet.append([])
    sheet.append(["Ответственные", "Срок исполнения", "№", "Мероприятие"])
    for number, title, timing, responsible in ROWS:
        sheet.append([responsible, timing, number, title])
    path = tmp_path / "plan.xlsx"
    workbook.save(path)

    plan = parse_plan(path.read_bytes(), "plan.xlsx")

    assert_small_plan(plan)
    assert read_plan(path.read_bytes(), "plan.xlsx").format == "xlsx"


def test_xlsx_date_cell_is_read_as_a_date(tmp_path: Path) -> None:
    import datetime

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([1, "Совещание", datetime.datetime(2022, 3, 1), "МП ПМР"])
    path = tmp_path / "plan.xlsx"
    workbook.save(path)

    item = parse_plan(path.read_bytes(), "plan.xlsx").items[0]

    assert item.number == "1"
    assert item.timing.text == "01.03.2022"


def test_docx_table_built_in_the_test(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph(HEADING)
    table = document.add_table(rows=0, cols=4)
    for cells in [HEADER, *ROWS]:
        row = table.add_row()
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    path = tmp_path / "plan.docx"
    document.save(path)

    assert_small_plan(parse_plan(path.read_bytes(), "plan.docx"))


def test_windows_1251_text_is_detected(seed_text: str) -> None:
    data = seed_text.encode("cp1251")

    plan = parse_plan(data, "plan.txt")

    assert plan.title.startswith("План-график мероприятий")
    assert plan.items[2].responsible[0].text == "ГУП «ЦИТ» МП ПМР"
    assert len(plan.items) == 14


def test_utf8_with_bom_reads_like_without(
    seed_text: str, seed_plan: ParsedPlan
) -> None:
    data = "\ufeff".encode() + seed_text.encode("utf-8")

    assert parsed_plan_to_json(parse_plan(data, "plan.txt")) == parsed_plan_to_json(
        seed_plan
    )


def test_table_without_responsible_column_is_read_with_a_warning() -> None:
    text = "№\tМероприятие\tСрок\n1.\tСовещание\tИюнь 2022\n"

    plan = parse_plan(text.encode(), "plan.txt")

    assert plan.items[0].responsible == []
    assert any("Ответственный" in message for _, message in plan.warnings)


def test_section_rows_with_restarting_numbering_get_unique_numbers() -> None:
    text = "\n".join(
        [
            "№\tНаименование мероприятия\tСроки\tИсполнитель",
            "I.\tОрганизационные мероприятия\t\t",
            "1.\tПриказ\tдо 1 сентября 2021\tМП ПМР",
            "2.\tСовещание\tсентябрь 2021\tУНО",
            "2.1\tПротокол совещания\tсентябрь 2021\tУНО",
            "II.\tОбучение\t\t",
            "1.\tСеминары\tоктябрь 2021\tИРОиПК",
        ]
    )

    plan = parse_plan(text.encode(), "plan.txt")

    assert [(item.number, item.parent) for item in plan.items] == [
        ("I", None),
        ("I.1", "I"),
        ("I.2", "I"),
        ("I.2.1", "I.2"),
        ("II", None),
        ("II.1", "II"),
    ]
    assert plan.items[0].title == "Организационные мероприятия"
    assert plan.items[0].is_section


def test_section_row_with_only_a_title_becomes_a_parent_item() -> None:
    text = "\n".join(
        [
            "№\tМероприятие\tДата\tОтветственный",
            "\tОрганизационные мероприятия\t\t",
            "1.\tПриказ\tдо 1 сентября 2021\tМП ПМР",
            "\tОбучение\t\t",
            "2.\tСеминары\tоктябрь 2021\tИРОиПК",
        ]
    )

    plan = parse_plan(text.encode(), "plan.txt")

    assert [(item.number, item.parent, item.title) for item in plan.items] == [
        ("I", None, "Организационные мероприятия"),
        ("1", "I", "Приказ"),
        ("II", None, "Обучение"),
        ("2", "II", "Семинары"),
    ]


def test_calendar_year_plan_places_bare_months_in_that_year() -> None:
    text = "План работы на 2022 год\n№\tМероприятие\tСрок\n1.\tОтчёт\tмарт\n"

    plan = parse_plan(text.encode(), "plan.txt")

    assert plan.school_year is None
    assert plan.calendar_year == 2022
    assert plan.items[0].timing.start is not None
    assert plan.items[0].timing.start.isoformat() == "2022-03-01"


def test_empty_file_is_refused() -> None:
    with pytest.raises(PlanReadError, match="пуст"):
        parse_plan(b"  \n", "plan.txt")


def test_text_without_a_table_is_refused() -> None:
    text = "Приказ № 289\nО внедрении электронного журнала\n".encode()

    with pytest.raises(PlanReadError, match="не найдена таблица"):
        parse_plan(text, "plan.txt")


def test_table_without_required_columns_is_refused() -> None:
    text = "№\tМероприятие\tОтветственный\n1.\tПриказ\tМП ПМР\n".encode()

    with pytest.raises(PlanReadError, match="нет столбца.*Срок"):
        parse_plan(text, "plan.txt")


def test_picture_renamed_docx_is_refused() -> None:
    picture = b"\x89PNG\r\n\x1a\n" + bytes(200)

    with pytest.raises(PlanReadError, match="изображение PNG") as raised:
        parse_plan(picture, "plan.docx")
    assert "plan.docx" in str(raised.value)


def test_corrupt_zip_is_refused() -> None:
    with pytest.raises(PlanReadError, match="повреждён"):
        parse_plan(b"PK\x03\x04" + bytes(100), "plan.docx")


def test_zip_that_is_not_an_office_document_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")

    with pytest.raises(PlanReadError, match="не документ Word"):
        parse_plan(buffer.getvalue(), "plan.docx")


def test_too_large_file_is_refused() -> None:
    data = b"x" * (MAX_PLAN_BYTES + 1)

    with pytest.raises(PlanReadError, match="больше 10 МБ"):
        parse_plan(data, "plan.txt")
