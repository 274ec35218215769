"""The escalation sweep: record once each level that a task newly reached.

A level fires on a working day counted from the task's due date: the reminder
some working days before it, level 0 on the first working day after it, level
1 and level 2 some working days later still. For each plan and level the sweep
works out, from the calendar, the latest due date that has reached the level
today, and reads only the tasks due between the previous sweep's watermark and
that date. Its cost therefore follows the tasks that newly crossed a
threshold, not all the tasks there are.

Events are inserted with ON CONFLICT DO NOTHING on the unique (task, level)
key, and only the rows actually inserted produce messages, so two sweeps at
once, or one repeated, record each level of a task once. Each batch of events
is committed with its digest rows in the outbox (see `workflow.digests`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from workflow.calendar import Calendar
from workflow.calendar_store import calendar_for_plan
from workflow.clock import utcnow
from workflow.digests import (
    Candidate,
    DigestTiming,
    release_held,
    resolve_candidates,
    write_digests,
)
from workflow.enums import State
from workflow.escalation_models import (
    EscalationEvent,
    EscalationLevel,
    EscalationWatermark,
    PlanThresholds,
)
from workflow.models import Plan, PlanStatus, Task
from workflow.thresholds import Thresholds, latest_due, local_day

logger = logging.getLogger(__name__)

# Tasks in these states are still chased at each level: a submitted task no
# longer concerns its executors, but its approvers are chased until approved.
CHASED_STATES: dict[EscalationLevel, tuple[State, ...]] = {
    EscalationLevel.REMINDER: (State.PLANNED, State.IN_PROGRESS),
    EscalationLevel.LEVEL_0: (State.PLANNED, State.IN_PROGRESS),
    EscalationLevel.LEVEL_1: (State.PLANNED, State.IN_PROGRESS, State.SUBMITTED),
    EscalationLevel.LEVEL_2: (State.PLANNED, State.IN_PROGRESS, State.SUBMITTED),
}


@dataclass(frozen=True)
class SweepSettings:
    """What a sweep needs to know besides the database."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    interval_seconds: int = 900
    batch_size: int = 2000
    # Digest rows wait this long for the rest of their sweep; a sweep that
    # finishes releases them at once.
    hold_seconds: int = 600
    daily_digest_hour: int = 8

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> SweepSettings:
        """Read the settings from the application's configuration."""
        return cls(
            thresholds=Thresholds(
                reminder=int(config["REMINDER_WORKING_DAYS"]),
                level1=int(config["LEVEL1_WORKING_DAYS"]),
                level2=int(config["LEVEL2_WORKING_DAYS"]),
            ),
            interval_seconds=int(config["ESCALATION_INTERVAL_SECONDS"]),
            batch_size=int(config["ESCALATION_BATCH_SIZE"]),
            daily_digest_hour=int(config["DAILY_DIGEST_HOUR"]),
        )


@dataclass
class SweepResult:
    """What one sweep recorded."""

    as_of: date
    recorded: Counter[EscalationLevel] = field(default_factory=Counter)
    by_plan: dict[int, Counter[EscalationLevel]] = field(default_factory=dict)
    digests: int = 0
    recipients: set[int] = field(default_factory=set)

    @property
    def events(self) -> int:
        """How many escalation events the sweep recorded."""
        return sum(self.recorded.values())

    def lines(self) -> list[str]:
        """A short report for operators, one line per plan and a total."""
        found = [
            f"Plan {plan_id}: "
            + ", ".join(
                f"{_level_name(level)} {counts[level]}"
                for level in EscalationLevel
                if counts[level]
            )
            for plan_id, counts in sorted(self.by_plan.items())
            if sum(counts.values())
        ]
        found.append(
            f"Sweep as of {self.as_of.isoformat()}: recorded {self.events} "
            f"escalation events, digests for {len(self.recipients)} recipients "
            f"({self.digests} outbox rows)."
        )
        return found


def _level_name(level: EscalationLevel) -> str:
    return "reminder" if level is EscalationLevel.REMINDER else f"level {level.value}"


CalendarFinder = Callable[[Session, Plan], Calendar]


def plan_calendar(session: Session, plan: Plan) -> Calendar:
    """The calendar whose working days escalation counts: the plan's stored one."""
    return calendar_for_plan(session, plan)


def sweep(
    session: Session,
    settings: SweepSettings,
    *,
    now: datetime | None = None,
    calendar_of: CalendarFinder = plan_calendar,
) -> SweepResult:
    """Record every level newly reached by a task, with digests in the outbox."""
    moment = now or utcnow()
    today = local_day(moment)
    result = SweepResult(as_of=today)
    timing = DigestTiming(
        moment=moment,
        hold_until=moment + timedelta(seconds=settings.hold_seconds),
        daily_hour=settings.daily_digest_hour,
    )

    plans = list(
        session.scalars(
            select(Plan).where(Plan.status == PlanStatus.PUBLISHED).order_by(Plan.id)
        )
    )
    own_thresholds = {
        row.plan_id: row
        for row in session.scalars(
            select(PlanThresholds).where(
                PlanThresholds.plan_id.in_([plan.id for plan in plans])
            )
        )
    }
    watermarks = {
        (row.plan_id, EscalationLevel(row.level)): row.swept_through
        for row in session.scalars(select(EscalationWatermark))
    }

    batch = _Batch(session, settings.batch_size, timing, result)
    reached: list[tuple[int, EscalationLevel, date]] = []
    for plan in plans:
        calendar = calendar_of(session, plan)
        thresholds = settings.thresholds.for_plan(own_thresholds.get(plan.id))
        result.by_plan.setdefault(plan.id, Counter())
        for level in EscalationLevel:
            upper = latest_due(calendar, today, thresholds.offset(level))
            lower = watermarks.get((plan.id, level))
            if level is EscalationLevel.REMINDER:
                # A reminder is for what is still ahead, never for the late.
                yesterday = today - timedelta(days=1)
                lower = yesterday if lower is None else max(lower, yesterday)
            if lower is not None and upper <= lower:
                continue
            for page in _candidates(session, plan.id, level, lower, upper):
                batch.add(page)
            reached.append((plan.id, level, upper))
    batch.flush()

    _advance_watermarks(session, reached, moment)
    release_held(session, batch.held, moment)
    session.commit()
    logger.info(
        "Sweep %s: recorded %s events%s, digests for %s recipients (%s rows)",
        today.isoformat(),
        result.events,
        "".join(f" {_level_name(level)}={n}" for level, n in result.recorded.items()),
        len(result.recipients),
        result.digests,
    )
    return result


def _candidates(
    session: Session,
    plan_id: int,
    level: EscalationLevel,
    lower: date | None,
    upper: date,
    page_size: int = 5000,
) -> Iterator[list[Candidate]]:
    """Pages of a plan's chased tasks due in (lower, upper] without this level yet."""
    already = exists().where(
        EscalationEvent.task_id == Task.id, EscalationEvent.level == level
    )
    query = (
        select(Task.id, Task.due)
        .where(
            Task.plan_id == plan_id,
            Task.due <= upper,
            Task.state.in_(CHASED_STATES[level]),
            ~already,
        )
        .order_by(Task.due, Task.id)
        .limit(page_size)
    )
    if lower is not None:
        query = query.where(Task.due > lower)

    after: tuple[date, int] | None = None
    while True:
        page_query = query
        if after is not None:
            due, task_id = after
            page_query = query.where(
                or_(Task.due > due, and_(Task.due == due, Task.id > task_id))
            )
        rows = session.execute(page_query).all()
        if not rows:
            return
        yield [Candidate(task_id, level, due) for task_id, due in rows if due]
        if len(rows) < page_size:
            return
        after = (rows[-1].due, rows[-1].id)


class _Batch:
    """Collects candidates and commits them in batches: events, then digests."""

    def __init__(
        self, session: Session, size: int, timing: DigestTiming, result: SweepResult
    ) -> None:
        self.session = session
        self.size = max(1, size)
        self.timing = timing
        self.result = result
        self.pending: list[Candidate] = []
        self.held: list[int] = []

    def add(self, candidates: Sequence[Candidate]) -> None:
        """Queue candidates; write a batch whenever enough have gathered."""
        self.pending.extend(candidates)
        while len(self.pending) >= self.size:
            self._write(self.pending[: self.size])
            self.pending = self.pending[self.size :]

    def flush(self) -> None:
        """Write what is left."""
        if self.pending:
            self._write(self.pending)
            self.pending = []

    def _write(self, candidates: list[Candidate]) -> None:
        """One transaction: the events that are new, and their digests."""
        session = self.session
        try:
            resolved = resolve_candidates(session, candidates)
            # A task approved (or submitted) since it was read is left alone.
            candidates = [
                candidate
                for candidate in candidates
                if candidate.task_id in resolved.tasks
                and resolved.tasks[candidate.task_id].state
                in CHASED_STATES[candidate.level]
            ]
            rows = [
                {
                    "task_id": candidate.task_id,
                    "level": candidate.level.value,
                    "due": candidate.due,
                    "recorded_at": self.timing.moment,
                    "recipients": len(resolved.recipients_of(candidate)),
                }
                for candidate in candidates
            ]
            inserted = _record_events(session, rows)
            recorded = [
                candidate
                for candidate in candidates
                if (candidate.task_id, candidate.level) in inserted
            ]
            written = write_digests(session, resolved, recorded, self.timing)
            session.commit()
        except Exception:
            session.rollback()
            raise

        self.held.extend(written.held_ids)
        self.result.digests += len(written.recipients)
        self.result.recipients.update(written.recipients)
        for candidate in recorded:
            self.result.recorded[candidate.level] += 1
            plan_id = resolved.plan_of(candidate.task_id)
            self.result.by_plan.setdefault(plan_id, Counter())[candidate.level] += 1
            logger.debug(
                "Task %s: escalated level=%s to=%s recipients",
                candidate.task_id,
                candidate.level.value,
                len(resolved.recipients_of(candidate)),
            )


def _record_events(
    session: Session, rows: list[dict[str, Any]]
) -> set[tuple[int, EscalationLevel]]:
    """Insert the events; the (task, level) pairs that were not there before."""
    if not rows:
        return set()
    statement = _insert_events(session).returning(
        EscalationEvent.task_id, EscalationEvent.level
    )
    return {
        (task_id, EscalationLevel(level))
        for task_id, level in session.execute(statement, rows)
    }


def _insert_events(session: Session) -> Any:
    """INSERT … ON CONFLICT DO NOTHING on the unique (task, level) key."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql_insert(EscalationEvent).on_conflict_do_nothing(
            index_elements=["task_id", "level"]
        )
    if dialect == "sqlite":
        return sqlite_insert(EscalationEvent).on_conflict_do_nothing(
            index_elements=["task_id", "level"]
        )
    raise NotImplementedError(f"Escalation does not support the {dialect} database.")


def _advance_watermarks(
    session: Session,
    reached: list[tuple[int, EscalationLevel, date]],
    moment: datetime,
) -> None:
    """Remember how far each plan and level was swept; never move one back."""
    for plan_id, level, upper in reached:
        moved = session.execute(
            update(EscalationWatermark)
            .where(
                EscalationWatermark.plan_id == plan_id,
                EscalationWatermark.level == level,
                EscalationWatermark.swept_through < upper,
            )
            .values(swept_through=upper, updated_at=moment)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount:  # type: ignore[attr-defined]
            continue
        statement = _insert_watermark(session).values(
            plan_id=plan_id, level=level.value, swept_through=upper, updated_at=moment
        )
        session.execute(statement)


def _insert_watermark(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql_insert(EscalationWatermark).on_conflict_do_nothing()
    return sqlite_insert(EscalationWatermark).on_conflict_do_nothing()
