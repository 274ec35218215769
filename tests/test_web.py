"""The pages: sign-in, "my tasks", the task page and its forms."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, Republic, add_task
from tests.conftest import csrf_token_of, login
from workflow.enums import State
from workflow.models import AuditRecord, Task


def test_login_page_has_the_email_and_password_fields(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)

    assert 'name="email"' in page
    assert 'name="password"' in page
    assert 'name="csrf_token"' in page


def test_pages_need_a_signed_in_person(client: FlaskClient, republic: Republic) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: FlaskClient, republic: Republic, caplog: pytest.LogCaptureFixture
) -> None:
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    caplog.set_level(logging.WARNING)

    wrong = client.post(
        "/login",
        data={
            "email": republic.person("admin").email,
            "password": "not-the-password-123",
            "csrf_token": token,
        },
    )
    unknown = client.post(
        "/login",
        data={
            "email": "nobody@test.example",
            "password": "not-the-password-123",
            "csrf_token": token,
        },
    )

    assert wrong.status_code == unknown.status_code == 401
    message = "Неверный адрес электронной почты или пароль."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    assert "Login failed" in caplog.text
    assert "not-the-password-123" not in caplog.text


def test_session_cookie_is_httponly_and_samesite_lax(
    client: FlaskClient, republic: Republic
) -> None:
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={
            "email": republic.person("admin").email,
            "password": PASSWORD,
            "csrf_token": token,
        },
    )

    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_login_form_without_csrf_token_is_refused(
    client: FlaskClient, republic: Republic
) -> None:
    response = client.post(
        "/login",
        data={"email": republic.person("admin").email, "password": PASSWORD},
    )

    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_transition_form_without_csrf_token_is_refused_and_changes_nothing(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1")
    session.commit()
    login(client, republic.person("head_north1"))

    response = client.post(
        f"/tasks/{task.id}/transitions", data={"trigger": "start", "version": "1"}
    )

    assert response.status_code == 400
    session.expire_all()
    assert session.get(Task, task.id).state is State.PLANNED


def test_my_tasks_lists_what_the_person_can_act_on(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    mine = add_task(session, republic, "4", "north-school-1")
    submitted = add_task(
        session, republic, "4", "north-school-1", state=State.SUBMITTED
    )
    done = add_task(session, republic, "4", "north-school-1", state=State.APPROVED)
    elsewhere = add_task(session, republic, "4", "north-school-2")
    session.commit()
    login(client, republic.person("head_north1"))

    page = client.get("/").get_data(as_text=True)

    assert f'data-task-id="{mine.id}"' in page
    for task in (submitted, done, elsewhere):
        assert f'data-task-id="{task.id}"' not in page


def test_my_tasks_shows_the_approver_the_submitted_tasks_of_their_schools(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    north = add_task(session, republic, "4", "north-school-2", state=State.SUBMITTED)
    south = add_task(session, republic, "4", "south-school-1", state=State.SUBMITTED)
    session.commit()
    login(client, republic.person("uno_north"))

    page = client.get("/?state=submitted").get_data(as_text=True)

    assert f'data-task-id="{north.id}"' in page
    assert f'data-task-id="{south.id}"' not in page


def test_task_page_offers_allowed_actions_and_explains_refused_ones(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "5", "north-school-1", state=State.IN_PROGRESS)
    session.commit()
    login(client, republic.person("class_north1"))

    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)

    assert 'value="submit"' not in page
    assert "может только ведущий исполнитель" in page


def test_task_page_form_moves_the_task_and_records_history(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", state=State.IN_PROGRESS)
    session.commit()
    token = login(client, republic.person("head_north1"))

    response = client.post(
        f"/tasks/{task.id}/transitions",
        data={
            "trigger": "submit",
            "version": "1",
            "comment": "Приказ № 12 от 01.06",
            "csrf_token": token,
        },
        follow_redirects=True,
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Приказ № 12 от 01.06" in page
    session.expire_all()
    assert session.get(Task, task.id).state is State.SUBMITTED


def test_task_page_of_another_school_answers_404(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    theirs = add_task(session, republic, "4", "north-school-2")
    session.commit()
    token = login(client, republic.person("head_north1"))

    assert client.get(f"/tasks/{theirs.id}").status_code == 404
    assert client.get("/tasks/999999").status_code == 404
    response = client.post(
        f"/tasks/{theirs.id}/transitions",
        data={"trigger": "start", "version": "1", "csrf_token": token},
    )
    assert response.status_code == 404
    assert session.scalars(select(AuditRecord)).all() == []


def test_stale_form_says_someone_else_changed_the_task(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", version=3)
    session.commit()
    token = login(client, republic.person("head_north1"))

    response = client.post(
        f"/tasks/{task.id}/transitions",
        data={"trigger": "start", "version": "2", "csrf_token": token},
        follow_redirects=True,
    )

    assert "её изменил кто-то другой" in response.get_data(as_text=True)


def test_markup_in_titles_and_comments_shows_as_text(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    republic.items["4"].title = '<script>alert("t")</script>'
    task = add_task(session, republic, "4", "north-school-1", state=State.IN_PROGRESS)
    session.commit()
    token = login(client, republic.person("head_north1"))
    client.post(
        f"/tasks/{task.id}/transitions",
        data={
            "trigger": "submit",
            "version": "1",
            "comment": "<img src=x onerror=alert(1)>",
            "csrf_token": token,
        },
    )

    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)

    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_pages_are_russian_by_default_and_english_on_request(
    client: FlaskClient, republic: Republic
) -> None:
    russian = client.get("/login").get_data(as_text=True)
    english = client.get("/login?lang=en").get_data(as_text=True)

    assert "Вход" in russian
    assert "Sign in" in english
