"""The JSON API: authentication, lists, transitions and their error answers."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.builders import Republic, add_task
from tests.conftest import login
from workflow.accounts import issue_token
from workflow.enums import State


def bearer(session: Session, republic: Republic, name: str) -> dict[str, str]:
    token = issue_token(session, republic.person(name))
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_api_without_credentials_answers_401(
    client: FlaskClient, republic: Republic
) -> None:
    response = client.get("/api/v1/tasks")

    assert response.status_code == 401
    assert "Bearer" in response.get_json()["error"]


def test_bad_token_answers_401(client: FlaskClient, republic: Republic) -> None:
    response = client.get("/api/v1/tasks", headers={"Authorization": "Bearer nope"})

    assert response.status_code == 401


def test_task_list_holds_only_the_callers_scope_with_allowed_triggers(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    mine = add_task(session, republic, "4", "north-school-1")
    add_task(session, republic, "4", "north-school-2")
    headers = bearer(session, republic, "head_north1")

    body = client.get("/api/v1/tasks", headers=headers).get_json()

    assert [task["id"] for task in body["tasks"]] == [mine.id]
    task = body["tasks"][0]
    assert task["item"] == {"number": "4", "title": "Мероприятие 4"}
    assert task["state"] == "planned"
    assert task["version"] == 1
    assert task["allowed_triggers"] == ["start"]
    assert task["due"] == mine.due.isoformat()


def test_task_list_filters_and_pages_with_a_cursor(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    planned = [add_task(session, republic, "4", "north-school-1") for _ in range(5)]
    add_task(session, republic, "4", "north-school-1", state=State.SUBMITTED)
    headers = bearer(session, republic, "uno_north")

    first = client.get(
        "/api/v1/tasks?state=planned&limit=3", headers=headers
    ).get_json()
    second = client.get(
        f"/api/v1/tasks?state=planned&limit=3&cursor={first['next_cursor']}",
        headers=headers,
    ).get_json()

    seen = [task["id"] for task in first["tasks"] + second["tasks"]]
    assert seen == [task.id for task in planned]
    assert second["next_cursor"] is None
    by_org = client.get(
        f"/api/v1/tasks?org={republic.orgs['north-school-2'].id}", headers=headers
    ).get_json()
    assert by_org["tasks"] == []


def test_bad_filter_values_are_explained(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    headers = bearer(session, republic, "uno_north")

    state = client.get("/api/v1/tasks?state=done", headers=headers)
    cursor = client.get("/api/v1/tasks?cursor=abc", headers=headers)

    assert state.status_code == 422
    assert "planned" in state.get_json()["error"]
    assert cursor.status_code == 422


def test_transition_through_the_api_returns_the_new_task(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1")
    headers = bearer(session, republic, "head_north1")

    response = client.post(
        f"/api/v1/tasks/{task.id}/transitions",
        json={"trigger": "start", "version": 1},
        headers=headers,
    )

    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == "in_progress"
    assert body["version"] == 2
    assert body["allowed_triggers"] == ["submit"]


def test_api_error_answers(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", state=State.IN_PROGRESS)
    theirs = add_task(session, republic, "4", "south-school-1")
    headers = bearer(session, republic, "head_north1")
    url = f"/api/v1/tasks/{task.id}/transitions"

    bad_json = client.post(
        url, data="{not json", headers={**headers, "Content-Type": "application/json"}
    )
    unknown = client.post(
        url, json={"trigger": "finish", "version": 1}, headers=headers
    )
    no_version = client.post(url, json={"trigger": "submit"}, headers=headers)
    no_comment = client.post(
        url, json={"trigger": "submit", "version": 1}, headers=headers
    )
    stale = client.post(
        url, json={"trigger": "submit", "version": 7, "comment": "x"}, headers=headers
    )
    out_of_scope = client.post(
        f"/api/v1/tasks/{theirs.id}/transitions",
        json={"trigger": "start", "version": 1},
        headers=headers,
    )
    missing = client.get("/api/v1/tasks/999999", headers=headers)

    assert bad_json.status_code == 400
    assert "JSON object" in bad_json.get_json()["error"]
    assert unknown.status_code == 422
    assert "finish" in unknown.get_json()["error"]
    assert no_version.status_code == 422
    assert "version" in no_version.get_json()["error"]
    assert no_comment.status_code == 422
    assert "comment" in no_comment.get_json()["error"]
    assert stale.status_code == 409
    assert stale.get_json()["current_version"] == 1
    assert out_of_scope.status_code == 404
    assert missing.status_code == 404
    assert out_of_scope.get_json()["error"] == missing.get_json()["error"].replace(
        "999999", str(theirs.id)
    )


def test_refused_permission_answers_403_with_the_reason(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "5", "north-school-1", state=State.IN_PROGRESS)
    headers = bearer(session, republic, "class_north1")

    response = client.post(
        f"/api/v1/tasks/{task.id}/transitions",
        json={"trigger": "submit", "version": 1, "comment": "Готово"},
        headers=headers,
    )

    assert response.status_code == 403
    assert response.get_json()["reason"] == "not_lead"


def test_session_calls_need_the_csrf_header(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1")
    session.commit()
    token = login(client, republic.person("head_north1"))
    url = f"/api/v1/tasks/{task.id}/transitions"

    without = client.post(url, json={"trigger": "start", "version": 1})
    with_header = client.post(
        url, json={"trigger": "start", "version": 1}, headers={"X-CSRFToken": token}
    )

    assert without.status_code == 400
    assert "CSRF" in without.get_json()["error"]
    assert with_header.status_code == 200
    assert client.get(f"/api/v1/tasks/{task.id}").get_json()["state"] == "in_progress"


def test_healthz_reports_database_and_redis(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"db": "ok", "redis": "ok"}


def test_healthz_names_redis_when_it_is_down(app: Flask, tmp_path) -> None:
    app.config["REDIS_URL"] = f"unix://{tmp_path}/no-redis-here.sock"

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"db": "ok", "redis": "down"}
