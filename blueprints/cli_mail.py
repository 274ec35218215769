"""Operators' commands for escalation and mail: `flask --app app escalate|outbox`.

Also where a worker process gets its jobs configured and its periodic
scheduler started (`flask --app app worker` calls `start_jobs`).
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from redis import Redis

from blueprints.extensions import db
from workflow.backlog import backlog
from workflow.clock import LOCAL_ZONE
from workflow.delivery import deliver
from workflow.escalation import SweepSettings, sweep
from workflow.jobs import (
    JobRuntime,
    PeriodicScheduler,
    configure,
    enqueue_once,
    periodic_jobs,
)
from workflow.smtp import MailSettings

logger = logging.getLogger(__name__)

outbox = AppGroup("outbox", help="Messages waiting to be sent: send them, count them.")


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(escalate)
    app.cli.add_command(outbox)


def job_runtime() -> JobRuntime:
    """The engine and settings that jobs use, from the current application."""
    return JobRuntime(
        engine=db.engine,
        sweep=SweepSettings.from_mapping(current_app.config),
        mail=MailSettings.from_mapping(current_app.config),
    )


def start_jobs(connection: Redis, *, burst: bool) -> PeriodicScheduler | None:
    """Configure this worker's jobs; start the periodic ones (burst: enqueue once)."""
    runtime = job_runtime()
    configure(runtime)
    jobs = periodic_jobs(runtime)
    if burst:
        enqueue_once(connection, jobs)
        return None
    scheduler = PeriodicScheduler(connection, jobs)
    scheduler.start()
    return scheduler


def _moment(text: str | None) -> datetime | None:
    """Read --now: an ISO date-time, local to the republic unless it names a zone."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO date-time; write it as 2021-09-20T09:00.",
            param_hint="--now",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_ZONE)
    return moment.astimezone(UTC).replace(tzinfo=None)


@click.command("escalate")
@with_appcontext
@click.option(
    "--now",
    "now_text",
    metavar="ISO-DATETIME",
    help="Sweep as if it were this moment (local time unless a zone is given).",
)
def escalate(now_text: str | None) -> None:
    """Run one escalation sweep now and print what it recorded."""
    moment = _moment(now_text)
    settings = SweepSettings.from_mapping(current_app.config)
    result = sweep(db.session, settings, now=moment)
    for line in result.lines():
        click.echo(line)


@outbox.command("send")
def send_outbox() -> None:
    """Deliver everything waiting in the outbox now, without waiting windows."""
    settings = MailSettings.from_mapping(current_app.config)
    result = deliver(db.session, settings, force=True)
    click.echo(result.line())
    if result.failed_messages:
        for error in sorted(set(result.errors)):
            click.echo(f"Error: {error}", err=True)
        sys.exit(1)


@outbox.command("status")
def outbox_status() -> None:
    """Print how many messages wait and the latest delivery error."""
    summary = backlog(db.session)
    oldest = summary.oldest_waiting.isoformat(" ") if summary.oldest_waiting else "-"
    click.echo(
        f"Waiting: {summary.waiting} rows (oldest {oldest} UTC); "
        f"retrying: {summary.retrying}; sent in the last day: {summary.sent_last_day}."
    )
    if summary.last_error:
        click.echo(f"Latest error: {summary.last_error}")
