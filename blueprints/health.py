"""`/healthz`: is the database reachable, is Redis?"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from blueprints.extensions import db

logger = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


def init_app(app: Flask) -> None:
    """Register the health check."""
    app.register_blueprint(bp)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Answer {"db": "ok", "redis": "ok"}, or 503 with the failing part named."""
    status = {"db": "ok", "redis": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as failure:
        logger.warning("Health: database unreachable: %s", failure)
        status["db"] = "down"
        db.session.rollback()
    try:
        connection = Redis.from_url(
            current_app.config["REDIS_URL"],
            socket_connect_timeout=1,
            socket_timeout=1,
        )
        connection.ping()
    except (RedisError, OSError) as failure:
        logger.warning("Health: Redis unreachable: %s", failure)
        status["redis"] = "down"
    healthy = all(value == "ok" for value in status.values())
    return jsonify(status), 200 if healthy else 503
