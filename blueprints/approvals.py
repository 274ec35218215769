"""The approval queue, bulk actions, deadline extensions and substitutes."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from blueprints.extensions import db
from blueprints.wording import REFUSALS, TRIGGER_NAMES
from workflow.accounts import find_person
from workflow.approvals import (
    BULK_LIMIT,
    BulkOutcome,
    QueueCursorError,
    QueueFilters,
    bulk_transition,
    matching_ids,
    queue_page,
    waiting_count,
)
from workflow.clock import local_today, utcnow
from workflow.deadlines import (
    ExtensionError,
    ExtensionProblem,
    decide_extension,
    pending_for_approver,
    request_extension,
)
from workflow.enums import Level, Role, TriggerName
from workflow.errors import (
    CommentRequiredError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from workflow.models import Organisation, Plan
from workflow.scope import in_scope, person_facts
from workflow.service import apply_transition
from workflow.substitutes import (
    Substitution,
    SubstitutionError,
    SubstitutionProblem,
    add_substitution,
    current_substitutions,
)

bp = Blueprint("approvals", __name__)

OUTCOME_WORDS = {
    BulkOutcome.DONE: _l("done"),
    BulkOutcome.CHANGED: _l("changed meanwhile: reload and check it"),
    BulkOutcome.NOT_YOURS: _l("no longer yours to decide"),
    BulkOutcome.REFUSED: _l("refused"),
}
EXTENSION_PROBLEMS = {
    ExtensionProblem.APPROVED: _l(
        "The task is approved already; it needs no more time."
    ),
    ExtensionProblem.NO_REASON: _l("Say why more time is needed."),
    ExtensionProblem.NOT_LATER: _l("The new due date must be after the current one."),
    ExtensionProblem.ALREADY_PENDING: _l(
        "A request for this task is already waiting for a decision."
    ),
}

SUBSTITUTION_PROBLEMS = {
    SubstitutionProblem.SELF: _l("A person cannot substitute for themselves."),
    SubstitutionProblem.DATES: _l(
        "The absence ends before it starts; check the dates."
    ),
    SubstitutionProblem.INACTIVE: _l(
        "That person cannot sign in, so cannot substitute."
    ),
}


def init_app(app: Flask) -> None:
    """Register the pages and the navigation bar's count of waiting approvals."""
    app.register_blueprint(bp)
    app.context_processor(_waiting_approvals)


def _waiting_approvals() -> dict[str, Any]:
    if not current_user.is_authenticated:
        return {}
    if "waiting_approvals" not in g:
        g.waiting_approvals = waiting_count(db.session, _person())
    return {"waiting_approvals": g.waiting_approvals}


def _person() -> Any:
    if "person_facts" not in g:
        g.person_facts = person_facts(db.session, current_user.id)
    return g.person_facts


def filters_from(args: Any) -> QueueFilters:
    """Read the queue's filters from a query string; ignore what is not a number."""

    def number(name: str) -> int | None:
        value = (args.get(name) or "").strip()
        return int(value) if value.isdigit() else None

    return QueueFilters(
        plan_id=number("plan"),
        item_number=(args.get("item") or "").strip() or None,
        district_id=number("district"),
        school_id=number("school"),
        waiting_days=number("waiting"),
    )


def filter_args(filters: QueueFilters) -> dict[str, Any]:
    """The query-string form of the filters, for links and redirects."""
    pairs = {
        "plan": filters.plan_id,
        "item": filters.item_number,
        "district": filters.district_id,
        "school": filters.school_id,
        "waiting": filters.waiting_days,
    }
    return {name: value for name, value in pairs.items() if value not in (None, "")}


@bp.route("/approvals")
@login_required
def queue() -> ResponseReturnValue:
    """Submitted tasks waiting for this person's approval, oldest first."""
    person = _person()
    filters = filters_from(request.args)
    try:
        page = queue_page(db.session, person, filters, cursor=request.args.get("after"))
    except QueueCursorError:
        flash(_("That page of the queue no longer exists; here is the first one."))
        return redirect(url_for("approvals.queue", **filter_args(filters)))

    districts = db.session.scalars(
        select(Organisation)
        .where(
            Organisation.level == Level.DISTRICT, in_scope(person, Organisation.path)
        )
        .order_by(Organisation.short_name)
    ).all()
    plans = db.session.scalars(select(Plan).order_by(Plan.id.desc())).all()
    return render_template(
        "approvals/queue.html",
        page=page,
        filters=filters,
        args=filter_args(filters),
        districts=districts,
        plans=plans,
        extensions=pending_for_approver(db.session, person),
        now=utcnow(),
        bulk_limit=BULK_LIMIT,
    )


@bp.post("/approvals/act")
@login_required
def act() -> ResponseReturnValue:
    """Approve or send back one task from the queue, then show the queue again."""
    filters = filters_from(request.form)
    trigger = request.form.get("trigger", "")
    task_id = request.form.get("task_id", "")
    version = request.form.get("version", "")
    if trigger not in (TriggerName.APPROVE, TriggerName.SEND_BACK) or not (
        task_id.isdigit() and version.isdigit()
    ):
        flash(_("The form was incomplete or has expired; please try again."), "error")
        return redirect(url_for("approvals.queue", **filter_args(filters)))

    try:
        apply_transition(
            db.session,
            _person(),
            int(task_id),
            trigger,
            version=int(version),
            comment=request.form.get("comment"),
        )
    except NotFoundError:
        abort(404)
    except PermissionDeniedError as refused:
        flash(str(REFUSALS[refused.refusal]), "error")
    except CommentRequiredError:
        flash(_("Please write the reason: sending back needs one."), "error")
    except ConflictError:
        flash(
            _("This task changed meanwhile; the queue shows it as it is now."), "error"
        )
    else:
        flash(
            _("Done: %(action)s.", action=TRIGGER_NAMES[TriggerName(trigger)]),
            "success",
        )
    return redirect(url_for("approvals.queue", **filter_args(filters)))


@bp.post("/approvals/bulk")
@login_required
def bulk() -> ResponseReturnValue:
    """Approve (or send back with one reason) the selected or all matching tasks."""
    person = _person()
    filters = filters_from(request.form)
    trigger = request.form.get("trigger", "")
    chosen: list[tuple[int, int | None]] = []
    if request.form.get("scope") == "all":
        chosen = [
            (task_id, None) for task_id in matching_ids(db.session, person, filters)
        ]
    else:
        for value in request.form.getlist("task"):
            task_id, _sep, version = value.partition(":")
            if task_id.isdigit() and version.isdigit():
                chosen.append((int(task_id), int(version)))
    if not chosen:
        flash(_("Select at least one task first."), "error")
        return redirect(url_for("approvals.queue", **filter_args(filters)))

    try:
        results = bulk_transition(
            db.session, person, chosen, trigger, request.form.get("comment")
        )
    except CommentRequiredError:
        flash(_("Sending back in bulk needs one reason for all; write it."), "error")
        return redirect(url_for("approvals.queue", **filter_args(filters)))
    except ValueError:
        flash(_("That action does not exist."), "error")
        return redirect(url_for("approvals.queue", **filter_args(filters)))
    return render_template(
        "approvals/bulk_result.html",
        results=results,
        trigger=TriggerName(trigger),
        outcome_words=OUTCOME_WORDS,
        args=filter_args(filters),
        done=sum(1 for result in results if result.outcome is BulkOutcome.DONE),
    )


@bp.post("/approvals/extensions/<int:extension_id>")
@login_required
def decide(extension_id: int) -> ResponseReturnValue:
    """Grant or decline a request for more time."""
    grant = request.form.get("decision") == "grant"
    try:
        decide_extension(
            db.session,
            _person(),
            extension_id,
            grant=grant,
            comment=request.form.get("comment", ""),
        )
    except NotFoundError:
        abort(404)
    except PermissionDeniedError:
        flash(_("Only the task's approver may decide this request."), "error")
    except ConflictError:
        flash(_("This request was decided already."), "error")
    else:
        message = _("Granted: the due date moved.") if grant else _("Declined.")
        flash(message, "success")
    return redirect(
        url_for("approvals.queue", **filter_args(filters_from(request.form)))
    )


@bp.post("/tasks/<int:task_id>/extension")
@login_required
def ask_for_time(task_id: int) -> ResponseReturnValue:
    """An executor asks for a later due date, with a reason."""
    try:
        new_due = date.fromisoformat(request.form.get("new_due", ""))
    except ValueError:
        flash(_("Give the new due date as a date."), "error")
        return redirect(url_for("tasks.task_page", task_id=task_id))
    try:
        request_extension(
            db.session, _person(), task_id, new_due, request.form.get("reason", "")
        )
    except NotFoundError:
        abort(404)
    except PermissionDeniedError:
        flash(_("Only the task's executors may ask for more time."), "error")
    except ExtensionError as problem:
        flash(str(EXTENSION_PROBLEMS[problem.problem]), "error")
    else:
        flash(_("Your request was sent to the approver."), "success")
    return redirect(url_for("tasks.task_page", task_id=task_id))


@bp.route("/substitutes", methods=["GET", "POST"])
@login_required
def substitutes() -> ResponseReturnValue:
    """Name a substitute for a date range (for oneself, or any person as admin)."""
    person = _person()
    is_admin = person.holds_anywhere(Role.MINISTRY_ADMIN)
    if request.method == "POST":
        _add_substitution(is_admin)
        return redirect(url_for("approvals.substitutes"))

    today = local_today()
    if is_admin:
        listed = db.session.scalars(
            select(Substitution)
            .where(Substitution.ends >= today, Substitution.cancelled_at.is_(None))
            .order_by(Substitution.starts)
            .limit(200)
        ).all()
    else:
        listed = current_substitutions(db.session, current_user.id, today)
    return render_template(
        "approvals/substitutes.html", listed=listed, is_admin=is_admin, today=today
    )


def _add_substitution(is_admin: bool) -> None:
    form = request.form
    try:
        starts = date.fromisoformat(form.get("starts", ""))
        ends = date.fromisoformat(form.get("ends", ""))
    except ValueError:
        flash(_("Give both dates of the absence."), "error")
        return
    absent_email = form.get("absent", "").strip() if is_admin else current_user.email
    try:
        absent = find_person(db.session, absent_email or current_user.email)
        substitute = find_person(db.session, form.get("substitute", ""))
        add_substitution(db.session, absent, substitute, starts, ends, current_user)
    except NotFoundError:
        db.session.rollback()
        flash(_("No person has that e-mail address; check it."), "error")
        return
    except SubstitutionError as problem:
        db.session.rollback()
        flash(str(SUBSTITUTION_PROBLEMS[problem.problem]), "error")
        return
    db.session.commit()
    flash(_("The substitute is named."), "success")


@bp.post("/substitutes/<int:substitution_id>/cancel")
@login_required
def cancel_substitution(substitution_id: int) -> ResponseReturnValue:
    """End a substitution before its time (its absent person or the admin)."""
    substitution = db.session.get(Substitution, substitution_id)
    person = _person()
    if substitution is None or not (
        substitution.absent_id == current_user.id
        or person.holds_anywhere(Role.MINISTRY_ADMIN)
    ):
        abort(404)
    substitution.cancelled_at = utcnow()
    db.session.commit()
    flash(_("The substitution is cancelled."), "success")
    return redirect(url_for("approvals.substitutes"))
