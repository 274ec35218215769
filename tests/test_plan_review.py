"""Review and publish in the browser, corrections, and moving published due dates."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import Republic
from tests.conftest import login
from workflow.calendar_store import calendar_for_plan
from workflow.enums import Recurrence, Role, State
from workflow.models import Item, Plan, PlanStatus, Task
from workflow.plan_review import (
    ItemCorrection,
    PartyCorrection,
    PartyDictionaryEntry,
    PlanWarning,
    ReviewError,
    ReviewProblem,
    correct_item,
    import_plan,
)
from workflow.plans import MAX_PLAN_BYTES
from workflow.publishing import publish
from workflow.rescheduling import DueDateChange

SEED_TXT = (
    Path(__file__).resolve().parents[1] / "data" / "plans" / "mp-pmr-2021-289-eljur.txt"
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01"


def published_seed(session: Session, republic: Republic) -> Plan:
    """The seed plan imported and published to the test republic."""
    republic.orgs["cit"].code = "cit"
    plan = import_plan(session, SEED_TXT.read_bytes(), SEED_TXT.name)
    publish(session, plan, calendar_for_plan(session, plan, store=True))
    session.commit()
    return plan


def item_numbered(session: Session, plan: Plan, number: str) -> Item:
    """One item of a plan by its number."""
    return session.scalars(
        select(Item).where(Item.plan_id == plan.id, Item.number == number)
    ).one()


def correction_of(item: Item, **changes: object) -> ItemCorrection:
    """The item as it stands, with some fields changed."""
    fields: dict[str, object] = {
        "title": item.title,
        "timing_text": item.timing_text,
        "start": item.start,
        "due": item.due,
        "recurrence": item.recurrence,
        "parties": [
            PartyCorrection(
                party["text"],
                Role(party["role"]) if party.get("role") else None,
                bool(party.get("agreed")),
                party.get("org_code"),
            )
            for party in item.parties
        ],
    }
    fields.update(changes)
    return ItemCorrection(**fields)  # type: ignore[arg-type]


def test_moving_a_published_items_due_date_moves_unapproved_tasks_and_records_it(
    session: Session, republic: Republic
) -> None:
    plan = published_seed(session, republic)
    item = item_numbered(session, plan, "6.1")
    tasks = session.scalars(
        select(Task).where(Task.item_id == item.id).order_by(Task.id)
    ).all()
    tasks[0].state = State.APPROVED
    tasks[1].state = State.SUBMITTED
    session.commit()
    admin = republic.person("admin")

    result = correct_item(
        session,
        item,
        correction_of(item, due=date(2021, 9, 30)),
        calendar=calendar_for_plan(session, plan),
        changed_by_id=admin.id,
        reason="Продлено приказом № 300",
    )
    session.commit()

    session.expire_all()
    dues = {task.id: task.due for task in tasks}
    changes = session.scalars(
        select(DueDateChange).where(DueDateChange.item_id == item.id)
    ).all()
    assert result.rescheduled is not None
    assert (result.rescheduled.moved, result.rescheduled.kept_approved) == (3, 1)
    assert result.rescheduled.created == 0
    assert dues[tasks[0].id] == date(2021, 9, 15)
    assert all(dues[task.id] == date(2021, 9, 30) for task in tasks[1:])
    assert {change.task_id for change in changes} == {task.id for task in tasks[1:]}
    assert all(
        (change.old_due, change.new_due, change.changed_by_id, change.reason)
        == (date(2021, 9, 15), date(2021, 9, 30), admin.id, "Продлено приказом № 300")
        for change in changes
    )


def test_publishing_after_a_date_change_creates_no_second_task(
    session: Session, republic: Republic
) -> None:
    plan = published_seed(session, republic)
    item = item_numbered(session, plan, "6")
    approved = session.scalars(select(Task).where(Task.item_id == item.id)).first()
    assert approved is not None
    approved.state = State.APPROVED
    correct_item(
        session,
        item,
        correction_of(item, due=date(2021, 6, 25)),
        calendar=calendar_for_plan(session, plan),
        changed_by_id=None,
    )
    session.commit()
    before = session.scalar(select(func.count(Task.id)).where(Task.plan_id == plan.id))

    result = publish(session, plan, calendar_for_plan(session, plan))

    assert result.created == 0
    assert (
        session.scalar(select(func.count(Task.id)).where(Task.plan_id == plan.id))
        == before
    )


def test_longer_wait_after_each_quarter_moves_only_unapproved_quarter_tasks(
    session: Session, republic: Republic
) -> None:
    from workflow.plan_review import change_plan_settings
    from workflow.plans import PeriodSettings

    plan = published_seed(session, republic)
    item = item_numbered(session, plan, "11")
    first = session.scalars(
        select(Task).where(Task.item_id == item.id, Task.period_label == "I четверть")
    ).all()
    first[0].state = State.APPROVED
    session.commit()

    change_plan_settings(
        session,
        plan,
        PeriodSettings(working_days_after_quarter=10),
        calendar=calendar_for_plan(session, plan),
        changed_by_id=republic.person("admin").id,
    )
    session.commit()

    session.expire_all()
    assert first[0].due == date(2021, 11, 5)
    assert {task.due for task in first[1:]} == {date(2021, 11, 12)}
    assert plan.working_days_after_quarter == 10


def test_a_published_items_recurrence_cannot_change(
    session: Session, republic: Republic
) -> None:
    plan = published_seed(session, republic)
    item = item_numbered(session, plan, "8")

    with pytest.raises(ReviewError) as refused:
        correct_item(
            session,
            item,
            correction_of(item, recurrence=Recurrence.MONTHLY),
            calendar=calendar_for_plan(session, plan),
            changed_by_id=None,
        )

    assert refused.value.problem is ReviewProblem.RECURRENCE_FIXED


def upload(
    client: FlaskClient, token: str, content: bytes, name: str
) -> tuple[int, str, str]:
    """Post a document to the upload form; status, page and where it leads."""
    from io import BytesIO

    response = client.post(
        "/plans/upload",
        data={"csrf_token": token, "document": (BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    # The test client spools a large body to a temporary file it never closes.
    response.request.environ["wsgi.input"].close()
    return (
        response.status_code,
        response.get_data(as_text=True),
        response.headers.get("Location", ""),
    )


def test_admin_uploads_reviews_corrects_and_publishes_a_plan(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    republic.orgs["cit"].code = "cit"
    session.commit()
    token = login(client, republic.person("admin"))

    status, _, location = upload(client, token, SEED_TXT.read_bytes(), SEED_TXT.name)
    plan = session.scalars(select(Plan).order_by(Plan.id.desc())).first()
    assert plan is not None and status == 302
    assert location.endswith(f"/plans/{plan.id}")

    review = client.get(location).get_data(as_text=True)
    assert review.count('data-item="') == 14
    assert 'data-warning-count="1"' in review
    assert "по индивидуальному графику" in review  # item 4's warning is shown
    assert 'data-tasks="144"' in review  # item 8: 4 schools × 36 weeks

    item = item_numbered(session, plan, "6")
    form = client.get(f"/plans/{plan.id}/items/{item.id}").get_data(as_text=True)
    assert 'value="2021-06-10"' in form
    response = client.post(
        f"/plans/{plan.id}/items/{item.id}",
        data={
            "csrf_token": token,
            "title": "Издание приказов в ООО",
            "timing_text": "До 20 июня 2021",
            "start": "",
            "due": "2021-06-20",
            "recurrence": "",
            "parties-0-text": "Руководители ООО",
            "parties-0-role": "school_head",
            "parties-1-text": "Методисты по ИКТ",
            "parties-1-role": "ict_methodist",
            "parties-1-agreed": "y",
            "parties-2-text": "",
            "parties-2-role": "",
        },
    )
    assert response.status_code == 302

    session.expire_all()
    corrected = item_numbered(session, plan, "6")
    assert (corrected.title, corrected.due) == (
        "Издание приказов в ООО",
        date(2021, 6, 20),
    )
    assert [party["role"] for party in corrected.parties] == [
        "school_head",
        "ict_methodist",
    ]
    assert corrected.parties[1]["agreed"] is True

    published = client.post(f"/plans/{plan.id}/publish", data={"csrf_token": token})
    page = client.get(published.headers["Location"]).get_data(as_text=True)
    session.expire_all()
    tasks = session.scalar(select(func.count(Task.id)).where(Task.plan_id == plan.id))
    assert plan.status is PlanStatus.PUBLISHED
    assert f"{tasks} tasks created" in page or f"{tasks}" in page
    assert session.scalar(
        select(Task.due).where(Task.item_id == corrected.id).limit(1)
    ) == date(2021, 6, 20)

    client.post(f"/plans/{plan.id}/publish", data={"csrf_token": token})
    assert (
        session.scalar(select(func.count(Task.id)).where(Task.plan_id == plan.id))
        == tasks
    )


def test_editing_a_published_item_in_the_browser_records_the_reason(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    plan = published_seed(session, republic)
    item = item_numbered(session, plan, "13")
    token = login(client, republic.person("admin"))
    form = client.get(f"/plans/{plan.id}/items/{item.id}").get_data(as_text=True)
    assert "tasks that are not yet approved" in form or "не утверждены" in form

    client.post(
        f"/plans/{plan.id}/items/{item.id}",
        data={
            "csrf_token": token,
            "title": item.title,
            "timing_text": "Июль 2022",
            "start": "2022-07-01",
            "due": "2022-07-29",
            "recurrence": "",
            "parties-0-text": "МП ПМР",
            "parties-0-role": "ministry_specialist",
            "parties-1-text": "УНО",
            "parties-1-role": "district_specialist",
            "reason": "Совещание перенесено",
        },
    )

    change = session.scalars(
        select(DueDateChange).where(DueDateChange.item_id == item.id)
    ).one()
    assert (change.old_due, change.new_due) == (date(2022, 6, 30), date(2022, 7, 29))
    assert change.reason == "Совещание перенесено"
    assert change.changed_by_id == republic.person("admin").id


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.txt", b"   \n", "пуст"),
        ("plan.docx", PNG, "изображение PNG"),
        ("notes.txt", "Просто текст без таблицы.\n".encode(), "не найдена таблица"),
        ("huge.txt", b"x" * (MAX_PLAN_BYTES + 10), "больше 10 МБ"),
    ],
)
def test_a_bad_upload_shows_one_clear_message_and_stores_nothing(
    client: FlaskClient,
    session: Session,
    republic: Republic,
    name: str,
    content: bytes,
    expected: str,
) -> None:
    token = login(client, republic.person("admin"))
    plans_before = session.scalar(select(func.count(Plan.id)))

    status, page, _ = upload(client, token, content, name)

    errors = re.findall(r'class="flash flash-error"[^>]*>([^<]*)<', page)
    assert status == 400
    assert len(errors) == 1 and expected in errors[0]
    assert session.scalar(select(func.count(Plan.id))) == plans_before
    assert session.scalar(select(func.count(PlanWarning.id))) == 0


@pytest.mark.parametrize("person", ["minspec", "uno_north", "head_north1"])
def test_only_the_ministry_admin_reaches_the_plan_pages(
    client: FlaskClient, session: Session, republic: Republic, person: str
) -> None:
    plan = published_seed(session, republic)
    item = item_numbered(session, plan, "6")
    token = login(client, republic.person(person))

    pages = [
        client.get("/plans/"),
        client.get(f"/plans/{plan.id}"),
        client.get(f"/plans/{plan.id}/items/{item.id}"),
        client.get("/admin/parties"),
        client.get("/calendar/"),
        client.get("/calendar/2021"),
        client.post(f"/plans/{plan.id}/publish", data={"csrf_token": token}),
        client.post("/admin/parties", data={"csrf_token": token, "name": "X"}),
        client.post("/calendar/2021/setup", data={"csrf_token": token}),
    ]
    upload_status, _, _ = upload(client, token, SEED_TXT.read_bytes(), SEED_TXT.name)

    assert {page.status_code for page in pages} == {404}
    assert upload_status == 404
    assert session.scalar(select(func.count(Plan.id))) == 2
    home = client.get("/").get_data(as_text=True)
    assert "/plans/" not in home


def test_admin_teaches_a_party_name_and_the_next_upload_understands_it(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    token = login(client, republic.person("admin"))
    plan_text = SEED_TXT.read_text(encoding="utf-8").replace(
        "Педагоги ООО", "Отдел кадров школы"
    )

    client.post(
        "/admin/parties",
        data={"csrf_token": token, "name": "Отдел кадров школы", "role": "teacher"},
    )
    page = client.get("/admin/parties").get_data(as_text=True)
    upload(client, token, plan_text.encode(), "plan.txt")

    plan = session.scalars(select(Plan).order_by(Plan.id.desc())).first()
    assert plan is not None
    entry = session.scalars(select(PartyDictionaryEntry)).one()
    assert (entry.role, entry.level.value) == (Role.TEACHER, "school")
    assert 'data-entry="Отдел кадров школы"' in page
    assert item_numbered(session, plan, "7").parties[0]["role"] == "teacher"


def test_party_entry_for_an_unknown_organisation_is_refused(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    token = login(client, republic.person("admin"))

    response = client.post(
        "/admin/parties",
        data={
            "csrf_token": token,
            "name": "Республиканский центр",
            "role": "agency_staff",
            "org_code": "no-such-org",
        },
    )

    assert response.status_code == 200
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    assert session.scalar(select(func.count(PartyDictionaryEntry.id))) == 0


def test_rollover_in_the_browser_opens_the_copy_for_review(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    plan = published_seed(session, republic)
    token = login(client, republic.person("admin"))

    response = client.post(
        f"/plans/{plan.id}/rollover",
        data={"csrf_token": token, "school_year": "2025-2026"},
    )

    copy = session.scalars(
        select(Plan).where(Plan.rolled_over_from_id == plan.id)
    ).one()
    assert response.headers["Location"].endswith(f"/plans/{copy.id}")
    assert copy.school_year == "2025-2026"
    assert copy.status is PlanStatus.DRAFT
    page = client.get(f"/plans/{copy.id}").get_data(as_text=True)
    assert 'data-tasks="144"' in page or 'data-tasks="' in page


def test_applying_a_corrected_calendar_moves_unapproved_quarter_tasks(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    from workflow.calendar_store import CalendarTerm

    plan = published_seed(session, republic)
    item = item_numbered(session, plan, "10")
    first_quarter = session.scalars(
        select(Task).where(Task.item_id == item.id, Task.period_label == "I четверть")
    ).all()
    first_quarter[0].state = State.APPROVED
    term = session.scalars(
        select(CalendarTerm).where(CalendarTerm.name == "I четверть")
    ).one()
    term.ends = date(2021, 10, 22)
    session.commit()
    token = login(client, republic.person("admin"))

    response = client.post(f"/plans/{plan.id}/reschedule", data={"csrf_token": token})

    session.expire_all()
    assert response.status_code == 302
    assert first_quarter[0].due == date(2021, 10, 29)
    assert {task.due for task in first_quarter[1:]} == {date(2021, 10, 22)}
    moved = session.scalar(
        select(func.count(DueDateChange.id)).where(DueDateChange.item_id == item.id)
    )
    assert moved == len(first_quarter) - 1
