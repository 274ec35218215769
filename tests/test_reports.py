"""The progress matrix and the printable PDF report."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.orm import Session

from tests.builders import Republic, add_task
from tests.conftest import login
from workflow.accounts import issue_token
from workflow.board_filters import BoardFilters
from workflow.clock import local_today
from workflow.dashboard import progress_matrix
from workflow.demo import seed
from workflow.enums import Level, State
from workflow.models import Organisation, Person, Task
from workflow.scope import person_facts
from workflow.service import apply_transition

DEMO_TODAY = date(2026, 12, 3)


def fill_plan(session: Session, republic: Republic) -> dict[str, Task]:
    """Tasks in every organisation and state; one approved through the machine."""
    tasks: dict[str, Task] = {}
    for school in ("north-school-1", "north-school-2", "south-school-1"):
        tasks[f"{school}/4"] = add_task(session, republic, "4", school)
        tasks[f"{school}/5"] = add_task(
            session, republic, "5", school, state=State.IN_PROGRESS
        )
    tasks["south-school-2/4"] = add_task(
        session, republic, "4", "south-school-2", state=State.SUBMITTED
    )
    tasks["north/3"] = add_task(session, republic, "3", "north")
    tasks["south/3"] = add_task(session, republic, "3", "south")
    tasks["ministry/1"] = add_task(session, republic, "1", "ministry")
    tasks["cit/2"] = add_task(
        session, republic, "2", "cit", due=date(2999, 1, 1), state=State.IN_PROGRESS
    )
    session.commit()

    # One task goes the whole way: started, submitted by the head, approved by
    # the district, so the reports have someone who signed and someone who
    # approved.
    task = tasks["north-school-1/4"]
    head = person_facts(session, republic.person("head_north1").id)
    uno = person_facts(session, republic.person("uno_north").id)
    apply_transition(session, head, task.id, "start", version=None)
    apply_transition(session, head, task.id, "submit", version=None, comment="Сделано")
    apply_transition(session, uno, task.id, "approve", version=None)
    session.refresh(task)
    return tasks


def _counts_from_the_table(
    session: Session, today: date
) -> dict[tuple[int, int], tuple[int, int, int]]:
    """(item, district or own organisation) -> (total, approved, overdue), by SQL."""
    unit = case(
        (Organisation.level == Level.SCHOOL, Organisation.parent_id),
        else_=Organisation.id,
    )
    rows = session.execute(
        select(
            Task.item_id,
            unit,
            func.count(),
            func.sum(cast(Task.state == State.APPROVED, Integer)),
            func.sum(
                cast(and_(Task.due < today, Task.state != State.APPROVED), Integer)
            ),
        )
        .join(Organisation, Organisation.id == Task.org_id)
        .group_by(Task.item_id, unit)
    ).all()
    return {(item, org): (n, done, late) for item, org, n, done, late in rows}


def test_matrix_numbers_equal_counts_from_the_task_table(
    session: Session, republic: Republic
) -> None:
    fill_plan(session, republic)
    admin = person_facts(session, republic.person("admin").id)
    today = local_today()

    matrix = progress_matrix(session, admin, BoardFilters(), today)

    found = {
        (row.item_id, unit_id): (cell.total, cell.done, cell.overdue)
        for row in matrix.rows
        for unit_id, cell in row.cells.items()
    }
    assert found == _counts_from_the_table(session, today)
    assert matrix.total.total == session.scalar(select(func.count(Task.id)))
    assert matrix.total.done == 1
    district_units = [unit for unit in matrix.units if unit.by_district]
    assert {unit.key for unit in district_units} == {
        republic.orgs["north"].id,
        republic.orgs["south"].id,
    }


def test_matrix_inside_one_district_is_by_school(
    session: Session, republic: Republic
) -> None:
    fill_plan(session, republic)
    uno = person_facts(session, republic.person("uno_north").id)

    matrix = progress_matrix(session, uno, BoardFilters(), local_today())

    names = {unit.name for unit in matrix.units}
    assert names == {"УНО north", "СОШ № 1 (north)", "СОШ № 2 (north)"}
    assert matrix.total.total == 5
    assert not any(unit.by_district for unit in matrix.units)


def test_dashboard_cells_link_to_the_board_filtered_to_those_tasks(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    fill_plan(session, republic)
    login(client, republic.person("admin"))
    north = republic.orgs["north"].id
    item = republic.items["5"].id

    page = client.get("/reports?plan=all").get_data(as_text=True)

    link = f"/board?plan=all&amp;item={item}&amp;district={north}&amp;view=cards"
    assert link in page
    assert 'data-total="2"' in page

    board = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert board.count('data-task-id="') == 2


def _pdf_text(body: bytes, folder: Path) -> str:
    path = folder / "report.pdf"
    path.write_bytes(body)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    )
    return done.stdout


# Under CI a missing pdftotext fails the test instead of skipping it.
requires_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None and os.environ.get("CI") != "true",
    reason="pdftotext is missing (apt-get install poppler-utils; make chromium)",
)


@requires_pdftotext
def test_pdf_report_holds_the_cyrillic_title_every_item_and_who_signed(
    client: FlaskClient, session: Session, republic: Republic, tmp_path: Path
) -> None:
    fill_plan(session, republic)
    login(client, republic.person("admin"))

    response = client.get("/reports/progress.pdf?plan=all")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = _pdf_text(response.data, tmp_path)
    assert "Тестовый план" in text
    for number in ("1", "2", "3", "4", "5", "6"):
        assert f"Мероприятие {number}" in text
    assert "head_north1" in text
    assert "uno_north" in text
    assert "СОШ № 1 (north)" in text


@requires_pdftotext
def test_pdf_report_of_a_district_holds_nothing_from_another_district(
    client: FlaskClient, session: Session, republic: Republic, tmp_path: Path
) -> None:
    fill_plan(session, republic)
    token = issue_token(session, republic.person("uno_south"))
    session.commit()

    response = client.get(
        "/reports/progress.pdf?plan=all",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 200
    text = _pdf_text(response.data, tmp_path)
    assert "УНО south" in text
    assert "(south)" in text
    assert "north" not in text


def test_reports_need_a_session_or_a_token(
    client: FlaskClient, republic: Republic
) -> None:
    assert client.get("/reports/progress.pdf").status_code == 401
    assert client.get("/reports/progress.xlsx").status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert client.get("/reports/progress.xlsx", headers=bad).status_code == 401


def test_matrix_of_the_demo_republic_equals_counts_from_the_task_table(
    session: Session,
) -> None:
    seed(session, today=DEMO_TODAY)
    session.commit()
    admin = session.scalars(
        select(Person).where(Person.email == "admin@plangraph.demo")
    ).one()
    facts = person_facts(session, admin.id, DEMO_TODAY)

    matrix = progress_matrix(session, facts, BoardFilters(), DEMO_TODAY)

    found = {
        (row.item_id, unit_id): (cell.total, cell.done, cell.overdue)
        for row in matrix.rows
        for unit_id, cell in row.cells.items()
    }
    assert found == _counts_from_the_table(session, DEMO_TODAY)
    assert sum(1 for unit in matrix.units if unit.by_district) == 7
    assert matrix.total.overdue > 0
    assert 0 < matrix.total.done < matrix.total.total
