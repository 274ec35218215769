"""XLSX exports: the rows, real dates, frozen header, filters, text not formulas."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.builders import Republic, add_task
from tests.conftest import login
from tests.test_reports import fill_plan
from workflow.accounts import issue_token
from workflow.enums import State
from workflow.exports import FORMULA_STARTS, safe_text

HEADERS = [
    "План",
    "№",
    "Мероприятие",
    "Район (УНО)",
    "Организация",
    "Период",
    "Начало",
    "Срок",
    "Состояние",
    "Просрочено",
    "Сдал",
    "Сдано",
    "Утвердил",
    "Утверждено",
]


def _sheet(body: bytes):  # type: ignore[no-untyped-def]
    return load_workbook(BytesIO(body)).active


def test_xlsx_holds_the_expected_rows_with_real_dates(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    tasks = fill_plan(session, republic)
    login(client, republic.person("admin"))

    response = client.get("/reports/progress.xlsx?plan=all")

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = _sheet(response.data)
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert len(rows) == 1 + len(tasks)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:N{len(tasks) + 1}"

    approved = tasks["north-school-1/4"]
    row = next(r for r in rows[1:] if r[4] == "СОШ № 1 (north)" and r[1] == "4")
    assert row[0] == "Тестовый план"
    assert row[2] == "Мероприятие 4"
    assert row[3] == "УНО north"
    assert row[5] == approved.period_label
    assert isinstance(row[6], datetime) and row[6].date() == approved.start
    assert isinstance(row[7], datetime) and row[7].date() == approved.due
    assert row[8] == "Утверждено"
    assert row[10] == "head_north1"
    assert isinstance(row[11], datetime)
    assert row[12] == "uno_north"
    assert isinstance(row[13], datetime)
    number_format = sheet.cell(row=rows.index(row) + 1, column=8).number_format
    assert number_format == "DD.MM.YYYY"


def test_xlsx_follows_the_boards_filters(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    fill_plan(session, republic)
    login(client, republic.person("admin"))
    school = republic.orgs["south-school-2"].id

    response = client.get(f"/reports/progress.xlsx?plan=all&school={school}")

    rows = list(_sheet(response.data).iter_rows(values_only=True))[1:]
    assert [(r[1], r[4], r[8]) for r in rows] == [
        ("4", "СОШ № 2 (south)", "Сдано на утверждение")
    ]


def test_district_specialists_exports_hold_nothing_from_other_districts(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    fill_plan(session, republic)
    token = issue_token(session, republic.person("uno_north"))
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    south = republic.orgs["south"].id

    tasks_body = client.get("/reports/progress.xlsx?plan=all", headers=headers).data
    # Asking for another district by id changes nothing: it is out of scope.
    other = client.get(
        f"/reports/progress.xlsx?plan=all&district={south}", headers=headers
    ).data
    matrix_body = client.get("/reports/matrix.xlsx?plan=all", headers=headers).data

    cells = [
        str(value)
        for body in (tasks_body, other, matrix_body)
        for row in _sheet(body).iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    assert not any("south" in cell for cell in cells)
    assert any("north" in cell for cell in cells)
    assert len(list(_sheet(other).iter_rows())) == 1


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_formula_like_values_are_marked_as_text(start: str) -> None:
    value = f"{start}1+1"

    assert safe_text(value) == (value, True)
    assert safe_text("Мероприятие") == ("Мероприятие", False)


def test_formula_like_titles_come_out_as_text(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    dangerous = {
        "4": '=HYPERLINK("http://evil.example","click")',
        "5": "+1+1",
        "6": "-2+3",
        "3": "@SUM(A1:A2)",
        "2": "\tтаб",
        "1": "\rвозврат",
    }
    for number, title in dangerous.items():
        republic.items[number].title = title
    add_task(session, republic, "4", "north-school-1", state=State.APPROVED)
    for number in ("5", "6"):
        add_task(session, republic, number, "north-school-1")
    add_task(session, republic, "3", "north")
    add_task(session, republic, "2", "cit")
    add_task(session, republic, "1", "ministry", due=date(2999, 1, 1))
    session.commit()
    login(client, republic.person("admin"))

    for url in ("/reports/progress.xlsx?plan=all", "/reports/matrix.xlsx?plan=all"):
        sheet = _sheet(client.get(url).data)
        found = {}
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value in dangerous.values():
                    found[cell.value] = cell
        assert set(found) == set(dangerous.values()), url
        for cell in found.values():
            assert cell.data_type == "s"
            assert cell.quotePrefix is True
