"""Error pages that say what happened and what to do."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    """Register handlers for HTTP errors and refused CSRF tokens."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _http_error(failure: HTTPException) -> ResponseReturnValue:
    status = failure.code or 500
    messages = {
        404: _("There is no such page, or it is not in your area."),
        403: _("You do not have access to this."),
        405: _("This address does not accept that request."),
        413: _("The file is too large."),
    }
    message = messages.get(status, failure.description or _("Something went wrong."))
    if _wants_json():
        return jsonify({"error": str(message)}), status
    return render_template("error.html", status=status, message=message), status


def _csrf_error(failure: CSRFError) -> ResponseReturnValue:
    message = _(
        "The form has expired or was sent from another page. "
        "Reload the page and send it again."
    )
    if _wants_json():
        return jsonify({"error": message}), 400
    return render_template("error.html", status=400, message=message), 400
