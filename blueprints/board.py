"""The board: columns of cards, swimlanes, the ministry's grouped view, moves."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.datastructures import FileStorage, MultiDict

from blueprints.extensions import db
from blueprints.wording import (
    COMMENT_PROMPTS,
    REFUSALS,
    ROLE_NAMES,
    STATE_NAMES,
    TRIGGER_NAMES,
)
from workflow.board import (
    COLUMN_LIMIT,
    LANE_LIMIT,
    Card,
    Cursor,
    Lanes,
    build_board,
    card_of,
    more_cards,
)
from workflow.board_filters import BoardFilters, latest_plan_id
from workflow.board_moves import NO_PATH
from workflow.board_summary import Option, filter_options, summarise
from workflow.clock import local_today
from workflow.enums import Role, State, TriggerName
from workflow.errors import (
    CommentRequiredError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnknownTriggerError,
)
from workflow.evidence import EvidenceRejectedError, attach_evidence
from workflow.scope import person_facts
from workflow.service import apply_transition
from workflow.signoff import PersonFacts, Refusal

logger = logging.getLogger(__name__)

bp = Blueprint("board", __name__, url_prefix="/board")

EVIDENCE_LIMIT = 10 * 1024 * 1024
NO_PATH_TEXT = _l(
    "A card moves one step at a time: planned, in progress, submitted, approved."
)
EVIDENCE_REJECTIONS = {
    "too_large": _l("The file is too large: attach one of at most 10 MB."),
    "empty": _l("The file is empty; choose another."),
    "wrong_type": _l(
        "This kind of file is not accepted: attach a PDF, an image (PNG or JPEG), "
        "an office document or plain text."
    ),
    "not_allowed": _l("Only the executors of the task can attach evidence."),
}
VIEWS = ("cards", "summary")


def attach_upload(person: PersonFacts, task_id: int, upload: FileStorage) -> None:
    """Store an uploaded evidence file for a task (the board's and the task page's).

    Raises NotFoundError or EvidenceRejectedError, as attach_evidence does.
    """
    attach_evidence(
        db.session,
        person,
        task_id,
        upload.filename or "",
        upload.stream,
        current_app.config["EVIDENCE_DIR"],
        size_limit=EVIDENCE_LIMIT,
    )


def init_app(app: Flask) -> None:
    """Register the board and the helpers its templates use."""
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        board_moves=moves_payload,
        board_words=board_words,
        refusal_words=refusal_words,
        ROLE_NAMES=ROLE_NAMES,
    )


def board_words() -> dict[str, Any]:
    """Every word a card shows, translated once per request (a board has 200 cards)."""
    if "board_words" not in g:
        refusals = {refusal.value: str(REFUSALS[refusal]) for refusal in Refusal}
        refusals[NO_PATH] = str(NO_PATH_TEXT)
        g.board_words = {
            "states": {state: str(STATE_NAMES[state]) for state in State},
            "triggers": {
                trigger: str(TRIGGER_NAMES[trigger]) for trigger in TriggerName
            },
            "refusals": refusals,
            "due": _("due"),
            "overdue": _("overdue"),
            "due_soon": _("due soon"),
            "sent_back": _("sent back"),
            "evidence": _("Evidence files"),
            "comments": _("Comments"),
            "move_to": _("Move to…"),
        }
    words: dict[str, Any] = g.board_words
    return words


def refusal_words(code: str | None) -> str:
    """The sentence for a refusal code of a move (decide()'s, or no path)."""
    if code is None:
        return ""
    refusals: dict[str, str] = board_words()["refusals"]
    return refusals.get(code, refusals[NO_PATH])


def moves_payload(card: Card) -> dict[str, dict[str, Any]]:
    """What the board's script needs to open and close columns for one card."""
    words = board_words()
    payload: dict[str, dict[str, Any]] = {}
    for move in card.moves:
        if move.allowed and move.trigger is not None:
            payload[move.dest.value] = {
                "trigger": move.trigger.value,
                "action": words["triggers"][move.trigger],
                "comment": move.needs_comment,
                "evidence": move.needs_evidence,
            }
        else:
            payload[move.dest.value] = {"reason": refusal_words(move.refusal)}
    return payload


def _number(args: MultiDict[str, str], name: str) -> int | None:
    value = (args.get(name) or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


def filters_from(args: MultiDict[str, str]) -> BoardFilters:
    """Read the board's filters from the query string; unknown values are ignored."""
    plan_value = args.get("plan")
    if plan_value == "all":
        plan_id = None
    elif plan_value and plan_value.isdigit():
        plan_id = int(plan_value)
    else:
        plan_id = latest_plan_id(db.session)
    period = (args.get("period") or "").strip()[:100] or None
    return BoardFilters(
        plan_id=plan_id,
        item_id=_number(args, "item"),
        district_id=_number(args, "district"),
        school_id=_number(args, "school"),
        period=period,
        overdue=args.get("overdue") == "1",
        mine=args.get("mine") == "1",
    )


def query_of(filters: BoardFilters, **extra: Any) -> dict[str, Any]:
    """The filters as URL parameters (for links that keep them)."""
    found: dict[str, Any] = {
        "plan": filters.plan_id if filters.plan_id is not None else "all",
        "item": filters.item_id,
        "district": filters.district_id,
        "school": filters.school_id,
        "period": filters.period,
        "overdue": "1" if filters.overdue else None,
        "mine": "1" if filters.mine else None,
    }
    found.update(extra)
    return {name: value for name, value in found.items() if value not in (None, "")}


def _lanes_from(args: MultiDict[str, str]) -> Lanes:
    value = args.get("lanes") or Lanes.NONE.value
    return Lanes(value) if value in set(Lanes) else Lanes.NONE


def _default_view(person: PersonFacts, filters: BoardFilters) -> str:
    """The ministry opens grouped by item; everyone else, and a school, on cards."""
    if filters.school_id is not None:
        return "cards"
    ministry_roles = {Role.MINISTRY_ADMIN, Role.MINISTRY_SPECIALIST}
    held = {role for roles in person.roles_by_org.values() for role in roles}
    return "summary" if held & ministry_roles else "cards"


def _district_name(districts: list[Option], district_id: int | None) -> str:
    wanted = str(district_id)
    return next((option.label for option in districts if option.value == wanted), "")


@bp.get("")
@login_required
def board() -> ResponseReturnValue:
    """The board of the tasks in the person's scope, filtered by the URL."""
    person = person_facts(db.session, current_user.id)
    filters = filters_from(request.args)
    lanes = _lanes_from(request.args)
    view = request.args.get("view")
    if view not in VIEWS:
        view = _default_view(person, filters)
    today = local_today()
    options = filter_options(db.session, person, filters)

    context: dict[str, Any] = {
        "filters": filters,
        "options": options,
        "lanes": lanes.value,
        "view": view,
        "today": today,
        "query_of": query_of,
        "States": list(State),
        "lane_limit": LANE_LIMIT,
        "district_name": _district_name(options.districts, filters.district_id),
        "dialog_prompts": {
            trigger.value: str(prompt) for trigger, prompt in COMMENT_PROMPTS.items()
        },
    }
    if view == "summary":
        context["summary"] = summarise(db.session, person, filters, today)
    else:
        lanes_from = _number(request.args, "lanes_from") or 0
        context["board"] = build_board(
            db.session, person, filters, today, lanes=lanes, lanes_from=lanes_from
        )
    return render_template("board/page.html", **context)


@bp.get("/more")
@login_required
def more() -> ResponseReturnValue:
    """The next cards of one column (or one swimlane's cell), for "show more"."""
    state_value = request.args.get("state", "")
    cursor = Cursor.decode(request.args.get("after", ""))
    if state_value not in set(State) or cursor is None:
        abort(400)

    person = person_facts(db.session, current_user.id)
    filters = filters_from(request.args)
    lanes = _lanes_from(request.args)
    lane_key = _number(request.args, "lane")
    state = State(state_value)
    cards, has_more = more_cards(
        db.session,
        person,
        filters,
        local_today(),
        state=state,
        lanes=lanes,
        lane_key=lane_key,
        after=cursor,
        limit=COLUMN_LIMIT if lanes is Lanes.NONE else 20,
    )
    next_url = None
    if has_more and cards:
        next_url = url_for(
            "board.more",
            **query_of(
                filters,
                state=state.value,
                lanes=lanes.value,
                lane=lane_key,
                after=cards[-1].cursor.encode(),
            ),
        )
    return render_template(
        "board/_more.html", cards=cards, next_url=next_url, today=local_today()
    )


@bp.post("/tasks/<int:task_id>/move")
@login_required
def move(task_id: int) -> ResponseReturnValue:
    """Fire the trigger of a drop (or of the "move to" menu); answer in JSON."""
    person = person_facts(db.session, current_user.id)
    trigger = request.form.get("trigger", "")
    version_text = request.form.get("version", "")
    if not version_text.isdigit():
        return _refused(422, _("The card is out of date; reload the board."), task_id)
    comment = request.form.get("comment", "")

    upload = request.files.get("evidence")
    attached = False
    if upload is not None and upload.filename:
        try:
            attach_upload(person, task_id, upload)
        except NotFoundError:
            abort(404)
        except EvidenceRejectedError as rejected:
            return _refused(422, str(EVIDENCE_REJECTIONS[rejected.reason]), task_id)
        attached = True

    try:
        apply_transition(
            db.session,
            person,
            task_id,
            trigger,
            version=int(version_text),
            comment=comment,
        )
    except NotFoundError:
        abort(404)
    except PermissionDeniedError as error:
        return _refused(403, str(REFUSALS[error.refusal]), task_id, attached)
    except CommentRequiredError:
        message = _("Please write a comment: this move needs one.")
        return _refused(422, message, task_id, attached)
    except ConflictError:
        message = _(
            "Someone else changed this task a moment ago, so the card went back. "
            "It now shows where the task stands; check it and try again."
        )
        return _refused(409, message, task_id, attached)
    except UnknownTriggerError:
        return _refused(422, _("That move does not exist."), task_id, attached)

    name = TRIGGER_NAMES[TriggerName(trigger)]
    return _card_answer(
        200, _("Done: %(action)s.", action=name), task_id, person, ok=True
    )


def _refused(
    status: int, message: str, task_id: int, attached: bool = False
) -> Response:
    if attached:
        message = _("The file was attached. %(reason)s", reason=message)
    person = person_facts(db.session, current_user.id)
    return _card_answer(status, message, task_id, person, ok=False)


def _card_answer(
    status: int, message: str, task_id: int, person: PersonFacts, *, ok: bool
) -> Response:
    """The answer to a move: the message and the card as it is now."""
    db.session.rollback()
    found = card_of(db.session, person, task_id, local_today())
    body: dict[str, Any] = {"ok": ok, "message": message}
    if found is not None:
        body["state"] = found.task.state.value
        body["version"] = found.task.version
        body["state_name"] = str(STATE_NAMES[State(found.task.state)])
        body["card"] = render_template(
            "board/_card_only.html", card=found, today=local_today()
        )
    response = jsonify(body)
    response.status_code = status
    return response
