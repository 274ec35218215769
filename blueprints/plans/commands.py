"""`flask --app app plan parse|import|publish|rollover|list`.

A document that cannot be read ends the command with status 2 and one line
on stderr, the same sentence the upload page shows.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import NoReturn

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from blueprints.extensions import db
from workflow.calendar_store import calendar_for_plan, parse_school_year
from workflow.models import Plan
from workflow.plan_review import (
    ReviewError,
    import_plan,
    party_dictionary,
    plan_by_id,
    plans_for_review,
    warnings_of,
)
from workflow.plans import (
    PartyDictionary,
    PlanReadError,
    load_party_dictionary,
    parse_plan,
    parsed_plan_to_json,
    read_document,
)
from workflow.publishing import PublishResult, RolloverError, publish, roll_over_plan

logger = logging.getLogger(__name__)

plan = AppGroup("plan", help="Plans: read, import, publish and roll over documents.")


def fail(message: object) -> NoReturn:
    """End the command with status 2 and the message as one line on stderr."""
    click.echo(" ".join(str(message).split()), err=True)
    sys.exit(2)


@plan.command("parse")
@click.argument("file", type=click.Path(path_type=Path))
def parse_command(file: Path) -> None:
    """Print what a plan document says, as JSON; writes nothing to the database."""
    try:
        data = read_document(file)
        parsed = parse_plan(data, file.name, _dictionary())
    except PlanReadError as problem:
        fail(problem)
    finally:
        db.session.rollback()
    click.echo(json.dumps(parsed_plan_to_json(parsed), ensure_ascii=False, indent=2))


def _dictionary() -> PartyDictionary:
    """The app's dictionary; the shipped one when the database cannot be read."""
    try:
        return party_dictionary(db.session)
    except SQLAlchemyError:
        db.session.rollback()
        logger.warning("Plan parse: no database; using the shipped party dictionary")
        return load_party_dictionary()


@plan.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--publish", "publish_too", is_flag=True, help="Publish it at once.")
def import_command(file: Path, publish_too: bool) -> None:
    """Store a plan document as a draft (and publish it with --publish)."""
    try:
        data = read_document(file)
        stored = import_plan(db.session, data, file.name)
    except PlanReadError as problem:
        db.session.rollback()
        fail(problem)

    warnings = warnings_of(db.session, stored.id)
    click.echo(
        f"Plan {stored.id}: stored «{stored.title}» "
        f"({stored.school_year or 'no school year'}), {len(stored.items)} items, "
        f"{len(warnings)} warnings."
    )
    for warning in warnings:
        where = f"item {warning.item_number}" if warning.item_number else "plan"
        click.echo(f"  warning, {where}: {warning.message}")

    if publish_too:
        _publish_and_report(stored)
    db.session.commit()


@plan.command("publish")
@click.argument("plan_id", type=int)
def publish_command(plan_id: int) -> None:
    """Create a stored plan's tasks; publishing again creates only what is missing."""
    _publish_and_report(_plan(plan_id))
    db.session.commit()


@plan.command("rollover")
@click.argument("plan_id", type=int)
@click.option("--to", "target", required=True, help="The school year, e.g. 2026-2027.")
@click.option("--publish", "publish_too", is_flag=True, help="Publish the copy.")
def rollover_command(plan_id: int, target: str, publish_too: bool) -> None:
    """Copy a plan into another school year: same items, dates moved by whole years."""
    source = _plan(plan_id)
    try:
        result = roll_over_plan(db.session, source, parse_school_year(target))
    except (ValueError, RolloverError) as problem:
        db.session.rollback()
        fail(f"Error: {problem}")

    copy = result.plan
    if result.created:
        click.echo(
            f"Plan {source.id}: rolled over to {copy.school_year} as plan {copy.id} "
            f"«{copy.title}», {len(copy.items)} items."
        )
    else:
        click.echo(
            f"Plan {source.id}: already rolled over to {copy.school_year} as plan "
            f"{copy.id}; nothing created."
        )
    if publish_too:
        _publish_and_report(copy)
    db.session.commit()


@plan.command("list")
def list_command() -> None:
    """Every plan with its status, items and tasks."""
    for stored, items, tasks in plans_for_review(db.session):
        click.echo(
            f"{stored.id}\t{stored.status.value}\t{stored.school_year or '-'}\t"
            f"{items} items\t{tasks} tasks\t{stored.title}"
        )


def _plan(plan_id: int) -> Plan:
    try:
        return plan_by_id(db.session, plan_id)
    except ReviewError as problem:
        fail(f"Error: {problem}")


def _publish_and_report(stored: Plan) -> PublishResult:
    calendar = calendar_for_plan(db.session, stored, store=True)
    result = publish(db.session, stored, calendar)
    click.echo(
        f"Plan {stored.id}: published, {result.created} tasks created, "
        f"{result.existing} already existed."
    )
    for number, created in result.created_by_item:
        click.echo(f"  item {number}: {created} tasks created")
    for unplaced in result.unplaced:
        click.echo(f"  item {unplaced.number}: no tasks ({unplaced.reason.value})")
    return result
