"""The application factory: it only wires configuration, extensions and blueprints."""

from __future__ import annotations

import logging

from flask import Flask

from blueprints import (
    admin,
    api,
    approvals,
    auth,
    board,
    calendar,
    cli,
    cli_mail,
    errors,
    health,
    mail,
    plans,
    reports,
    tasks,
)
from blueprints.extensions import babel, csrf, db, login_manager, migrate, select_locale
from config import INSTANCE, ROOT, Config, config_from_environment


def create_app(config: type[Config] | None = None) -> Flask:
    """Build the Flask application for the given (or the environment's) settings."""
    settings = config or config_from_environment()
    settings.check()

    app = Flask(__name__, instance_path=str(INSTANCE))
    app.config.from_object(settings)
    INSTANCE.mkdir(parents=True, exist_ok=True)
    _configure_logging(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(ROOT / "translations"),
    )

    for module in (
        auth,
        tasks,
        board,
        approvals,
        api,
        health,
        errors,
        cli,
        admin,
        plans,
        calendar,
        mail,
        cli_mail,
        reports,
    ):
        module.init_app(app)
    return app


def _configure_logging(app: Flask) -> None:
    """Log to stderr once, with the subject first in every message."""
    level = logging.DEBUG if app.debug else logging.INFO
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    root.setLevel(level)
