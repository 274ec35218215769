"""The board page and its moves, as a browser without JavaScript sees them."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import Republic, add_task
from tests.conftest import login
from workflow.board_models import Comment
from workflow.enums import State
from workflow.models import AuditRecord, Task

MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _move(
    client: FlaskClient,
    token: str,
    task: Task,
    trigger: str,
    comment: str = "",
    version: int | None = None,
) -> tuple[int, dict[str, object]]:
    response = client.post(
        f"/board/tasks/{task.id}/move",
        data={
            "trigger": trigger,
            "version": str(task.version if version is None else version),
            "comment": comment,
        },
        headers={"X-CSRFToken": token},
    )
    return response.status_code, response.get_json()


def _cards(page: str) -> dict[str, str]:
    """Each card's task id with the column (data-state) it sits in."""
    return dict(
        re.findall(r'data-task-id="(\d+)" data-version="\d+" data-state="(\w+)"', page)
    )


def test_the_board_has_columns_and_cards_for_outside_tools(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    planned = add_task(session, republic, "4", "north-school-1")
    started = add_task(session, republic, "4", "north-school-1", State.IN_PROGRESS)
    elsewhere = add_task(session, republic, "4", "south-school-1")
    session.commit()
    login(client, republic.person("head_north1"))

    page = client.get("/board").get_data(as_text=True)

    for state in State:
        assert f'class="board-column" data-state="{state.value}"' in page
    cards = _cards(page)
    assert cards[str(planned.id)] == "planned"
    assert cards[str(started.id)] == "in_progress"
    assert str(elsewhere.id) not in cards
    assert f'data-task-id="{planned.id}" data-version="1"' in page


def test_cards_say_where_they_may_go_and_why_not(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1")
    session.commit()
    login(client, republic.person("head_north1"))

    page = client.get("/board").get_data(as_text=True)
    found = re.search(
        rf'data-task-id="{task.id}".*?data-moves=\'([^\']*)\'', page, re.S
    )
    assert found is not None
    moves = json.loads(found.group(1))

    assert moves["in_progress"]["trigger"] == "start"
    assert moves["in_progress"]["comment"] is False
    assert "trigger" not in moves["approved"]
    assert moves["approved"]["reason"]
    assert 'data-move-to="in_progress"' in page


def test_a_move_goes_through_the_transition_and_answers_with_the_card(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1")
    session.commit()
    token = login(client, republic.person("head_north1"))

    status, body = _move(client, token, task, "start")

    assert status == 200
    assert body["ok"] is True
    assert body["state"] == "in_progress"
    assert 'data-version="2"' in str(body["card"])
    session.expire_all()
    assert session.get(Task, task.id).state is State.IN_PROGRESS
    record = session.scalars(select(AuditRecord).where(AuditRecord.task_id == task.id))
    assert [r.trigger_name for r in record] == ["start"]


def test_submit_needs_a_comment_and_then_the_uno_approves_on_the_board(
    app: object, client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", State.IN_PROGRESS)
    session.commit()
    token = login(client, republic.person("head_north1"))

    status, body = _move(client, token, task, "submit")
    assert status == 422
    assert body["ok"] is False
    assert body["state"] == "in_progress"

    status, body = _move(client, token, task, "submit", comment="Приказ издан")
    assert status == 200

    approver = app.test_client()
    token = login(approver, republic.person("uno_north"))
    page = approver.get("/board?mine=1").get_data(as_text=True)
    assert _cards(page) == {str(task.id): "submitted"}
    status, body = _move(approver, token, task, "approve", version=2)
    assert (status, body["state"]) == (200, "approved")


def test_a_refused_move_says_why_in_words(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", State.SUBMITTED)
    session.commit()
    token = login(client, republic.person("head_north1"))

    status, body = _move(client, token, task, "approve")

    assert status == 403
    assert body["ok"] is False
    assert body["state"] == "submitted"
    assert "_" not in str(body["message"])
    assert len(str(body["message"])) > 20


def test_a_stale_card_gets_a_conflict_and_the_task_as_it_is(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1")
    session.commit()
    token = login(client, republic.person("head_north1"))
    assert _move(client, token, task, "start")[0] == 200

    status, body = _move(client, token, task, "start", version=1)

    assert status == 409
    assert body["state"] == "in_progress"
    assert body["version"] == 2


def test_a_task_outside_the_scope_is_not_found(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "south-school-1")
    session.commit()
    token = login(client, republic.person("head_north1"))

    status, _body = _move(client, token, task, "start")

    assert status == 404


def test_a_move_without_the_csrf_token_is_refused(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1")
    session.commit()
    login(client, republic.person("head_north1"))

    response = client.post(
        f"/board/tasks/{task.id}/move", data={"trigger": "start", "version": "1"}
    )

    assert response.status_code == 400
    session.expire_all()
    assert session.get(Task, task.id).state is State.PLANNED


def test_filters_live_in_the_url_and_combine(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    today = date.today()
    late = add_task(session, republic, "5", "north-school-1", due=today - timedelta(3))
    add_task(session, republic, "5", "north-school-1", due=today + timedelta(30))
    add_task(session, republic, "4", "north-school-1", due=today - timedelta(3))
    add_task(session, republic, "5", "north-school-2", due=today - timedelta(3))
    session.commit()
    login(client, republic.person("uno_north"))
    item = republic.items["5"].id
    school = republic.orgs["north-school-1"].id

    page = client.get(f"/board?item={item}&school={school}&overdue=1").get_data(
        as_text=True
    )

    assert _cards(page) == {str(late.id): "planned"}
    assert f'<option value="{item}" selected>' in page
    assert 'name="overdue" value="1" data-filter="overdue" checked' in page


def test_load_more_sends_the_next_cards_of_a_column(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    made = [add_task(session, republic, "4", "north-school-1") for _ in range(55)]
    session.commit()
    login(client, republic.person("head_north1"))

    page = client.get("/board").get_data(as_text=True)
    assert len(_cards(page)) == 50
    more = re.search(r'hx-get="([^"]+)"', page)
    assert more is not None
    rest = client.get(more.group(1).replace("&amp;", "&")).get_data(as_text=True)

    assert set(_cards(page)) | set(_cards(rest)) == {str(task.id) for task in made}
    assert "hx-get" not in rest


def test_swimlanes_and_the_grouped_view_render(
    app: object, client: FlaskClient, session: Session, republic: Republic
) -> None:
    add_task(session, republic, "4", "north-school-1")
    add_task(session, republic, "5", "south-school-1", State.SUBMITTED)
    session.commit()
    login(client, republic.person("uno_north"))
    for lanes in ("item", "org"):
        page = client.get(f"/board?lanes={lanes}").get_data(as_text=True)
        assert 'class="board-lane" data-lane="' in page

    admin = app.test_client()
    login(admin, republic.person("admin"))
    page = admin.get("/board").get_data(as_text=True)
    assert 'data-view="summary"' in page
    assert 'data-drill="district"' in page
    north = republic.orgs["north"].id
    page = admin.get(f"/board?view=summary&district={north}").get_data(as_text=True)
    assert 'data-drill="school"' in page
    assert 'data-by="school"' in page


def test_markup_in_names_titles_and_comments_shows_as_text(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    item = republic.items["4"]
    item.title = f"Title {MARKUP}"
    republic.orgs["north-school-1"].short_name = f"School {MARKUP}"
    republic.orgs["north-school-1"].name = f"School {MARKUP}"
    task = add_task(session, republic, "4", "north-school-1")
    task.period_label = MARKUP
    session.add(
        Comment(task_id=task.id, author_id=republic.person("admin").id, body=MARKUP)
    )
    republic.person("head_north1").name = f"Head {MARKUP}"
    session.commit()
    token = login(client, republic.person("head_north1"))

    pages = [
        client.get("/board").get_data(as_text=True),
        client.get("/board?lanes=item").get_data(as_text=True),
        client.get("/board?lanes=org").get_data(as_text=True),
        client.get(f"/tasks/{task.id}").get_data(as_text=True),
    ]
    status, body = _move(client, token, task, "start")
    assert status == 200
    pages.append(str(body["card"]))

    for page in pages:
        assert "<script>alert" not in page
        assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in pages[0]
