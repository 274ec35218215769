"""Mail text, preference links and the ministry admin's mail viewer."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.builders import Republic, add_task
from tests.conftest import csrf_token_of, login
from workflow.delivery import deliver
from workflow.enums import State
from workflow.escalation import SweepSettings, sweep
from workflow.mail import (
    Addressee,
    MailRenderer,
    PreferenceTokenError,
    person_of_token,
    plural,
    preference_token,
)
from workflow.preferences import preference_of
from workflow.smtp import MailSettings

RENDERER = MailRenderer("https://plangraph.example", "secret", link_limit=3)
ADDRESSEE = Addressee(7, "uno@example.org", "Ирина Петровна")


def group(org_id: int, tasks: int, level: str = "1", **extra: Any) -> dict[str, Any]:
    """One group of a digest payload: an organisation's tasks of item 6.1."""
    values: dict[str, Any] = {
        "level": level,
        "plan_id": 1,
        "plan": "План-график «Элжур»",
        "item_id": 11,
        "item_number": "6.1",
        "item_title": "Введение данных",
        "org_id": org_id,
        "org": f"СОШ № {org_id}",
        "org_level": "school",
        "parent_org_id": 4,
        "tasks": [
            [org_id * 100 + number, f"2021-09-{10 + number:02d}", "2021-2022"]
            for number in range(tasks)
        ],
    }
    values.update(extra)
    return values


@pytest.mark.parametrize(
    ("count", "word"),
    [
        (1, "задача"),
        (2, "задачи"),
        (4, "задачи"),
        (5, "задач"),
        (11, "задач"),
        (12, "задач"),
        (14, "задач"),
        (21, "задача"),
        (22, "задачи"),
        (25, "задач"),
        (101, "задача"),
        (111, "задач"),
        (0, "задач"),
    ],
)
def test_russian_plural_forms(count: int, word: str) -> None:
    assert plural(count, "задача", "задачи", "задач") == word


def test_digest_subject_and_body_use_the_right_forms() -> None:
    one = RENDERER.digest(ADDRESSEE, [{"groups": [group(1, 1)]}])
    many = RENDERER.digest(ADDRESSEE, [{"groups": [group(1, 3), group(2, 2)]}])

    assert one.subject == "Просрочена 1 задача в 1 организации"
    assert many.subject == "Просрочено 5 задач в 2 организациях"
    assert "6.1 «Введение данных»: 5 задач в 2 организациях" in many.text
    assert "Здравствуйте, Ирина Петровна!" in many.text
    assert "Ирина Петровна" in many.html


def test_a_digest_lists_the_oldest_first_and_says_how_many_more() -> None:
    groups = [group(org_id, 1) for org_id in range(1, 8)]
    for found in groups:
        found["tasks"] = [[found["org_id"], f"2021-09-{30 - found['org_id']}", "x"]]
    digest = RENDERER.digest(ADDRESSEE, [{"groups": groups}])

    listed = re.findall(r"— СОШ № (\d+)", digest.text)
    assert listed == ["7", "6", "5"]
    assert "…и ещё 4 задачи в 4 организациях" in digest.text
    assert "https://plangraph.example/board?plan=1&overdue=1" in digest.text
    assert digest.html.count("<tr>") == 3


def test_rows_of_one_recipient_join_into_one_digest_without_repeats() -> None:
    first = {"groups": [group(1, 2)]}
    second = {"groups": [group(1, 2), group(2, 1)]}

    digest = RENDERER.digest(ADDRESSEE, [first, second])

    assert digest.subject == "Просрочены 3 задачи в 2 организациях"


def test_reminders_are_not_called_overdue() -> None:
    digest = RENDERER.digest(ADDRESSEE, [{"groups": [group(1, 2, level="reminder")]}])

    assert digest.subject == "Приближается срок: 2 задачи"
    assert "overdue=1" not in digest.text
    assert "Приближается срок выполнения" in digest.text


def test_html_bodies_escape_what_plans_contain() -> None:
    hostile = group(1, 1, item_title="<script>alert(1)</script>")
    digest = RENDERER.digest(ADDRESSEE, [{"groups": [hostile]}])

    assert "<script>" not in digest.html
    assert "&lt;script&gt;" in digest.html


def test_preference_tokens_name_one_person_and_refuse_tampering() -> None:
    token = preference_token("secret", 42)

    assert person_of_token("secret", token) == 42
    with pytest.raises(PreferenceTokenError):
        person_of_token("other-secret", token)
    with pytest.raises(PreferenceTokenError):
        person_of_token("secret", token[:-2] + "xx")


def test_preferences_open_from_the_link_without_signing_in(
    app: Flask, client: FlaskClient, session: Session, republic: Republic
) -> None:
    person = republic.person("head_north1")
    token = preference_token(app.config["SECRET_KEY"], person.id)

    page = client.get(f"/mail/preferences/{token}")
    saved = client.post(
        f"/mail/preferences/{token}",
        data={
            "csrf_token": csrf_token_of(page.get_data(as_text=True)),
            "timing": "daily",
            "unsubscribed": "y",
        },
    )
    missing = client.get(f"/mail/preferences/{token}x")

    assert page.status_code == 200
    assert person.email in page.get_data(as_text=True)
    assert saved.status_code == 302
    chosen = preference_of(session, person.id)
    assert chosen.daily_digest and chosen.unsubscribed
    assert missing.status_code == 404


def test_one_click_unsubscribe_needs_no_form(
    app: Flask, client: FlaskClient, session: Session, republic: Republic
) -> None:
    person = republic.person("uno_north")
    token = preference_token(app.config["SECRET_KEY"], person.id)

    response = client.post(
        f"/mail/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    assert preference_of(session, person.id).unsubscribed
    assert not preference_of(session, person.id).daily_digest


def test_the_mail_viewer_shows_what_would_be_sent_to_the_ministry_admin(
    app: Flask, client: FlaskClient, session: Session, republic: Republic
) -> None:
    add_task(
        session, republic, "4", "north-school-1", State.PLANNED, due=date(2021, 9, 1)
    )
    session.commit()
    sweep(session, SweepSettings(), now=datetime(2021, 9, 6, 6))
    deliver(session, MailSettings(secret_key="k"))
    head = republic.person("head_north1")

    login(client, republic.person("admin"))
    page = client.get("/mail").get_data(as_text=True)
    preview = client.get(f"/mail/preview/{head.id}/digest")

    assert 'data-smtp="off"' in page
    assert f'data-recipient="{head.email}"' in page
    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    assert "Просрочена 1 задача в 1 организации" in text
    assert "СОШ № 1 (north)" in text


def test_the_mail_viewer_shows_the_backlog_and_the_last_error(
    app: Flask, client: FlaskClient, session: Session, republic: Republic
) -> None:
    add_task(
        session, republic, "4", "north-school-1", State.PLANNED, due=date(2021, 9, 1)
    )
    session.commit()
    sweep(session, SweepSettings(), now=datetime(2021, 9, 6, 6))
    deliver(session, MailSettings(smtp_host="127.0.0.1", smtp_port=1, secret_key="k"))
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1)

    login(client, republic.person("admin"))
    page = client.get("/mail").get_data(as_text=True)

    assert 'data-smtp="off"' not in page
    assert "data-last-error" in page
    assert 'data-status="retrying"' in page


def test_only_the_ministry_admin_sees_the_mail_viewer(
    client: FlaskClient, republic: Republic
) -> None:
    anonymous = client.get("/mail")
    login(client, republic.person("uno_north"))
    specialist = client.get("/mail")

    assert anonymous.status_code == 302
    assert specialist.status_code == 404
