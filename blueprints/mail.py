"""Mail pages: the ministry admin's mail viewer, and each person's mail preferences.

The viewer shows what waits in the outbox and what the messages would say;
it never sends anything (a job does). The preferences page opens from the
signed link at the bottom of every message, without signing in.
"""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField
from wtforms.fields.choices import SelectChoice

from blueprints.admin import admin_required
from blueprints.extensions import csrf, db
from workflow.backlog import (
    DeliveryStatus,
    backlog,
    preview,
    recent_rows,
    waiting_messages,
)
from workflow.mail import Category, Envelope, PreferenceTokenError, person_of_token
from workflow.models import Person
from workflow.preferences import preference_of, save_preference
from workflow.smtp import MailSettings

logger = logging.getLogger(__name__)

bp = Blueprint("mail", __name__, url_prefix="/mail")

STATUS_NAMES: dict[DeliveryStatus, LazyString] = {
    DeliveryStatus.WAITING: _l("Waiting"),
    DeliveryStatus.SENDING: _l("Being sent"),
    DeliveryStatus.RETRYING: _l("Failed, will retry"),
    DeliveryStatus.SENT: _l("Sent"),
    DeliveryStatus.NOT_SENT: _l("Not sent (unsubscribed or inactive)"),
}


class PreferenceForm(FlaskForm):
    """What mail a person wants."""

    timing = RadioField(
        choices=[SelectChoice("at_once"), SelectChoice("daily")], default="at_once"
    )
    unsubscribed = BooleanField()


def init_app(app: Flask) -> None:
    """Register the mail pages and the names of delivery statuses."""
    app.register_blueprint(bp)
    app.jinja_env.globals.update(STATUS_NAMES=STATUS_NAMES)


def _settings() -> MailSettings:
    return MailSettings.from_mapping(current_app.config)


@bp.get("")
@admin_required
def viewer() -> ResponseReturnValue:
    """What waits in the outbox, what failed, and what went out lately."""
    settings = _settings()
    return render_template(
        "mail_viewer/index.html",
        settings=settings,
        backlog=backlog(db.session),
        waiting=waiting_messages(db.session),
        recent=recent_rows(db.session),
    )


@bp.get("/preview/<int:person_id>/<category>")
@admin_required
def message_preview(person_id: int, category: str) -> ResponseReturnValue:
    """The message a person's waiting rows would make now."""
    try:
        envelope = Envelope(person_id, Category(category))
    except ValueError:
        abort(404)
    found = preview(db.session, _settings(), envelope)
    if found is None:
        abort(404)
    composed, row_ids = found
    person = db.session.get(Person, person_id)
    return render_template(
        "mail_viewer/preview.html",
        composed=composed,
        row_ids=row_ids,
        person=person,
        category=envelope.category,
    )


def _person_from(token: str) -> Person:
    try:
        person_id = person_of_token(current_app.config["SECRET_KEY"], token)
    except PreferenceTokenError:
        abort(404)
    person = db.session.get(Person, person_id)
    if person is None:
        abort(404)
    return person


@bp.route("/preferences/<token>", methods=["GET", "POST"])
def preferences(token: str) -> ResponseReturnValue:
    """A person's mail preferences, opened from the link in a message."""
    person = _person_from(token)
    current = preference_of(db.session, person.id)
    form = PreferenceForm(
        timing="daily" if current.daily_digest else "at_once",
        unsubscribed=current.unsubscribed,
    )
    if form.validate_on_submit():
        save_preference(
            db.session,
            person.id,
            unsubscribed=bool(form.unsubscribed.data),
            daily_digest=form.timing.data == "daily",
        )
        db.session.commit()
        flash(_("Your mail preferences are saved."), "success")
        return redirect(url_for("mail.preferences", token=token))
    return render_template("mail_viewer/preferences.html", form=form, person=person)


@bp.post("/unsubscribe/<token>")
@csrf.exempt
def unsubscribe(token: str) -> ResponseReturnValue:
    """One-click unsubscribe from non-essential mail (RFC 8058), for mail programs."""
    person = _person_from(token)
    current = preference_of(db.session, person.id)
    save_preference(
        db.session, person.id, unsubscribed=True, daily_digest=current.daily_digest
    )
    db.session.commit()
    return _("You will no longer receive reminders and approval notices."), 200
