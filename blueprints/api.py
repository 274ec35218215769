"""JSON API v1: tasks and transitions, for scripts, the board and integrations."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, Response, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from blueprints.approvals import filters_from
from blueprints.extensions import csrf, db
from blueprints.wording import REFUSALS
from workflow.accounts import person_for_token
from workflow.approvals import (
    BULK_LIMIT,
    QueueCursorError,
    QueueFilters,
    bulk_transition,
    queue_page,
)
from workflow.enums import State
from workflow.errors import (
    CommentRequiredError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnknownTriggerError,
)
from workflow.listing import TaskFilters, decisions_for, visible_tasks
from workflow.models import Organisation, Task
from workflow.scope import person_facts
from workflow.service import apply_transition, load_task
from workflow.signoff import Decision

logger = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PAGE_LIMIT = 200


def init_app(app: Flask) -> None:
    """Register the API; it checks CSRF itself, only for session-authenticated calls."""
    csrf.exempt(bp)
    app.register_blueprint(bp)


def error(status: int, message: str, **extra: Any) -> Response:
    """A JSON error answer: {"error": "..."} with the given status."""
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


def authenticated(view: Callable[..., ResponseReturnValue]) -> Callable[..., Any]:
    """Accept a Bearer token, or the session with a CSRF header for changes."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            person = person_for_token(db.session, header[7:].strip())
            if person is None:
                return error(401, "The token is not valid or was revoked.")
            db.session.commit()
            g.api_person_id = person.id
        elif current_user.is_authenticated:
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                try:
                    csrf.protect()
                except CSRFError:
                    return error(
                        400,
                        "The X-CSRFToken header is missing or wrong; "
                        "send the page's CSRF token, or use a Bearer token.",
                    )
            g.api_person_id = current_user.id
        else:
            return error(401, "Sign in, or send 'Authorization: Bearer <token>'.")
        return view(*args, **kwargs)

    return wrapper


def task_json(task: Task, decisions: list[Decision]) -> dict[str, Any]:
    """The API's form of a task."""
    org: Organisation = task.organisation
    return {
        "id": task.id,
        "plan_id": task.plan_id,
        "item": {"number": task.item.number, "title": task.item.title},
        "organisation": {"id": org.id, "code": org.code, "name": org.short_name},
        "period": task.period_label,
        "start": task.start.isoformat() if task.start else None,
        "due": task.due.isoformat() if task.due else None,
        "state": task.state.value,
        "sent_back": task.sent_back,
        "version": task.version,
        "allowed_triggers": [d.trigger.value for d in decisions if d.allowed],
    }


@bp.get("/tasks")
@authenticated
def list_tasks() -> ResponseReturnValue:
    """Tasks in the caller's scope, filtered, a page at a time (cursor by id)."""
    args = request.args
    state_value = args.get("state")
    if state_value and state_value not in set(State):
        known = ", ".join(State)
        return error(422, f"Unknown state {state_value!r}; use one of: {known}.")
    numbers = {"org": args.get("org"), "plan": args.get("plan")}
    numbers["cursor"] = args.get("cursor")
    numbers["limit"] = args.get("limit")
    for name, value in numbers.items():
        if value is not None and not value.isdigit():
            return error(422, f"The parameter {name!r} must be a whole number.")

    filters = TaskFilters(
        state=State(state_value) if state_value else None,
        item_number=args.get("item") or None,
        org_id=int(numbers["org"]) if numbers["org"] else None,
        plan_id=int(numbers["plan"]) if numbers["plan"] else None,
    )
    limit = min(int(numbers["limit"] or 50), PAGE_LIMIT)
    cursor = int(numbers["cursor"]) if numbers["cursor"] else None

    person = person_facts(db.session, g.api_person_id)
    tasks = visible_tasks(db.session, person, filters, after_id=cursor, limit=limit)
    decisions = decisions_for(db.session, person, tasks)
    next_cursor = str(tasks[-1].id) if len(tasks) == limit else None
    return jsonify(
        {
            "tasks": [task_json(task, decisions[task.id]) for task in tasks],
            "next_cursor": next_cursor,
        }
    )


@bp.get("/tasks/<int:task_id>")
@authenticated
def get_task(task_id: int) -> ResponseReturnValue:
    """One task in the caller's scope."""
    person = person_facts(db.session, g.api_person_id)
    try:
        loaded = load_task(db.session, person, task_id)
    except NotFoundError as missing:
        return error(404, str(missing))
    return jsonify(task_json(loaded.task, loaded.decisions(person)))


@bp.post("/tasks/<int:task_id>/transitions")
@authenticated
def post_transition(task_id: int) -> ResponseReturnValue:
    """Fire a trigger: {"trigger", "comment", "version"}."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error(
            400,
            'The body must be a JSON object such as {"trigger": "start", '
            '"version": 1, "comment": ""}, sent with Content-Type: application/json.',
        )
    trigger = body.get("trigger")
    version = body.get("version")
    comment = body.get("comment", "")
    if not isinstance(trigger, str) or not trigger:
        return error(422, "'trigger' is required and must be a string.")
    if not isinstance(version, int) or isinstance(version, bool):
        return error(
            422, "'version' is required: send the task's current version number."
        )
    if comment is not None and not isinstance(comment, str):
        return error(422, "'comment' must be a string.")

    person = person_facts(db.session, g.api_person_id)
    try:
        task = apply_transition(
            db.session, person, task_id, trigger, version=version, comment=comment
        )
    except UnknownTriggerError as unknown:
        return error(422, str(unknown))
    except NotFoundError as missing:
        return error(404, str(missing))
    except PermissionDeniedError as refused:
        return error(403, str(REFUSALS[refused.refusal]), reason=refused.refusal.value)
    except CommentRequiredError as needs:
        return error(422, str(needs))
    except ConflictError as conflict:
        return error(409, str(conflict), current_version=conflict.current_version)

    loaded = load_task(db.session, person, task.id)
    return jsonify(task_json(loaded.task, loaded.decisions(person)))


def _queue_filters() -> QueueFilters | Response:
    for name in ("plan", "district", "school", "waiting", "limit"):
        value = request.args.get(name)
        if value is not None and not value.isdigit():
            return error(422, f"The parameter {name!r} must be a whole number.")
    return filters_from(request.args)


@bp.get("/approvals")
@authenticated
def list_approvals() -> ResponseReturnValue:
    """The caller's approval queue: oldest submission first, cursor pagination."""
    filters = _queue_filters()
    if isinstance(filters, Response):
        return filters
    limit = min(int(request.args.get("limit") or 50), PAGE_LIMIT)
    person = person_facts(db.session, g.api_person_id)
    try:
        page = queue_page(
            db.session, person, filters, cursor=request.args.get("cursor"), limit=limit
        )
    except QueueCursorError as bad:
        return error(422, str(bad))
    tasks = [entry.task for entry in page.entries]
    decisions = decisions_for(db.session, person, tasks)
    return jsonify(
        {
            "approvals": [
                {
                    **task_json(entry.task, decisions[entry.task.id]),
                    "submitted_at": (
                        entry.task.submitted_at.isoformat() + "Z"
                        if entry.task.submitted_at
                        else None
                    ),
                    "submitted_by": entry.submitter_name,
                    "comment": entry.comment,
                    "evidence": [
                        {"id": file.id, "filename": file.filename, "size": file.size}
                        for file in entry.evidence
                    ],
                }
                for entry in page.entries
            ],
            "next_cursor": page.next_cursor,
        }
    )


@bp.post("/approvals/bulk")
@authenticated
def bulk_approvals() -> ResponseReturnValue:
    """Approve or send back many tasks: {"task_ids", "trigger", "comment"}."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error(
            400,
            'The body must be a JSON object such as {"task_ids": [1, 2], '
            '"trigger": "approve", "comment": ""}.',
        )
    task_ids = body.get("task_ids")
    trigger = body.get("trigger")
    comment = body.get("comment", "")
    if not isinstance(task_ids, list) or not all(
        isinstance(task_id, int) and not isinstance(task_id, bool)
        for task_id in task_ids
    ):
        return error(422, "'task_ids' must be a list of task ids (whole numbers).")
    if trigger not in ("approve", "send_back"):
        return error(422, '\'trigger\' must be "approve" or "send_back".')
    if comment is not None and not isinstance(comment, str):
        return error(422, "'comment' must be a string.")
    if len(task_ids) > BULK_LIMIT:
        return error(422, f"At most {BULK_LIMIT} tasks in one request; split it.")

    person = person_facts(db.session, g.api_person_id)
    try:
        results = bulk_transition(
            db.session,
            person,
            [(task_id, None) for task_id in task_ids],
            trigger,
            comment,
        )
    except CommentRequiredError as needs:
        return error(422, str(needs))
    return jsonify(
        {
            "results": [
                {
                    "task_id": result.task_id,
                    "result": result.outcome.value,
                    "reason": result.message,
                }
                for result in results
            ]
        }
    )
