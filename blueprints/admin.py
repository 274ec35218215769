"""The ministry admin's area: who may enter it, and the party dictionary page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from blueprints.extensions import db
from blueprints.wording import ROLE_NAMES
from workflow.enums import Role
from workflow.plan_review import (
    ReviewError,
    ReviewProblem,
    add_party_entry,
    delete_party_entry,
    party_entries,
)
from workflow.plans import load_party_dictionary
from workflow.scope import person_facts

logger = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")

REVIEW_PROBLEMS: dict[ReviewProblem, LazyString] = {
    ReviewProblem.EMPTY_TITLE: _l("The title cannot be empty."),
    ReviewProblem.DUE_BEFORE_START: _l("The due date is before the start."),
    ReviewProblem.RECURRENCE_FIXED: _l(
        "The item is published, so its recurrence cannot change: its tasks are "
        "made per period. Correct the dates only."
    ),
    ReviewProblem.LEVEL_FIXED: _l(
        "The item is published, so the lead party's level cannot change: its "
        "tasks already live at that level."
    ),
    ReviewProblem.EMPTY_NAME: _l("Write the party's name as plans write it."),
    ReviewProblem.NAME_TAKEN: _l(
        "The dictionary already has this name; delete the old entry first."
    ),
    ReviewProblem.UNKNOWN_ORGANISATION: _l("No organisation has this code."),
    ReviewProblem.LEVEL_MISMATCH: _l(
        "The organisation's level does not match the role's level."
    ),
    ReviewProblem.BAD_SETTING: _l("Working days must be a number from 0 to 40."),
    ReviewProblem.PUBLISHED: _l(
        "The plan is published and its tasks exist, so it cannot be deleted."
    ),
    ReviewProblem.NOT_FOUND: _l("It does not exist any more; reload the page."),
}


def role_choices() -> list[tuple[str, str]]:
    """Every role as (code, name), for select fields."""
    return [(role.value, str(ROLE_NAMES[role])) for role in Role]


class PartyEntryForm(FlaskForm):
    """A party name as plans write it, and the role it stands for."""

    name = StringField(_l("Name as plans write it"), [DataRequired(), Length(max=300)])
    role = SelectField(_l("Role"), [DataRequired()], choices=role_choices)
    org_code = StringField(
        _l("Only this organisation (code, optional)"), [Optional(), Length(max=64)]
    )


def init_app(app: Flask) -> None:
    """Register the admin pages and tell templates whether to show admin links."""
    app.register_blueprint(bp)
    app.jinja_env.globals.update(is_ministry_admin=is_ministry_admin)


def is_ministry_admin() -> bool:
    """Whether the signed-in person is a ministry admin (asked once per request)."""
    if not current_user.is_authenticated:
        return False
    if "is_ministry_admin" not in g:
        facts = person_facts(db.session, current_user.id)
        g.is_ministry_admin = facts.holds_anywhere(Role.MINISTRY_ADMIN)
    return bool(g.is_ministry_admin)


def admin_required(view: Callable[..., ResponseReturnValue]) -> Callable[..., Any]:
    """Let only a ministry admin in; to anyone else the page does not exist."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if not is_ministry_admin():
            abort(404)
        return view(*args, **kwargs)

    return wrapper


@bp.route("/parties", methods=["GET", "POST"])
@admin_required
def parties() -> ResponseReturnValue:
    """The party dictionary: the shipped entries and those added here."""
    form = PartyEntryForm()
    if form.validate_on_submit():
        try:
            entry = add_party_entry(
                db.session,
                form.name.data or "",
                Role(form.role.data),
                form.org_code.data,
                current_user.id,
            )
        except ReviewError as refused:
            db.session.rollback()
            flash(str(REVIEW_PROBLEMS[refused.problem]), "error")
        else:
            db.session.commit()
            flash(_("Added «%(name)s» to the dictionary.", name=entry.name), "success")
            return redirect(url_for("admin.parties"))
    elif form.is_submitted():
        flash(_("Please correct the highlighted fields."), "error")

    return render_template(
        "plans/parties.html",
        form=form,
        entries=party_entries(db.session),
        shipped=load_party_dictionary().entries,
    )


@bp.post("/parties/<int:entry_id>/delete")
@admin_required
def delete_party(entry_id: int) -> ResponseReturnValue:
    """Remove an entry added in the app (CSRFProtect has checked the token)."""
    try:
        delete_party_entry(db.session, entry_id)
    except ReviewError:
        abort(404)
    db.session.commit()
    flash(_("The entry was deleted."), "success")
    return redirect(url_for("admin.parties"))
