"""Pages: "my tasks" and the task page with its actions and history."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from blueprints.extensions import db
from blueprints.wording import (
    COMMENT_PROMPTS,
    REFUSALS,
    STATE_NAMES,
    TRIGGER_NAMES,
    refusal_text,
)
from workflow.clock import local_today
from workflow.enums import State, TriggerName
from workflow.errors import (
    CommentRequiredError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    UnknownTriggerError,
)
from workflow.listing import TaskFilters, actionable_tasks
from workflow.models import AuditRecord, Item, Person
from workflow.scope import person_facts
from workflow.service import COMMENT_LIMIT, apply_transition, load_task

bp = Blueprint("tasks", __name__)


class TransitionForm(FlaskForm):
    """Fire one trigger; the version guards against acting on a stale page."""

    trigger = HiddenField(validators=[DataRequired()])
    version = HiddenField(validators=[DataRequired()])
    comment = TextAreaField(validators=[Optional(), Length(max=COMMENT_LIMIT)])


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
    """One task: details, what the person may do, and its history."""
    person = person_facts(db.session, current_user.id)
    try:
        loaded = load_task(db.session, person, task_id)
    except NotFoundError:
        abort(404)

    history = db.session.execute(
        select(AuditRecord, Person.name)
        .join(Person, Person.id == AuditRecord.actor_id)
        .where(AuditRecord.task_id == task_id)
        .order_by(AuditRecord.id)
    ).all()
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
        history=history,
        form=TransitionForm(),
        today=local_today(),
    )


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
