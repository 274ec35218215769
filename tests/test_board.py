"""The board's queries: exact counts, filters that combine, pages, lanes, summary."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, event, insert, select
from sqlalchemy.orm import Session

from tests.builders import Republic, add_task
from tests.conftest import login
from workflow.board import COLUMN_LIMIT, Cursor, Lanes, build_board, more_cards
from workflow.board_filters import BoardFilters, conditions
from workflow.board_moves import needs_action
from workflow.board_summary import summarise
from workflow.enums import Level, State
from workflow.listing import decisions_for
from workflow.models import Organisation, Task
from workflow.scope import person_facts, scoped_tasks

TODAY = date(2021, 10, 1)
SCHOOLS = ("north-school-1", "north-school-2", "south-school-1", "south-school-2")
STATES = (State.PLANNED, State.IN_PROGRESS, State.SUBMITTED, State.APPROVED)


def _spread(session: Session, republic: Republic) -> list[Task]:
    """Tasks of every school item in every state at every school, some overdue."""
    made = []
    for number, school, state in itertools.product(("4", "5", "6"), SCHOOLS, STATES):
        due = (
            TODAY - timedelta(days=3) if school.endswith("1") else TODAY + timedelta(30)
        )
        made.append(add_task(session, republic, number, school, state, due=due))
    made.append(add_task(session, republic, "3", "north", State.SUBMITTED))
    made.append(add_task(session, republic, "1", "ministry", State.SUBMITTED))
    session.commit()
    return made


def _expected(tasks: list[Task], keep: Any) -> Counter[State]:
    return Counter(State(task.state) for task in tasks if keep(task))


def test_counts_are_exact_and_filters_combine(
    session: Session, republic: Republic
) -> None:
    tasks = _spread(session, republic)
    uno = person_facts(session, republic.person("uno_north").id)
    north = republic.orgs["north"]
    in_north = {
        north.id,
        *(o.id for o in republic.orgs.values() if o.parent_id == north.id),
    }
    school = republic.orgs["north-school-1"]
    item = republic.items["5"]

    cases = [
        (BoardFilters(), lambda t: t.org_id in in_north),
        (
            BoardFilters(item_id=item.id),
            lambda t: t.org_id in in_north and t.item_id == item.id,
        ),
        (
            BoardFilters(item_id=item.id, school_id=school.id, overdue=True),
            lambda t: (
                t.item_id == item.id
                and t.org_id == school.id
                and t.state is not State.APPROVED
            ),
        ),
        (
            BoardFilters(overdue=True),
            lambda t: (
                t.org_id in in_north and t.due < TODAY and t.state is not State.APPROVED
            ),
        ),
    ]
    for filters, keep in cases:
        board = build_board(session, uno, filters, TODAY)
        expected = _expected(tasks, keep)

        assert {s: n for s, n in board.counts.items() if n} == dict(expected), filters
        for state in State:
            cell = board.cells[(None, state)]
            assert len(cell.cards) == expected[state]
            assert all(card.task.state is state for card in cell.cards)


def test_district_filter_at_ministry_scope_keeps_the_district_and_its_schools(
    session: Session, republic: Republic
) -> None:
    tasks = _spread(session, republic)
    admin = person_facts(session, republic.person("admin").id)
    south = republic.orgs["south"]
    wanted = {
        south.id,
        *(o.id for o in republic.orgs.values() if o.parent_id == south.id),
    }

    board = build_board(session, admin, BoardFilters(district_id=south.id), TODAY)

    assert board.total == sum(1 for task in tasks if task.org_id in wanted)


def test_period_filter_and_plan_filter(session: Session, republic: Republic) -> None:
    tasks = _spread(session, republic)
    head = person_facts(session, republic.person("head_north1").id)
    chosen = tasks[0]

    board = build_board(session, head, BoardFilters(period=chosen.period_label), TODAY)
    assert board.total == 1
    other_plan = build_board(session, head, BoardFilters(plan_id=-5), TODAY)
    assert other_plan.total == 0


def test_a_column_sends_a_bounded_page_and_load_more_continues_in_order(
    session: Session, republic: Republic
) -> None:
    school = republic.orgs["north-school-2"]
    for number in range(COLUMN_LIMIT + 17):
        add_task(
            session,
            republic,
            "4",
            "north-school-2",
            due=None if number % 9 == 0 else TODAY + timedelta(days=number % 4),
        )
    session.commit()
    head = person_facts(session, republic.person("head_north2").id)
    filters = BoardFilters(school_id=school.id)

    board = build_board(session, head, filters, TODAY)
    first = board.cells[(None, State.PLANNED)]
    assert first.count == COLUMN_LIMIT + 17
    assert len(first.cards) == COLUMN_LIMIT
    assert first.more

    rest, has_more = more_cards(
        session,
        head,
        filters,
        TODAY,
        state=State.PLANNED,
        lanes=Lanes.NONE,
        lane_key=None,
        after=first.cards[-1].cursor,
    )
    assert not has_more
    seen = [card.task for card in [*first.cards, *rest]]
    assert len({task.id for task in seen}) == COLUMN_LIMIT + 17
    order = [(task.due is None, task.due or TODAY, task.id) for task in seen]
    assert order == sorted(order)


def test_cursor_survives_the_url_and_refuses_garbage() -> None:
    cursor = Cursor(date(2021, 9, 15), 42)

    assert Cursor.decode(cursor.encode()) == cursor
    assert Cursor.decode(Cursor(None, 7).encode()) == Cursor(None, 7)
    assert Cursor.decode("x_y") is None
    assert Cursor.decode("2021-13-01_5") is None


def test_swimlanes_by_item_and_by_organisation_split_the_counts(
    session: Session, republic: Republic
) -> None:
    tasks = _spread(session, republic)
    uno = person_facts(session, republic.person("uno_north").id)
    north_schools = {republic.orgs[name].id for name in SCHOOLS[:2]}

    by_item = build_board(session, uno, BoardFilters(), TODAY, lanes=Lanes.ITEM)
    by_org = build_board(session, uno, BoardFilters(), TODAY, lanes=Lanes.ORG)

    assert [lane.number for lane in by_item.lanes] == ["3", "4", "5", "6"]
    item_five = next(lane for lane in by_item.lanes if lane.number == "5")
    assert item_five.total == sum(
        1
        for task in tasks
        if task.item_id == republic.items["5"].id and task.org_id in north_schools
    )
    assert {lane.key for lane in by_org.lanes} == north_schools | {
        republic.orgs["north"].id
    }
    for lane in by_org.lanes:
        for state in State:
            cell = by_org.cells[(lane.key, state)]
            assert all(card.task.org_id == lane.key for card in cell.cards)
            assert len(cell.cards) == cell.count


def test_summary_groups_by_item_with_counts_per_district_and_drills_down(
    session: Session, republic: Republic
) -> None:
    tasks = _spread(session, republic)
    admin = person_facts(session, republic.person("admin").id)
    north = republic.orgs["north"]

    republic_view = summarise(session, admin, BoardFilters(), TODAY)
    item_four = next(item for item in republic_view.items if item.number == "4")
    rows = {row.name: row.total for row in item_four.rows}
    assert republic_view.by_level is Level.DISTRICT
    assert rows == {"УНО north": 8, "УНО south": 8}
    assert republic_view.total == len(tasks)
    ministry_item = next(item for item in republic_view.items if item.number == "1")
    assert [row.org_id for row in ministry_item.rows] == [None]

    district_view = summarise(session, admin, BoardFilters(district_id=north.id), TODAY)
    item_four = next(item for item in district_view.items if item.number == "4")
    assert district_view.by_level is Level.SCHOOL
    assert {row.name: row.counts for row in item_four.rows} == {
        "СОШ № 1 (north)": dict.fromkeys(STATES, 1),
        "СОШ № 2 (north)": dict.fromkeys(STATES, 1),
    }


def test_needs_my_action_in_sql_agrees_with_decide_for_everyone(
    session: Session, republic: Republic
) -> None:
    _spread(session, republic)
    submitted = add_task(session, republic, "4", "south-school-1", State.SUBMITTED)
    submitted.submitted_by_id = republic.person("uno_south").id
    session.commit()

    for person in republic.people.values():
        facts = person_facts(session, person.id)
        visible = list(session.scalars(scoped_tasks(facts)))
        decided = decisions_for(session, facts, visible)
        expected = {task.id for task in visible if needs_action(decided[task.id])}

        where = conditions(session, facts, BoardFilters(mine=True), TODAY)
        found = set(
            session.scalars(
                select(Task.id)
                .join(Organisation, Organisation.id == Task.org_id)
                .where(*where)
            )
        )
        assert found == expected, person.name


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """Collect every SQL statement the engine runs inside the block."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


BOARD_REQUESTS = (
    "/board?view=cards",
    "/board?view=cards&lanes=item",
    "/board?view=cards&lanes=org",
    "/board?view=cards&mine=1&overdue=1",
    "/board?view=summary",
)


def _statements_per_request(client: FlaskClient, engine: Engine) -> dict[str, int]:
    found = {}
    for url in BOARD_REQUESTS:
        with counting(engine) as statements:
            response = client.get(url)
        assert response.status_code == 200
        found[url] = len(statements)
    return found


def _bulk_tasks(session: Session, republic: Republic, count: int, offset: int) -> None:
    """Insert school and district tasks of the north district in bulk."""
    assert republic.plan is not None
    orgs = [republic.orgs[name].id for name in ("north-school-1", "north-school-2")]
    items = [republic.items[number].id for number in ("4", "5", "6")]
    rows = []
    for number in range(offset, offset + count):
        rows.append(
            {
                "plan_id": republic.plan.id,
                "item_id": items[number % 3],
                "org_id": orgs[number % 2],
                "period_label": f"bulk-{number}",
                "start": TODAY,
                "due": TODAY + timedelta(days=number % 90 - 30),
                "state": STATES[number % 4],
                "version": 1,
                "sent_back": number % 7 == 0,
            }
        )
    for start in range(0, len(rows), 5000):
        session.execute(insert(Task), rows[start : start + 5000])
    session.commit()


def test_statements_per_board_request_do_not_grow_with_the_tasks_in_scope(
    client: FlaskClient, engine: Engine, session: Session, republic: Republic
) -> None:
    _bulk_tasks(session, republic, 100, 0)
    login(client, republic.person("uno_north"))
    small = _statements_per_request(client, engine)

    _bulk_tasks(session, republic, 49_900, 100)
    large = _statements_per_request(client, engine)

    assert session.scalar(select(Task.id).order_by(Task.id.desc()).limit(1)) == 50_000
    assert large == small

    page = client.get("/board?view=cards").get_data(as_text=True)
    assert page.count("data-task-id=") <= 4 * COLUMN_LIMIT
    assert 'data-total-state="planned">12500<' in page
