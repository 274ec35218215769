"""Approval queues: contents per role, bulk actions, substitutes, extensions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, insert, select
from sqlalchemy.orm import Session

from tests.builders import Republic, add_task
from tests.conftest import login
from workflow.accounts import add_membership, issue_token
from workflow.approvals import (
    BulkOutcome,
    QueueFilters,
    bulk_transition,
    queue_page,
    waiting_count,
)
from workflow.deadlines import (
    ExtensionError,
    ExtensionState,
    decide_extension,
    request_extension,
)
from workflow.enums import Role, State
from workflow.errors import CommentRequiredError, NotFoundError, PermissionDeniedError
from workflow.models import AuditRecord, Task
from workflow.scope import person_facts
from workflow.service import apply_transition
from workflow.substitutes import add_substitution

TODAY = date(2026, 12, 3)


def submitted(session: Session, republic: Republic, org: str, item: str = "4", **extra):
    return add_task(
        session,
        republic,
        item,
        org,
        state=State.SUBMITTED,
        submitted_at=extra.pop("submitted_at", datetime(2026, 11, 20, 10)),
        **extra,
    )


def queue_ids(session: Session, republic: Republic, name: str, **filters) -> list[int]:
    person = person_facts(session, republic.person(name).id, TODAY)
    page = queue_page(session, person, QueueFilters(**filters))
    return [entry.task.id for entry in page.entries]


def test_queue_holds_what_each_approver_may_approve(
    session: Session, republic: Republic
) -> None:
    north = submitted(session, republic, "north-school-1")
    south = submitted(session, republic, "south-school-1")
    district = submitted(session, republic, "north", item="3")
    agency = submitted(session, republic, "cit", item="2")
    ministry = submitted(session, republic, "ministry", item="1")
    add_task(session, republic, "4", "north-school-2", state=State.IN_PROGRESS)
    session.commit()

    assert queue_ids(session, republic, "uno_north") == [north.id]
    assert queue_ids(session, republic, "uno_south") == [south.id]
    assert queue_ids(session, republic, "minspec") == [district.id, agency.id]
    assert queue_ids(session, republic, "admin") == [ministry.id]
    assert queue_ids(session, republic, "head_north1") == []


def test_queue_is_oldest_first_and_filters_combine(
    session: Session, republic: Republic
) -> None:
    old = submitted(
        session, republic, "north-school-2", submitted_at=datetime(2026, 11, 1)
    )
    new = submitted(
        session, republic, "north-school-1", submitted_at=datetime(2026, 12, 2)
    )
    other_item = submitted(
        session,
        republic,
        "north-school-1",
        item="5",
        submitted_at=datetime(2026, 10, 1),
    )
    session.commit()

    assert queue_ids(session, republic, "uno_north") == [other_item.id, old.id, new.id]
    assert queue_ids(session, republic, "uno_north", item_number="4") == [
        old.id,
        new.id,
    ]
    school = republic.orgs["north-school-1"].id
    assert queue_ids(
        session, republic, "uno_north", item_number="4", school_id=school
    ) == [new.id]


def test_submitter_never_sees_their_own_submission_as_approvable(
    session: Session, republic: Republic
) -> None:
    head = republic.person("head_north1")
    add_membership(session, head, republic.orgs["north"], Role.DISTRICT_SPECIALIST)
    task = add_task(session, republic, "4", "north-school-1", state=State.IN_PROGRESS)
    session.commit()
    apply_transition(
        session,
        person_facts(session, head.id),
        task.id,
        "submit",
        version=1,
        comment="ok",
    )

    assert queue_ids(session, republic, "head_north1") == []
    assert queue_ids(session, republic, "uno_north") == [task.id]


def test_bulk_approval_reports_each_task_and_leaves_nothing_half_done(
    session: Session, republic: Republic
) -> None:
    first = submitted(session, republic, "north-school-1")
    taken = submitted(session, republic, "north-school-1")
    returned = submitted(session, republic, "north-school-2")
    foreign = submitted(session, republic, "south-school-1")
    session.commit()
    colleague = person_facts(session, republic.person("uno_north_2").id)
    apply_transition(session, colleague, taken.id, "approve", version=1)
    apply_transition(
        session, colleague, returned.id, "send_back", version=1, comment="Нет"
    )

    person = person_facts(session, republic.person("uno_north").id)
    results = bulk_transition(
        session,
        person,
        [(first.id, 1), (taken.id, 1), (returned.id, None), (foreign.id, None)],
        "approve",
    )

    outcomes = {result.task_id: result.outcome for result in results}
    assert outcomes == {
        first.id: BulkOutcome.DONE,
        taken.id: BulkOutcome.CHANGED,
        returned.id: BulkOutcome.CHANGED,
        foreign.id: BulkOutcome.NOT_YOURS,
    }
    session.expire_all()
    states = {task.id: task.state for task in session.scalars(select(Task))}
    assert states[first.id] is State.APPROVED
    assert states[returned.id] is State.IN_PROGRESS
    assert states[foreign.id] is State.SUBMITTED
    trail = session.scalars(select(AuditRecord.task_id)).all()
    assert sorted(trail) == sorted([taken.id, returned.id, first.id])


def test_bulk_send_back_needs_one_reason(session: Session, republic: Republic) -> None:
    task = submitted(session, republic, "north-school-1")
    session.commit()
    person = person_facts(session, republic.person("uno_north").id)

    with pytest.raises(CommentRequiredError):
        bulk_transition(session, person, [(task.id, None)], "send_back", " ")

    results = bulk_transition(
        session, person, [(task.id, None)], "send_back", "Нет печати"
    )
    assert results[0].outcome is BulkOutcome.DONE


def test_substitute_acts_for_the_absent_person_only_inside_the_dates(
    session: Session, republic: Republic
) -> None:
    absent = republic.person("uno_south")
    substitute = republic.person("deputy_north1")
    task = submitted(session, republic, "south-school-1")
    add_substitution(
        session,
        absent,
        substitute,
        date(2026, 12, 1),
        date(2026, 12, 10),
        republic.person("admin"),
    )
    session.commit()

    before = person_facts(session, substitute.id, date(2026, 11, 30))
    after = person_facts(session, substitute.id, date(2026, 12, 11))
    during = person_facts(session, substitute.id, date(2026, 12, 5))

    for outside in (before, after):
        assert waiting_count(session, outside) == 0
        with pytest.raises(NotFoundError):
            apply_transition(session, outside, task.id, "approve", version=1)
    assert waiting_count(session, during) == 1
    apply_transition(session, during, task.id, "approve", version=1)
    record = session.scalars(select(AuditRecord)).one()
    assert record.actor_id == substitute.id
    assert record.on_behalf_of_id == absent.id
    assert record.role_used is Role.DISTRICT_SPECIALIST


def test_substitute_chains_resolve_and_loops_end(
    session: Session, republic: Republic
) -> None:
    admin = republic.person("admin")
    first, second, third = (
        republic.person("uno_south"),
        republic.person("uno_north"),
        republic.person("minspec2"),
    )
    span = (date(2026, 12, 1), date(2026, 12, 31))
    add_substitution(session, first, second, *span, admin)
    add_substitution(session, second, third, *span, admin)
    add_substitution(session, third, first, *span, admin)
    task = submitted(session, republic, "south-school-1")
    session.commit()

    facts = person_facts(session, third.id, TODAY)

    assert set(facts.stand_ins) == {first.id, second.id}
    assert queue_ids(session, republic, "minspec2") == [task.id]


def test_extension_granted_moves_the_due_date_and_declined_does_not(
    session: Session, republic: Republic
) -> None:
    granted = add_task(
        session,
        republic,
        "4",
        "north-school-1",
        state=State.IN_PROGRESS,
        due=date(2026, 12, 10),
    )
    declined = add_task(
        session,
        republic,
        "4",
        "north-school-2",
        state=State.IN_PROGRESS,
        due=date(2026, 12, 10),
    )
    session.commit()
    head1 = person_facts(session, republic.person("head_north1").id)
    head2 = person_facts(session, republic.person("head_north2").id)
    uno = person_facts(session, republic.person("uno_north").id)

    first = request_extension(session, head1, granted.id, date(2026, 12, 24), "Болезнь")
    second = request_extension(session, head2, declined.id, date(2026, 12, 24), "Нет")
    decide_extension(session, uno, first.id, grant=True, comment="Хорошо")
    decide_extension(session, uno, second.id, grant=False, comment="Успеете")

    session.expire_all()
    assert session.get(Task, granted.id).due == date(2026, 12, 24)
    assert session.get(Task, declined.id).due == date(2026, 12, 10)
    assert first.state is ExtensionState.GRANTED
    assert first.old_due == date(2026, 12, 10)
    assert second.state is ExtensionState.DECLINED


def test_extension_requests_are_checked(session: Session, republic: Republic) -> None:
    task = add_task(
        session,
        republic,
        "4",
        "north-school-1",
        state=State.IN_PROGRESS,
        due=date(2026, 12, 10),
    )
    session.commit()
    head = person_facts(session, republic.person("head_north1").id)
    teacher = person_facts(session, republic.person("teacher_north1").id)

    with pytest.raises(PermissionDeniedError):
        request_extension(session, teacher, task.id, date(2026, 12, 20), "Хочу")
    with pytest.raises(ExtensionError):
        request_extension(session, head, task.id, date(2026, 12, 1), "Раньше")
    with pytest.raises(ExtensionError):
        request_extension(session, head, task.id, date(2026, 12, 20), "  ")
    request = request_extension(session, head, task.id, date(2026, 12, 20), "Причина")
    with pytest.raises(ExtensionError):
        request_extension(session, head, task.id, date(2026, 12, 21), "Ещё")
    with pytest.raises(PermissionDeniedError):
        decide_extension(session, head, request.id, grant=True)


def _count_statements(engine: Engine) -> list[str]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return statements


def test_first_and_last_page_of_a_long_queue_cost_the_same_statements(
    engine: Engine, session: Session, republic: Republic
) -> None:
    start = datetime(2026, 9, 1)
    rows = [
        {
            "plan_id": republic.plan.id,
            "item_id": republic.items["4"].id,
            "org_id": republic.orgs["north-school-1" if n % 2 else "north-school-2"].id,
            "period_label": f"p{n}",
            "state": State.SUBMITTED,
            "version": 1,
            "sent_back": False,
            "submitted_at": start + timedelta(minutes=n),
            "created_at": start,
            "updated_at": start,
        }
        for n in range(10_000)
    ]
    session.execute(insert(Task), rows)
    session.commit()
    person = person_facts(session, republic.person("uno_north").id)

    statements = _count_statements(engine)
    first = queue_page(session, person, QueueFilters())
    first_count = len(statements)
    del statements[:]
    cursor = first.next_cursor
    pages = 1
    last = first
    while cursor:
        statements.clear()
        last = queue_page(session, person, QueueFilters(), cursor=cursor)
        cursor = last.next_cursor
        pages += 1

    assert pages == 200
    assert len(last.entries) == 50
    assert len(statements) == first_count
    assert waiting_count(session, person) == 10_000


def test_queue_page_approves_and_sends_back_without_leaving_it(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    one = submitted(session, republic, "north-school-1")
    two = submitted(session, republic, "north-school-2")
    session.commit()
    token = login(client, republic.person("uno_north"))

    page = client.get("/approvals?item=4").get_data(as_text=True)
    approve = client.post(
        "/approvals/act",
        data={
            "csrf_token": token,
            "task_id": one.id,
            "version": 1,
            "trigger": "approve",
            "item": "4",
        },
    )
    no_reason = client.post(
        "/approvals/act",
        data={
            "csrf_token": token,
            "task_id": two.id,
            "version": 1,
            "trigger": "send_back",
        },
    )

    assert f'data-task-id="{one.id}"' in page and f'data-task-id="{two.id}"' in page
    assert 'data-waiting-approvals="2"' in page
    assert approve.status_code == 302
    assert "/approvals?item=4" in approve.headers["Location"]
    assert no_reason.status_code == 302
    session.expire_all()
    assert session.get(Task, one.id).state is State.APPROVED
    assert session.get(Task, two.id).state is State.SUBMITTED


def test_bulk_form_approves_all_matching_and_lists_each_result(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    tasks = [submitted(session, republic, "north-school-1") for _ in range(3)]
    other = submitted(session, republic, "north-school-1", item="5")
    session.commit()
    token = login(client, republic.person("uno_north"))

    response = client.post(
        "/approvals/bulk",
        data={"csrf_token": token, "scope": "all", "item": "4", "trigger": "approve"},
    )

    page = response.get_data(as_text=True)
    for task in tasks:
        assert f'data-task-id="{task.id}" data-outcome="done"' in page
    assert f'data-task-id="{other.id}"' not in page
    session.expire_all()
    assert session.get(Task, other.id).state is State.SUBMITTED


def test_substitutes_page_names_a_substitute(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    token = login(client, republic.person("uno_south"))

    client.post(
        "/substitutes",
        data={
            "csrf_token": token,
            "substitute": republic.person("uno_north").email,
            "starts": "2026-12-01",
            "ends": "2026-12-31",
        },
    )
    bad = client.post(
        "/substitutes",
        data={
            "csrf_token": token,
            "substitute": republic.person("uno_north").email,
            "starts": "2026-12-31",
            "ends": "2026-12-01",
        },
        follow_redirects=True,
    )

    page = client.get("/substitutes").get_data(as_text=True)
    assert republic.person("uno_north").email in page
    assert page.count("data-substitution-id") == 1
    assert bad.status_code == 200


def test_approvals_api_lists_and_bulk_approves(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    one = submitted(session, republic, "north-school-1")
    two = submitted(session, republic, "north-school-2")
    south = submitted(session, republic, "south-school-1")
    token = issue_token(session, republic.person("uno_north"))
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}

    listed = client.get("/api/v1/approvals?limit=1", headers=headers).get_json()
    rest = client.get(
        f"/api/v1/approvals?cursor={listed['next_cursor']}", headers=headers
    ).get_json()
    bulk = client.post(
        "/api/v1/approvals/bulk",
        json={"task_ids": [one.id, two.id, south.id], "trigger": "approve"},
        headers=headers,
    ).get_json()
    bad = client.post(
        "/api/v1/approvals/bulk",
        json={"task_ids": [one.id], "trigger": "send_back"},
        headers=headers,
    )

    assert [t["id"] for t in listed["approvals"] + rest["approvals"]] == [
        one.id,
        two.id,
    ]
    assert listed["approvals"][0]["allowed_triggers"] == ["approve", "send_back"]
    assert {r["task_id"]: r["result"] for r in bulk["results"]} == {
        one.id: "done",
        two.id: "done",
        south.id: "not_yours",
    }
    assert bad.status_code == 422


def test_task_page_asks_for_more_time_and_history_shows_the_decision(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(
        session,
        republic,
        "4",
        "north-school-1",
        state=State.IN_PROGRESS,
        due=date(2026, 12, 10),
    )
    session.commit()
    token = login(client, republic.person("head_north1"))

    client.post(
        f"/tasks/{task.id}/extension",
        data={"csrf_token": token, "new_due": "2026-12-24", "reason": "Карантин"},
    )
    waiting = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token})
    token = login(client, republic.person("uno_north"))
    queue = client.get("/approvals").get_data(as_text=True)
    extension_id = queue.split('data-extension-id="')[1].split('"')[0]
    client.post(
        f"/approvals/extensions/{extension_id}",
        data={"csrf_token": token, "decision": "grant"},
    )
    history = client.get(f"/tasks/{task.id}").get_data(as_text=True)

    assert "data-pending-extension" in waiting
    assert "Карантин" in queue
    assert 'data-event="extension_requested"' in history
    assert 'data-event="extension_granted"' in history
    assert 'data-event="due_changed"' in history
    assert "10.12.2026" in history and "24.12.2026" in history
    session.expire_all()
    assert session.get(Task, task.id).due == date(2026, 12, 24)


def test_history_names_the_person_a_substitute_acted_for(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    absent = republic.person("uno_south")
    substitute = republic.person("uno_north")
    task = submitted(session, republic, "south-school-1")
    today = date.today()
    add_substitution(
        session,
        absent,
        substitute,
        today - timedelta(days=1),
        today + timedelta(days=1),
        republic.person("admin"),
    )
    session.commit()
    token = login(client, substitute)

    client.post(
        "/approvals/act",
        data={
            "csrf_token": token,
            "task_id": task.id,
            "version": 1,
            "trigger": "approve",
        },
    )
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)

    assert "data-on-behalf-of" in page
    assert absent.name in page


def test_my_tasks_shows_a_substitute_what_the_absent_person_must_do(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = submitted(session, republic, "south-school-1")
    today = date.today()
    add_substitution(
        session,
        republic.person("uno_south"),
        republic.person("minspec2"),
        today - timedelta(days=1),
        today + timedelta(days=1),
        republic.person("admin"),
    )
    session.commit()
    login(client, republic.person("minspec2"))

    page = client.get("/").get_data(as_text=True)

    assert f'data-task-id="{task.id}"' in page
