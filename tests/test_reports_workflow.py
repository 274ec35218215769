"""The picture of the workflow is drawn from the machine the server enforces."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from blueprints import reports
from tests.builders import Republic
from tests.conftest import login
from workflow.enums import State
from workflow.machine import describe


def test_workflow_page_draws_every_state_and_transition_of_the_machine(
    client: FlaskClient, republic: Republic
) -> None:
    login(client, republic.person("teacher_north1"))

    page = client.get("/reports/workflow").get_data(as_text=True)

    assert "<svg" in page
    assert re.findall(r'data-state="([a-z_]+)"', page) == [s.value for s in State]
    drawn = re.findall(r'<g data-trigger="([a-z_]+)"', page)
    assert drawn == [str(row["trigger"]) for row in describe()]
    assert page.count('data-trigger-row="') == len(describe())


def test_workflow_picture_follows_a_changed_definition(
    client: FlaskClient, republic: Republic, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = {
        "trigger": "reopen",
        "source": "submitted",
        "dest": "planned",
        "actor": "admin",
        "needs_comment": True,
        "needs_evidence": False,
    }
    monkeypatch.setattr(reports, "describe", lambda: [*describe(), extra])
    login(client, republic.person("admin"))

    page = client.get("/reports/workflow").get_data(as_text=True)

    assert len(re.findall(r'<g data-trigger="', page)) == len(describe()) + 1
