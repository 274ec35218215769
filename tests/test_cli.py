"""Operators' commands."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.builders import Republic
from tests.conftest import login


def test_users_list_json_names_every_person_with_roles(
    app: Flask, republic: Republic
) -> None:
    result = app.test_cli_runner().invoke(args=["users", "list", "--json"])

    assert result.exit_code == 0
    people = {row["email"]: row for row in json.loads(result.output)}
    assert set(people) == {person.email for person in republic.people.values()}
    head = people[republic.person("head_north1").email]
    assert head["memberships"] == [
        {
            "organisation": republic.orgs["north-school-1"].code,
            "organisation_name": "СОШ № 1 (north)",
            "role": "school_head",
        }
    ]


def test_users_passwd_sets_a_password_that_signs_in(
    app: Flask, client: FlaskClient, republic: Republic
) -> None:
    person = republic.person("deputy_north1")

    result = app.test_cli_runner().invoke(
        args=["users", "passwd", person.email, "--password", "a-new-password-42"]
    )

    assert result.exit_code == 0
    login(client, person, password="a-new-password-42")


def test_users_passwd_refuses_a_short_password_and_unknown_people(
    app: Flask, republic: Republic
) -> None:
    runner = app.test_cli_runner()

    short = runner.invoke(
        args=["users", "passwd", republic.person("admin").email, "--password", "abc"]
    )
    unknown = runner.invoke(
        args=["users", "passwd", "ghost@test.example", "--password", "long-enough-1"]
    )

    assert short.exit_code == 2
    assert "at least 8" in short.output
    assert unknown.exit_code == 2
    assert "ghost@test.example" in unknown.output


def test_users_token_prints_a_token_that_the_api_accepts(
    app: Flask, client: FlaskClient, republic: Republic, session: Session
) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "token", republic.person("uno_north").email]
    )

    token = result.output.strip()
    response = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert result.exit_code == 0
    assert response.status_code == 200
