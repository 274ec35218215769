"""`flask plan parse|import|publish|rollover` and `flask calendar load`."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import Republic
from workflow.calendar_store import CalendarTerm
from workflow.models import Item, Plan, Task
from workflow.plans import MAX_PLAN_BYTES

SEED = Path(__file__).resolve().parents[1] / "data" / "plans"
SEED_TXT = SEED / "mp-pmr-2021-289-eljur.txt"
SEED_DOCX = SEED / "mp-pmr-2021-289-eljur.docx"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01"


def run(app: Flask, *args: str) -> tuple[int, str, str]:
    """Run a command; its exit code, stdout and stderr."""
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.stdout, result.stderr


def truncated_docx() -> bytes:
    """The seed DOCX with its document part cut in half, as a broken copy has it."""
    cut = io.BytesIO()
    with zipfile.ZipFile(SEED_DOCX) as source, zipfile.ZipFile(cut, "w") as target:
        for name in source.namelist():
            part = source.read(name)
            if name == "word/document.xml":
                part = part[: len(part) // 2]
            target.writestr(name, part)
    return cut.getvalue()


def count(session: Session, model: type[Plan] | type[Item] | type[Task]) -> int:
    """How many rows a table has now."""
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_parse_prints_the_same_json_for_the_seed_text_and_docx(
    app: Flask, session: Session
) -> None:
    text_code, text_json, _ = run(app, "plan", "parse", str(SEED_TXT))
    docx_code, docx_json, _ = run(app, "plan", "parse", str(SEED_DOCX))

    parsed = json.loads(text_json)
    assert text_code == docx_code == 0
    assert parsed == json.loads(docx_json)
    assert parsed["school_year"] == "2021-2022"
    assert [item["number"] for item in parsed["items"]] == [
        "1", "2", "3", "4", "5", "6", "6.1", "7", "8", "9", "10", "11", "12", "13",
    ]  # fmt: skip
    assert parsed["items"][8]["timing"] == {
        "text": "еженедельно",
        "start": "2021-09-01",
        "due": "2022-08-31",
        "recurrence": "weekly",
    }
    assert "Элжур" in text_json  # printed as is, not as \u escapes
    assert count(session, Plan) == 0


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.txt", b"", "пуст"),
        ("picture.docx", PNG, "изображение PNG"),
        ("missing.txt", None, "не найден"),
        ("huge.txt", "large", "больше 10 МБ"),
        ("half.docx", "truncated", "повреждён"),
    ],
)
def test_parse_refuses_an_unreadable_file_with_status_2_and_one_line(
    app: Flask,
    session: Session,
    tmp_path: Path,
    name: str,
    content: bytes | str | None,
    expected: str,
) -> None:
    path = tmp_path / name
    if content == "large":
        with path.open("wb") as sparse:
            sparse.truncate(MAX_PLAN_BYTES + 1)
    elif content == "truncated":
        path.write_bytes(truncated_docx())
    elif isinstance(content, bytes):
        path.write_bytes(content)

    code, stdout, stderr = run(app, "plan", "parse", str(path))

    assert code == 2
    assert stdout == ""
    assert len(stderr.strip().splitlines()) == 1
    assert expected in stderr
    assert count(session, Plan) == 0


def test_import_stores_a_draft_and_reports_items_and_warnings(
    app: Flask, session: Session, republic: Republic
) -> None:
    before = count(session, Plan)

    code, stdout, _ = run(app, "plan", "import", str(SEED_TXT))

    assert code == 0
    assert count(session, Plan) == before + 1
    assert "14 items, 1 warnings" in stdout
    assert "warning, item 4:" in stdout
    assert "published" not in stdout


def test_import_with_publish_creates_the_tasks_and_says_how_many(
    app: Flask, session: Session, republic: Republic
) -> None:
    tasks_before = count(session, Task)

    code, stdout, _ = run(app, "plan", "import", str(SEED_DOCX), "--publish")

    created = count(session, Task) - tasks_before
    assert code == 0
    assert f"published, {created} tasks created, 0 already existed." in stdout
    assert "item 8: 144 tasks created" in stdout
    assert count(session, CalendarTerm) == 7  # 2021-2022 stored on first need


def test_import_of_a_bad_file_stores_nothing(
    app: Flask, session: Session, republic: Republic, tmp_path: Path
) -> None:
    picture = tmp_path / "plan.docx"
    picture.write_bytes(PNG)
    before = (count(session, Plan), count(session, Item), count(session, Task))

    code, stdout, stderr = run(app, "plan", "import", str(picture), "--publish")

    assert code == 2
    assert len(stderr.strip().splitlines()) == 1
    assert (count(session, Plan), count(session, Item), count(session, Task)) == before


def test_publish_command_twice_creates_nothing_the_second_time(
    app: Flask, session: Session, republic: Republic
) -> None:
    run(app, "plan", "import", str(SEED_TXT))
    plan_id = session.scalar(select(func.max(Plan.id)))
    run(app, "plan", "publish", str(plan_id))
    tasks = count(session, Task)

    code, stdout, _ = run(app, "plan", "publish", str(plan_id))

    assert code == 0
    assert "0 tasks created" in stdout
    assert count(session, Task) == tasks


def test_rollover_command_makes_a_copy_once_and_publishes_it(
    app: Flask, session: Session, republic: Republic
) -> None:
    run(app, "plan", "import", str(SEED_TXT))
    source_id = session.scalar(select(func.max(Plan.id)))

    first = run(
        app, "plan", "rollover", str(source_id), "--to", "2026-2027", "--publish"
    )
    tasks = count(session, Task)
    again = run(app, "plan", "rollover", str(source_id), "--to", "2026-2027")

    copy = session.scalars(select(Plan).where(Plan.school_year == "2026-2027")).one()
    assert first[0] == again[0] == 0
    assert f"rolled over to 2026-2027 as plan {copy.id}" in first[1]
    assert "tasks created" in first[1]
    assert "nothing created" in again[1]
    assert count(session, Task) == tasks
    assert copy.rolled_over_from_id == source_id


@pytest.mark.parametrize(
    ("target", "message"),
    [("2021-2022", "already in 2021-2022"), ("next year", "not a school year")],
)
def test_rollover_command_refuses_a_wrong_school_year(
    app: Flask, session: Session, republic: Republic, target: str, message: str
) -> None:
    run(app, "plan", "import", str(SEED_TXT))
    source_id = session.scalar(select(func.max(Plan.id)))

    code, _, stderr = run(app, "plan", "rollover", str(source_id), "--to", target)

    assert code == 2
    assert message in stderr


def test_calendar_load_stores_the_shipped_school_year_once(
    app: Flask, session: Session
) -> None:
    first = run(app, "calendar", "load")
    again = run(app, "calendar", "load")

    assert "Calendar 2021-2022: stored (shipped)." in first[1]
    assert "already in the database" in again[1]
    assert count(session, CalendarTerm) == 7
