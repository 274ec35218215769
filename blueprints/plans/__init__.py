"""Plans: the ministry admin's upload, review and publish pages, and `flask plan`."""

from __future__ import annotations

from flask import Flask

from blueprints.plans.commands import plan
from blueprints.plans.views import bp
from blueprints.plans.wording import RECURRENCE_NAMES, UNPLACED_REASONS, rule_summary
from blueprints.wording import LEVEL_NAMES, ROLE_NAMES
from workflow.enums import Level, Role


def init_app(app: Flask) -> None:
    """Register the plan pages, the words their templates use and the commands."""
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        RECURRENCE_NAMES=RECURRENCE_NAMES,
        UNPLACED_REASONS=UNPLACED_REASONS,
        ROLE_NAMES=ROLE_NAMES,
        LEVEL_NAMES=LEVEL_NAMES,
        rule_summary=rule_summary,
    )
    app.jinja_env.filters.update(role=Role, level=Level)
    app.cli.add_command(plan)
