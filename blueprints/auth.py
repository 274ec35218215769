"""Signing in and out."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from blueprints.extensions import db, login_manager
from workflow.accounts import authenticate
from workflow.models import Person

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


def init_app(app: Flask) -> None:
    """Register the login pages and tell Flask-Login how to load a person."""
    app.register_blueprint(bp)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_person)


def _load_person(person_id: str) -> Person | None:
    person = db.session.get(Person, int(person_id)) if person_id.isdigit() else None
    return person if person is not None and person.active else None


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Show the sign-in form and sign the person in."""
    if current_user.is_authenticated:
        return redirect(url_for("tasks.my_tasks"))

    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        person = authenticate(db.session, email, form.password.data or "")
        if person is not None:
            db.session.commit()
            login_user(person)
            logger.info("Person %s: signed in", person.id)
            return redirect(_safe_next(request.args.get("next")))

        db.session.rollback()
        logger.warning(
            "Login failed for e-mail=%r from %s", email[:254], request.remote_addr
        )
        flash(_("The e-mail or the password is wrong."), "error")
        return render_template("login.html", form=form), 401
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> ResponseReturnValue:
    """Sign the person out."""
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str:
    """Follow ?next= only to a path on this site, never to another host."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            if not target.startswith("//"):
                return target
    return url_for("tasks.my_tasks")
