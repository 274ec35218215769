"""The demo republic is a believable, live rollout in the current school year."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.demo import seed
from workflow.enums import Level, Role, State
from workflow.models import AuditRecord, Item, Membership, Organisation, Plan, Task

TODAY = date(2026, 12, 3)


def test_demo_builds_the_republic_with_people_for_every_role(session: Session) -> None:
    seed(session, today=TODAY)
    session.commit()

    levels = Counter(session.scalars(select(Organisation.level)))
    roles = Counter(session.scalars(select(Membership.role)))

    assert levels[Level.MINISTRY] == 1
    assert levels[Level.AGENCY] == 2
    assert levels[Level.DISTRICT] == 7
    assert 140 <= levels[Level.SCHOOL] <= 160
    for role in Role:
        assert roles[role] >= 1, role
    assert roles[Role.SCHOOL_HEAD] == levels[Level.SCHOOL]


def test_demo_plan_runs_in_the_school_year_that_contains_today(
    session: Session,
) -> None:
    seed(session, today=TODAY)
    session.commit()

    plan = session.scalars(select(Plan)).one()
    weekly = session.scalars(select(Item).where(Item.number == "8")).one()
    first_due = session.scalar(
        select(func.min(Task.due)).where(Task.item_id == weekly.id)
    )
    last_due = session.scalar(
        select(func.max(Task.due)).where(Task.item_id == weekly.id)
    )

    assert plan.school_year == "2026-2027"
    assert "2026-2027" in plan.title
    assert first_due is not None and first_due.year == 2026 and first_due.month == 9
    assert last_due is not None and last_due.year == 2027


def test_demo_tasks_are_spread_over_states_with_matching_history(
    session: Session,
) -> None:
    seed(session, today=TODAY)
    session.commit()

    states = Counter(session.scalars(select(Task.state)))
    overdue = session.scalar(
        select(func.count()).where(Task.due < TODAY, Task.state != State.APPROVED)
    )
    history = dict(
        session.execute(
            select(AuditRecord.task_id, func.count()).group_by(AuditRecord.task_id)
        ).all()
    )
    tasks = session.execute(select(Task.id, Task.state, Task.version)).all()

    assert all(states[state] > 0 for state in State)
    assert overdue and overdue > 0
    steps = {
        State.PLANNED: 0,
        State.IN_PROGRESS: 1,
        State.SUBMITTED: 2,
        State.APPROVED: 3,
    }
    for task_id, state, version in tasks:
        assert history.get(task_id, 0) == steps[state], task_id
        assert version == 1 + steps[state]
    unsent = session.scalar(
        select(func.count()).where(
            Task.state.in_([State.SUBMITTED, State.APPROVED]),
            Task.submitted_at.is_(None),
        )
    )
    assert unsent == 0


def test_demo_seed_command_leaves_existing_data_alone(app, session: Session) -> None:
    runner = app.test_cli_runner()

    first = runner.invoke(args=["demo", "seed", "--if-empty"])
    again = runner.invoke(args=["demo", "seed", "--if-empty"])

    assert first.exit_code == 0, first.output
    assert "admin@plangraph.demo" in first.output
    assert "already present" in again.output
    assert session.scalar(select(func.count()).select_from(Plan)) == 1
