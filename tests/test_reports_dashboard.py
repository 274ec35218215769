"""The dashboard's burn-up, "who is behind" and activity, against the task table."""

from __future__ import annotations

from datetime import date, timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.builders import Republic, add_task
from tests.conftest import login
from tests.test_reports import fill_plan
from workflow.board_filters import BoardFilters
from workflow.clock import local_today, utcnow
from workflow.dashboard import activity, burn_up, most_overdue, waiting_approvals
from workflow.enums import State
from workflow.scope import person_facts


def test_burn_up_counts_due_and_approved_tasks_up_to_each_day(
    session: Session, republic: Republic
) -> None:
    tasks = fill_plan(session, republic)
    admin = person_facts(session, republic.person("admin").id)
    today = local_today()

    points = burn_up(session, admin, BoardFilters(), today)

    assert points[0].day == min(t.due for t in tasks.values() if t.due)
    assert points[-1].due == len(tasks)
    at_today = next(point for point in points if point.day == today)
    assert at_today.approved == 1
    assert at_today.due == sum(1 for t in tasks.values() if t.due and t.due <= today)
    assert all(a.due <= b.due for a, b in zip(points, points[1:], strict=False))


def test_who_is_behind_lists_overdue_organisations_and_waiting_approvers(
    session: Session, republic: Republic
) -> None:
    for _ in range(3):
        add_task(session, republic, "4", "south-school-1")
    add_task(session, republic, "4", "north-school-2")
    waiting = add_task(session, republic, "4", "south-school-2", state=State.SUBMITTED)
    waiting.submitted_at = utcnow() - timedelta(days=9)
    add_task(session, republic, "4", "north-school-1", due=date(2999, 1, 1))
    session.commit()
    admin = person_facts(session, republic.person("admin").id)
    today = local_today()

    behind = most_overdue(session, admin, BoardFilters(), today)
    queues = waiting_approvals(session, admin, BoardFilters(), today)

    assert [(row.name, row.count) for row in behind] == [
        ("СОШ № 1 (south)", 3),
        ("СОШ № 2 (north)", 1),
        ("СОШ № 2 (south)", 1),
    ]
    assert [(row.name, row.count) for row in queues] == [("УНО south", 1)]
    assert set(queues[0].people) == {"uno_south", "uno_south_2"}


def test_activity_names_organisations_where_nobody_acted(
    session: Session, republic: Republic, client: FlaskClient
) -> None:
    fill_plan(session, republic)
    admin = person_facts(session, republic.person("admin").id)

    rows = {row.name: row for row in activity(session, admin, BoardFilters())}

    assert rows["СОШ № 1 (north)"].last_action is not None
    assert rows["СОШ № 2 (north)"].last_action is None
    # The district's people acted by approving a school's task.
    assert rows["УНО north"].last_action is not None
    assert rows["УНО south"].last_action is None
    assert rows["СОШ № 2 (north)"].idle_since(utcnow(), 14)
    assert not rows["СОШ № 1 (north)"].idle_since(utcnow(), 14)

    login(client, republic.person("admin"))
    page = client.get("/reports?plan=all&idle=30").get_data(as_text=True)
    assert "data-burn-up" in page and "data-today" in page
    assert 'data-quiet="' in page
    assert "СОШ № 1 (south)" in page
