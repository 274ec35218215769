"""Pages: "my tasks" and the task page with its actions and history."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from blueprints.board import EVIDENCE_REJECTIONS, attach_upload
from blueprints.extensions import db
from blueprints.wording import (
    COMMENT_PROMPTS,
    REFUSALS,
    STATE_NAMES,
    TRIGGER_NAMES,
    refusal_text,
)
from workflow.clock import local_today
from workflow.comments import (
    COMMENT_BODY_LIMIT,
    CommentInvalidError,
    add_comment,
    history_of,
)
from workflow.deadlines import may_ask_for_time, pending_for
from workflow.enums import State, TriggerName
from workflow.errors import (
    CommentRequiredError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnknownTriggerError,
)
from workflow.evidence import (
    EvidenceRejectedError,
    evidence_file,
    evidence_of,
    may_attach,
)
from workflow.listing import TaskFilters, actionable_tasks
from workflow.models import Item
from workflow.scope import person_facts
from workflow.service import COMMENT_LIMIT, apply_transition, load_task
from workflow.task_details import responsible_for

bp = Blueprint("tasks", __name__)


class TransitionForm(FlaskForm):
    """Fire one trigger; the version guards against acting on a stale page."""

    trigger = HiddenField(validators=[DataRequired()])
    version = HiddenField(validators=[DataRequired()])
    comment = TextAreaField(validators=[Optional(), Length(max=COMMENT_LIMIT)])


class CommentForm(FlaskForm):
    """A comment on a task."""

    body = TextAreaField(validators=[DataRequired(), Length(max=COMMENT_BODY_LIMIT)])


class EvidenceForm(FlaskForm):
    """The evidence upload's CSRF token; the file is read from the request."""


def init_app(app: Flask) -> None:
    """Register the task pages and the names templates use."""
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        STATE_NAMES=STATE_NAMES,
        TRIGGER_NAMES=TRIGGER_NAMES,
        COMMENT_PROMPTS=COMMENT_PROMPTS,
        refusal_text=refusal_text,
        States=State,
        get_locale=get_locale,
    )
    app.jinja_env.filters["trigger"] = TriggerName


@bp.route("/")
@login_required
def my_tasks() -> ResponseReturnValue:
    """The tasks where the signed-in person can act now."""
    filters = _filters_from_request()
    person = person_facts(db.session, current_user.id)
    rows = actionable_tasks(db.session, person, filters)
    return render_template(
        "my_tasks.html",
        rows=rows,
        filters=filters,
        today=local_today(),
    )


@bp.route("/tasks/<int:task_id>")
@login_required
def task_page(task_id: int) -> ResponseReturnValue:
    """One task: details, who is responsible, actions, evidence and history."""
    person = person_facts(db.session, current_user.id)
    try:
        loaded = load_task(db.session, person, task_id)
    except NotFoundError:
        abort(404)

    parent_item = (
        db.session.get(Item, loaded.task.item.parent_id)
        if loaded.task.item.parent_id
        else None
    )
    return render_template(
        "task.html",
        task=loaded.task,
        parent_item=parent_item,
        decisions=loaded.decisions(person),
        history=history_of(db.session, task_id),
        evidence=evidence_of(db.session, task_id),
        may_attach=may_attach(person, loaded),
        responsible=responsible_for(db.session, loaded.facts),
        form=TransitionForm(),
        comment_form=CommentForm(),
        today=local_today(),
        may_ask_for_time=may_ask_for_time(person, loaded),
        pending_extension=pending_for(db.session, task_id),
        one_day=timedelta(days=1),
    )


@bp.route("/tasks/<int:task_id>/comments", methods=["POST"])
@login_required
def comment(task_id: int) -> ResponseReturnValue:
    """Add a comment to a task the person can see."""
    form = CommentForm()
    if not form.validate_on_submit():
        flash(_("Please write the comment (at most 4,000 characters)."), "error")
        return redirect(url_for("tasks.task_page", task_id=task_id))

    person = person_facts(db.session, current_user.id)
    try:
        add_comment(db.session, person, task_id, form.body.data or "")
    except NotFoundError:
        abort(404)
    except CommentInvalidError:
        flash(_("Please write the comment (at most 4,000 characters)."), "error")
    else:
        flash(_("Your comment was added."), "success")
    return redirect(url_for("tasks.task_page", task_id=task_id, _anchor="history"))


@bp.route("/tasks/<int:task_id>/evidence", methods=["POST"])
@login_required
def upload_evidence(task_id: int) -> ResponseReturnValue:
    """Attach an evidence file to a task (executors, before it is submitted)."""
    form = EvidenceForm()
    upload = request.files.get("file")
    if not form.validate_on_submit() or upload is None or not upload.filename:
        flash(_("Choose a file to attach."), "error")
        return redirect(url_for("tasks.task_page", task_id=task_id))

    person = person_facts(db.session, current_user.id)
    try:
        attach_upload(person, task_id, upload)
    except NotFoundError:
        abort(404)
    except EvidenceRejectedError as rejected:
        flash(str(EVIDENCE_REJECTIONS[rejected.reason]), "error")
    else:
        flash(_("The file was attached."), "success")
    return redirect(url_for("tasks.task_page", task_id=task_id, _anchor="evidence"))


@bp.route("/tasks/<int:task_id>/evidence/<int:evidence_id>")
@login_required
def download_evidence(task_id: int, evidence_id: int) -> ResponseReturnValue:
    """Download one evidence file, always as an attachment."""
    person = person_facts(db.session, current_user.id)
    try:
        stored = evidence_file(
            db.session,
            person,
            task_id,
            evidence_id,
            current_app.config["EVIDENCE_DIR"],
        )
    except NotFoundError:
        abort(404)

    response = send_file(
        stored.path,
        mimetype=stored.content_type,
        as_attachment=True,
        download_name=stored.filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/tasks/<int:task_id>/transitions", methods=["POST"])
@login_required
def fire(task_id: int) -> ResponseReturnValue:
    """Fire a trigger from the task page's form."""
    form = TransitionForm()
    if not form.validate_on_submit():
        flash(_("The form was incomplete or has expired; please try again."), "error")
        return redirect(url_for("tasks.task_page", task_id=task_id))

    person = person_facts(db.session, current_user.id)
    version = int(form.version.data) if (form.version.data or "").isdigit() else -1
    try:
        apply_transition(
            db.session,
            person,
            task_id,
            form.trigger.data or "",
            version=version,
            comment=form.comment.data,
        )
    except NotFoundError:
        abort(404)
    except PermissionDeniedError as error:
        flash(str(REFUSALS[error.refusal]), "error")
    except CommentRequiredError:
        flash(_("Please write a comment: this action needs one."), "error")
    except ConflictError:
        flash(
            _(
                "Someone changed this task while you were looking at it. "
                "Here is how it stands now; please check and try again."
            ),
            "error",
        )
    except UnknownTriggerError:
        flash(_("That action does not exist."), "error")
    else:
        trigger = TriggerName(form.trigger.data)
        flash(_("Done: %(action)s.", action=TRIGGER_NAMES[trigger]), "success")
    return redirect(url_for("tasks.task_page", task_id=task_id))


def _filters_from_request() -> TaskFilters:
    state_value = request.args.get("state") or None
    state = State(state_value) if state_value in set(State) else None
    item = (request.args.get("item") or "").strip() or None
    return TaskFilters(state=state, item_number=item)
