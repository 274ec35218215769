"""Operators' commands: `flask --app app users|demo|worker ...`."""

from __future__ import annotations

import json
import logging
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from blueprints.extensions import db
from workflow.accounts import find_person, issue_token, set_password
from workflow.errors import NotFoundError
from workflow.models import Membership, Person

logger = logging.getLogger(__name__)

users = AppGroup("users", help="People: list them, set passwords, issue API tokens.")
demo = AppGroup("demo", help="The demo republic.")


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(users)
    app.cli.add_command(demo)
    app.cli.add_command(worker)


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_users(as_json: bool) -> None:
    """Every person with e-mail, organisations and roles."""
    people = db.session.scalars(
        select(Person)
        .options(selectinload(Person.memberships).selectinload(Membership.organisation))
        .order_by(Person.email)
    ).all()
    rows = [
        {
            "email": person.email,
            "name": person.name,
            "active": person.active,
            "memberships": [
                {
                    "organisation": m.organisation.code,
                    "organisation_name": m.organisation.short_name,
                    "role": m.role.value,
                }
                for m in person.memberships
            ],
        }
        for person in people
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        roles = ", ".join(
            f"{m['role']}@{m['organisation']}" for m in row["memberships"]
        )
        click.echo(f"{row['email']}\t{row['name']}\t{roles}")


@users.command("passwd")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def change_password(email: str, password: str) -> None:
    """Set a person's password."""
    try:
        person = find_person(db.session, email)
        set_password(person, password)
    except (NotFoundError, ValueError) as problem:
        click.echo(f"Error: {problem}", err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"Password set for {person.email}.")


@users.command("token")
@click.argument("email")
def make_token(email: str) -> None:
    """Print a new personal API token for a person (shown only once)."""
    try:
        person = find_person(db.session, email)
    except NotFoundError as problem:
        click.echo(f"Error: {problem}", err=True)
        sys.exit(2)
    token = issue_token(db.session, person)
    db.session.commit()
    click.echo(token)


@demo.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when people already exist.")
def seed_demo(if_empty: bool) -> None:
    """Build the fictional republic with the Элжур plan running in this school year."""
    from workflow.demo import seed

    if if_empty and db.session.scalar(select(Person.id).limit(1)) is not None:
        click.echo("Demo data already present; nothing to do.")
        return
    summary = seed(db.session)
    db.session.commit()
    click.echo(summary)


@click.command("worker")
@click.option(
    "--burst",
    is_flag=True,
    help="Run each periodic job once and stop when the queues are empty.",
)
def worker(burst: bool) -> None:
    """Run an RQ worker inside the application, with the periodic jobs."""
    from redis import Redis
    from rq import Queue, Worker

    from blueprints.cli_mail import start_jobs

    connection = Redis.from_url(current_app.config["REDIS_URL"])
    queues = [Queue(name, connection=connection) for name in ("default",)]
    logger.info("Worker: starting on %s", current_app.config["REDIS_URL"])
    scheduler = start_jobs(connection, burst=burst)
    try:
        Worker(queues, connection=connection).work(burst=burst, with_scheduler=True)
    finally:
        if scheduler is not None:
            scheduler.stop()
