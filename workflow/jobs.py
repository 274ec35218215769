"""RQ jobs: the escalation sweep and the outbox sender, and their schedule.

A job takes plain values, never objects, and reads its rows afresh. There is
one job per sweep and one per batch of outbox messages, never one per task.
Every periodic job is declared in `periodic_jobs`; a worker's
`PeriodicScheduler` enqueues them with RQ's cron scheduler, and a Redis lock
lets only one worker of many do so at a time.

The worker process configures the jobs once (`configure`) with the engine
and settings of the application; the work horses it forks inherit them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from redis import Redis
from redis.exceptions import LockError, RedisError
from rq import Queue, get_current_job
from rq.cron import CronScheduler
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from workflow.delivery import deliver
from workflow.escalation import SweepSettings, sweep
from workflow.outbox import purge_sent
from workflow.smtp import MailSettings

logger = logging.getLogger(__name__)

QUEUE_NAME = "default"
SCHEDULER_LOCK = "plangraph:periodic-scheduler"


class JobsNotConfiguredError(RuntimeError):
    """A job ran in a process that was not started with `flask --app app worker`."""


@dataclass(frozen=True)
class JobRuntime:
    """What jobs need from the application: the database and the settings."""

    engine: Engine
    sweep: SweepSettings
    mail: MailSettings

    def session(self) -> Session:
        """A new session on the application's database."""
        return Session(self.engine)


_runtime: JobRuntime | None = None
_fork_hook_registered = False


def configure(runtime: JobRuntime) -> None:
    """Give the jobs of this process the application's engine and settings."""
    global _runtime, _fork_hook_registered
    _runtime = runtime
    if not _fork_hook_registered:
        # A forked work horse must not share the parent's pooled connections.
        os.register_at_fork(after_in_child=_forget_connections)
        _fork_hook_registered = True


def _forget_connections() -> None:
    if _runtime is not None:
        _runtime.engine.dispose(close=False)


def current_runtime() -> JobRuntime:
    """The configured runtime, or an error that says how to start workers."""
    if _runtime is None:
        raise JobsNotConfiguredError(
            "Plangraph jobs need the application: start workers with "
            "`flask --app app worker`, not `rq worker`."
        )
    return _runtime


def _job_id() -> str:
    job = get_current_job()
    return job.id if job is not None else "-"


def sweep_job(now: str | None = None) -> dict[str, int]:
    """Run one escalation sweep; `now` is an ISO date-time in UTC for operators."""
    job_id = _job_id()
    runtime = current_runtime()
    logger.info("Job %s: escalation sweep started", job_id)
    moment = datetime.fromisoformat(now) if now else None
    with runtime.session() as session:
        result = sweep(session, runtime.sweep, now=moment)
    logger.info(
        "Job %s: escalation sweep recorded %s events, %s digests",
        job_id,
        result.events,
        result.digests,
    )
    if result.digests:
        _enqueue_next(send_outbox_job)
    return {"events": result.events, "digests": result.digests}


def send_outbox_job() -> dict[str, int]:
    """Deliver one batch of due outbox messages over SMTP."""
    job_id = _job_id()
    runtime = current_runtime()
    with runtime.session() as session:
        result = deliver(session, runtime.mail)
    if result.sent_messages or result.failed_messages:
        logger.info("Job %s: %s", job_id, result.line())
    if result.full and not result.failed_messages:
        _enqueue_next(send_outbox_job)
    return {
        "sent": result.sent_messages,
        "failed": result.failed_messages,
        "waiting": result.waiting,
    }


def purge_outbox_job() -> int:
    """Delete outbox rows sent longer ago than the settings keep them."""
    runtime = current_runtime()
    with runtime.session() as session:
        removed = purge_sent(session, runtime.mail.keep_days)
    logger.info("Job %s: purged %s sent outbox rows", _job_id(), removed)
    return removed


def _enqueue_next(func: Callable[[], object]) -> None:
    """Queue a follow-up job on the current job's queue right away."""
    job = get_current_job()
    if job is None:
        return
    follow_up = Queue(job.origin, connection=job.connection).enqueue(func)
    logger.info("Job %s: enqueued %s as job %s", job.id, func.__name__, follow_up.id)


@dataclass(frozen=True)
class PeriodicJob:
    """A job that runs every so many seconds."""

    func: Callable[[], object]
    interval_seconds: int
    timeout_seconds: int

    @property
    def name(self) -> str:
        """The job's name in RQ's cron registry."""
        return f"{self.func.__module__}.{self.func.__name__}"


def periodic_jobs(runtime: JobRuntime) -> list[PeriodicJob]:
    """Every periodic job of the product, in one list."""
    return [
        PeriodicJob(sweep_job, runtime.sweep.interval_seconds, timeout_seconds=1800),
        PeriodicJob(
            send_outbox_job, runtime.mail.interval_seconds, timeout_seconds=900
        ),
        PeriodicJob(purge_outbox_job, 24 * 3600, timeout_seconds=900),
    ]


class PeriodicScheduler:
    """Enqueues the periodic jobs with RQ's cron scheduler, from one worker at a time.

    It runs in a thread of the worker process. The worker that holds a Redis
    lock enqueues; the others wait to take over if the lock runs out, as it
    does when its holder is killed.
    """

    def __init__(
        self, connection: Redis, jobs: list[PeriodicJob], queue_name: str = QUEUE_NAME
    ) -> None:
        """Register the jobs with a cron scheduler; nothing is enqueued yet."""
        self.cron = CronScheduler(connection=connection)
        for job in jobs:
            self.cron.register(
                job.func,
                queue_name,
                interval=job.interval_seconds,
                job_timeout=job.timeout_seconds,
                name=job.name,
            )
        shortest = min(job.interval_seconds for job in jobs)
        self.lock_seconds = max(10, min(120, 3 * shortest))
        self.lock = connection.lock(
            SCHEDULER_LOCK, timeout=self.lock_seconds, thread_local=False
        )
        self._stopping = threading.Event()
        self._leading = False
        self._thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        """The cron scheduler's name (host, process and a random part)."""
        return self.cron.name

    def tick(self) -> list[str]:
        """Enqueue the jobs that are due if this worker leads; their names."""
        if not self._lead():
            return []
        enqueued = self.cron.enqueue_jobs()
        if enqueued:
            self.cron.save()
        self.cron.heartbeat()
        return [job.name for job in enqueued]

    def _lead(self) -> bool:
        try:
            if self._leading and self.lock.owned():
                self.lock.reacquire()
                return True
        except LockError:
            pass
        leading = bool(self.lock.acquire(blocking=False))
        if leading and not self._leading:
            logger.info("Periodic scheduler %s: leading", self.name)
        self._leading = leading
        return leading

    def run(self) -> None:
        """Tick until stopped; a Redis outage is logged and waited out."""
        logger.info("Periodic scheduler %s: started", self.name)
        while not self._stopping.is_set():
            try:
                for name in self.tick():
                    logger.info("Periodic scheduler %s: enqueued %s", self.name, name)
                pause = min(self.cron.calculate_sleep_interval(), self.lock_seconds / 3)
            except RedisError as error:
                logger.warning(
                    "Periodic scheduler %s: Redis unreachable (%s); retrying",
                    self.name,
                    error,
                )
                self._leading = False
                pause = self.lock_seconds / 3
            self._stopping.wait(max(pause, 0.2))

    def start(self) -> threading.Thread:
        """Run in a daemon thread of this process."""
        self._thread = threading.Thread(
            target=self.run, name="periodic-jobs", daemon=True
        )
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 5.0) -> None:
        """Stop ticking and hand the lead over, so another worker takes it at once."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._leading:
            try:
                self.lock.release()
            except (LockError, RedisError):
                pass
            self._leading = False
        logger.info("Periodic scheduler %s: stopped", self.name)


def enqueue_once(connection: Redis, jobs: list[PeriodicJob]) -> list[str]:
    """Enqueue every periodic job once (a burst worker's single round); job ids."""
    queue = Queue(QUEUE_NAME, connection=connection)
    return [queue.enqueue(job.func, job_timeout=job.timeout_seconds).id for job in jobs]
