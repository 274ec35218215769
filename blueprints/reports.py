"""Reports: the progress matrix, XLSX and PDF exports, the calendar feed, the workflow.

The exports take the board's filter parameters and answer for the person's
scope; they accept the session or a personal API token (Bearer), like the
JSON API.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from blueprints.api import authenticated
from blueprints.board import filters_from, query_of
from blueprints.extensions import db
from blueprints.wording import STATE_NAMES, TRIGGER_NAMES
from workflow.board_filters import BoardFilters
from workflow.board_summary import filter_options
from workflow.clock import local_today, utcnow
from workflow.dashboard import (
    BurnUpPoint,
    Matrix,
    Unit,
    activity,
    burn_up,
    most_overdue,
    progress_matrix,
    waiting_approvals,
)
from workflow.enums import State, TriggerName
from workflow.exports import matrix_workbook, tasks_workbook
from workflow.feeds import (
    calendar_text,
    feed_events,
    has_feed,
    issue_feed,
    person_for_feed,
    revoke_feeds,
)
from workflow.machine import Actor, describe
from workflow.pdf_report import pdf_from_html
from workflow.reports import build_report, scope_title
from workflow.scope import person_facts

logger = logging.getLogger(__name__)

bp = Blueprint("reports", __name__, url_prefix="/reports")

ACTIVITY_LIMIT = 50
# Known limitation: the PDF lists at most this many tasks (WeasyPrint lays out
# about a hundred table rows a second); beyond it the report says to narrow the
# filters, and its summary by item still counts every task.
PDF_ROW_LIMIT = 1000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def init_app(app: Flask) -> None:
    """Register the reports."""
    app.register_blueprint(bp)


def _download(body: bytes, mimetype: str, name: str) -> Response:
    """A file to save, never to show inline; no cache holds a person's report."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _file_name(stem: str, extension: str) -> str:
    return f"{stem}-{local_today():%Y-%m-%d}.{extension}"


@bp.get("")
@login_required
def dashboard() -> ResponseReturnValue:
    """The progress matrix: items down, districts (or schools) across."""
    person = person_facts(db.session, current_user.id)
    filters = filters_from(request.args)
    today = local_today()
    matrix = progress_matrix(db.session, person, filters, today)
    idle_text = request.args.get("idle", "")
    idle_days = int(idle_text) if idle_text.isdigit() and len(idle_text) < 4 else 14
    rows = activity(db.session, person, filters)
    now = utcnow()
    return render_template(
        "reports/dashboard.html",
        matrix=matrix,
        chart=burn_up_chart(burn_up(db.session, person, filters, today), today),
        overdue_orgs=most_overdue(db.session, person, filters, today),
        waiting=waiting_approvals(db.session, person, filters, today),
        activity=rows,
        activity_limit=ACTIVITY_LIMIT,
        quiet_count=sum(1 for row in rows if row.idle_since(now, idle_days)),
        idle_days=idle_days,
        now=now,
        filters=filters,
        options=filter_options(db.session, person, filters),
        query_of=query_of,
        cell_link=_cell_link,
        today=today,
    )


def _cell_link(
    filters: BoardFilters, unit: Unit | None, item_id: int | None
) -> dict[str, Any]:
    """The board's URL parameters for exactly one cell's tasks, as cards."""
    extra: dict[str, Any] = {"view": "cards"}
    if item_id is not None:
        extra["item"] = item_id
    if unit is not None:
        if unit.by_district:
            extra["district"] = unit.key
        else:
            extra["school"] = unit.key
    return query_of(filters, **extra)


CHART_WIDTH, CHART_HEIGHT, CHART_LEFT, CHART_BOTTOM = 720, 260, 48, 28


def burn_up_chart(points: list[BurnUpPoint], today: date) -> dict[str, Any] | None:
    """The burn-up as SVG coordinates: two lines, a few labels, and today marked."""
    if len(points) < 2:
        return None
    first, last = points[0].day, points[-1].day
    span = max((last - first).days, 1)
    top = max(max(point.due for point in points), 1)
    inner_width = CHART_WIDTH - CHART_LEFT - 10
    inner_height = CHART_HEIGHT - CHART_BOTTOM - 10

    def x_of(day: date) -> float:
        return CHART_LEFT + inner_width * (day - first).days / span

    def y_of(count: int) -> float:
        return 10 + inner_height * (1 - count / top)

    def line(values: list[tuple[date, int]]) -> str:
        return " ".join(f"{x_of(day):.1f},{y_of(count):.1f}" for day, count in values)

    step = max(len(points) // 6, 1)
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "base": y_of(0),
        "due": line([(point.day, point.due) for point in points]),
        # Nothing is approved in the future: that line stops at today.
        "approved": line(
            [(point.day, point.approved) for point in points if point.day <= today]
        ),
        "today": x_of(today) if first <= today <= last else None,
        "ticks": [
            {"x": x_of(point.day), "label": point.day.strftime("%d.%m.%y")}
            for point in points[::step]
        ],
        "levels": [{"y": y_of(count), "label": count} for count in (0, top // 2, top)],
        "last": points[-1],
        "at_today": next(
            (point for point in reversed(points) if point.day <= today), points[0]
        ),
    }


@bp.get("/progress.xlsx")
@authenticated
def progress_xlsx() -> ResponseReturnValue:
    """The filtered task list as a spreadsheet."""
    person = person_facts(db.session, g.api_person_id)
    filters = filters_from(request.args)
    report = build_report(db.session, person, filters, local_today())
    logger.info("Person %s: progress.xlsx rows=%s", g.api_person_id, len(report.rows))
    return _download(tasks_workbook(report), XLSX_TYPE, _file_name("progress", "xlsx"))


@bp.get("/matrix.xlsx")
@authenticated
def matrix_xlsx() -> ResponseReturnValue:
    """The progress matrix as a spreadsheet."""
    person = person_facts(db.session, g.api_person_id)
    filters = filters_from(request.args)
    matrix: Matrix = progress_matrix(db.session, person, filters, local_today())
    return _download(matrix_workbook(matrix), XLSX_TYPE, _file_name("matrix", "xlsx"))


@bp.get("/progress.pdf")
@authenticated
def progress_pdf() -> ResponseReturnValue:
    """The printable report of one school, district or the republic, for signing."""
    person = person_facts(db.session, g.api_person_id)
    filters = filters_from(request.args)
    today = local_today()
    report = build_report(db.session, person, filters, today, limit=PDF_ROW_LIMIT)
    matrix = progress_matrix(db.session, person, filters, today)
    rows_by_item: dict[tuple[int, str], list[Any]] = {}
    for row in report.rows:
        rows_by_item.setdefault((row.plan_id, row.item_number), []).append(row)
    html = render_template(
        "reports/progress_pdf.html",
        report=report,
        summary={row.item_id: row.total for row in matrix.rows},
        rows_by_item=rows_by_item,
        scope=scope_title(db.session, person, filters),
        today=today,
        printed_at=utcnow(),
        STATE_NAMES=STATE_NAMES,
    )
    logger.info("Person %s: progress.pdf rows=%s", g.api_person_id, len(report.rows))
    return _download(
        pdf_from_html(html), "application/pdf", _file_name("progress", "pdf")
    )


ACTOR_WORDS: dict[str, LazyString] = {
    Actor.EXECUTOR.value: _l("an executor of the task"),
    Actor.LEAD.value: _l("the item's lead role or the organisation's head"),
    Actor.APPROVER.value: _l("the supervising organisation, never the submitter"),
    Actor.ADMIN.value: _l("the ministry administrator"),
}
BOX_WIDTH, BOX_HEIGHT, BOX_GAP, MARGIN, TOP = 150, 46, 110, 20, 150


@dataclass(frozen=True)
class Edge:
    """One transition as the picture draws it: a path and its label."""

    trigger: str
    source: str
    dest: str
    forward: bool
    path: str
    label_x: float
    label_y: float
    name: str
    actor: str
    needs: str


def draw_workflow(rows: list[dict[str, str | bool]]) -> dict[str, Any]:
    """Boxes for the states and arrows for the transitions that describe() lists.

    Moves forward are drawn above the boxes, moves back below them, each
    higher (or lower) by how many states it spans, so none overlap.
    """
    order = [state.value for state in State]
    centre = {
        state: MARGIN + index * (BOX_WIDTH + BOX_GAP) + BOX_WIDTH / 2
        for index, state in enumerate(order)
    }
    boxes = [
        {
            "state": state,
            "x": centre[state] - BOX_WIDTH / 2,
            "y": TOP,
            "name": STATE_NAMES[State(state)],
        }
        for state in order
    ]
    edges: list[Edge] = []
    placed = {True: 0, False: 0}
    for row in rows:
        source, dest = str(row["source"]), str(row["dest"])
        span = abs(order.index(dest) - order.index(source))
        forward = order.index(dest) > order.index(source)
        # Longer moves start and end further out, so their arcs nest.
        shift = 35 * span - 40
        if forward:
            shift = -shift
        start_x, end_x = centre[source] + shift, centre[dest] - shift
        edge_y = TOP if forward else TOP + BOX_HEIGHT
        bend = (-1 if forward else 1) * (50 + 70 * (span - 1))
        control_y = edge_y + 2 * bend
        stagger = 34 * (placed[forward] % 2)
        placed[forward] += 1
        needs = [
            str(word)
            for flag, word in (
                (row["needs_comment"], _l("comment")),
                (row["needs_evidence"], _l("evidence")),
            )
            if flag
        ]
        edges.append(
            Edge(
                trigger=str(row["trigger"]),
                source=source,
                dest=dest,
                forward=forward,
                path=(
                    f"M {start_x:.0f} {edge_y} "
                    f"Q {(start_x + end_x) / 2:.0f} {control_y} {end_x:.0f} {edge_y}"
                ),
                label_x=(start_x + end_x) / 2,
                # Neighbouring labels alternate between two heights so that
                # long words (as in Russian) never run into each other.
                label_y=edge_y + bend + (-22 - stagger if forward else 20 + stagger),
                name=str(TRIGGER_NAMES[TriggerName(str(row["trigger"]))]),
                actor=str(ACTOR_WORDS[str(row["actor"])]),
                needs=", ".join(needs),
            )
        )
    width = 2 * MARGIN + len(order) * BOX_WIDTH + (len(order) - 1) * BOX_GAP
    return {
        "boxes": boxes,
        "edges": edges,
        "state_names": {box["state"]: box["name"] for box in boxes},
        "width": width,
        "height": 2 * TOP + 170,
    }


@bp.get("/workflow")
@login_required
def workflow() -> ResponseReturnValue:
    """The sign-off workflow as a picture, drawn from the machine the server runs."""
    return render_template("reports/workflow.html", picture=draw_workflow(describe()))


@bp.get("/calendar")
@login_required
def calendar() -> ResponseReturnValue:
    """The personal calendar feed: make a secret URL, or revoke it."""
    return render_template(
        "reports/calendar.html",
        has_feed=has_feed(db.session, current_user.id),
        feed_url=None,
    )


@bp.post("/calendar")
@login_required
def calendar_issue() -> ResponseReturnValue:
    """Make a new secret feed URL (the old one stops working); show it once."""
    token = issue_feed(db.session, current_user.id)
    db.session.commit()
    return render_template(
        "reports/calendar.html",
        has_feed=True,
        feed_url=url_for("reports.feed", token=token, _external=True),
    )


@bp.post("/calendar/revoke")
@login_required
def calendar_revoke() -> ResponseReturnValue:
    """Revoke the feed URL: calendars that subscribed to it get nothing more."""
    revoke_feeds(db.session, current_user.id)
    db.session.commit()
    flash(_("The calendar address no longer works."), "success")
    return redirect(url_for("reports.calendar"))


@bp.get("/feed/<token>.ics")
def feed(token: str) -> ResponseReturnValue:
    """The feed itself: the secret token is the only credential; revoked is 404."""
    owner = person_for_feed(db.session, token)
    if owner is None:
        abort(404)
    db.session.commit()

    person = person_facts(db.session, owner.id)
    today: date = local_today()
    # The task page's address with "{id}" where the id goes: it ends in "/0".
    task_url = url_for("tasks.task_page", task_id=0, _external=True)[:-1] + "{id}"
    events = feed_events(db.session, person, today, task_url)
    text = calendar_text(events, "Plangraph", utcnow())
    response = Response(text, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-store"
    return response
