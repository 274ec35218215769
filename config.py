"""Settings read from the environment, with a development and a test flavour."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = Path(os.environ.get("PLANGRAPH_INSTANCE", ROOT / "instance"))


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to set it."""


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def embedded_redis_socket() -> Path:
    """Where `make run` starts the embedded Redis when REDIS_URL is not set."""
    return INSTANCE / "redis.sock"


class Config:
    """Production settings; everything comes from the environment."""

    ENV_NAME = "production"
    TESTING = False
    DEBUG = False

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE / 'plangraph.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or f"unix://{embedded_redis_socket()}"
    REDIS_EMBEDDED = not os.environ.get("REDIS_URL")

    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = _flag("SMTP_STARTTLS")
    MAIL_FROM = os.environ.get("MAIL_FROM", "plangraph@localhost")
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    EVIDENCE_DIR = Path(os.environ.get("EVIDENCE_DIR", INSTANCE / "evidence"))
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    BABEL_DEFAULT_LOCALE = "ru"
    BABEL_DEFAULT_TIMEZONE = "Europe/Chisinau"
    LANGUAGES = ("ru", "en")

    # Escalation: how often the sweep runs, and the default thresholds in
    # working days (a plan may set its own).
    ESCALATION_INTERVAL_SECONDS = int(
        os.environ.get("ESCALATION_INTERVAL_SECONDS", "900")
    )
    REMINDER_WORKING_DAYS = int(os.environ.get("REMINDER_WORKING_DAYS", "2"))
    LEVEL1_WORKING_DAYS = int(os.environ.get("LEVEL1_WORKING_DAYS", "5"))
    LEVEL2_WORKING_DAYS = int(os.environ.get("LEVEL2_WORKING_DAYS", "5"))
    ESCALATION_BATCH_SIZE = int(os.environ.get("ESCALATION_BATCH_SIZE", "2000"))
    # Mail: how many organisations a digest lists before "and N more", how
    # long approval notices wait to be coalesced, when daily digests go out.
    DIGEST_LINK_LIMIT = int(os.environ.get("DIGEST_LINK_LIMIT", "30"))
    NOTICE_WINDOW_SECONDS = int(os.environ.get("NOTICE_WINDOW_SECONDS", "300"))
    DAILY_DIGEST_HOUR = int(os.environ.get("DAILY_DIGEST_HOUR", "8"))
    # Delivery: how often the sender runs, how many messages one job sends,
    # how long a claimed row is held, and the retry backoff.
    OUTBOX_INTERVAL_SECONDS = int(os.environ.get("OUTBOX_INTERVAL_SECONDS", "30"))
    OUTBOX_BATCH_SIZE = int(os.environ.get("OUTBOX_BATCH_SIZE", "200"))
    OUTBOX_CLAIM_SECONDS = int(os.environ.get("OUTBOX_CLAIM_SECONDS", "300"))
    OUTBOX_RETRY_SECONDS = int(os.environ.get("OUTBOX_RETRY_SECONDS", "60"))
    OUTBOX_RETRY_MAX_SECONDS = int(os.environ.get("OUTBOX_RETRY_MAX_SECONDS", "3600"))
    OUTBOX_KEEP_DAYS = int(os.environ.get("OUTBOX_KEEP_DAYS", "90"))
    SMTP_TIMEOUT_SECONDS = int(os.environ.get("SMTP_TIMEOUT_SECONDS", "30"))

    @classmethod
    def check(cls) -> None:
        """Refuse to start with settings that are unsafe for real use."""
        if not cls.SECRET_KEY:
            raise ConfigError(
                "SECRET_KEY is not set. Set the environment variable SECRET_KEY to a "
                "long random string (for example the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`), "
                "or set PLANGRAPH_ENV=development to try the product locally."
            )


class DevelopmentConfig(Config):
    """A laptop: SQLite, embedded Redis, mail kept in the outbox."""

    ENV_NAME = "development"
    DEBUG = True
    SECRET_KEY = os.environ.get("SECRET_KEY") or "development-only-not-secret"
    SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", False)
    # The demo sweeps every minute so that escalation shows without waiting.
    ESCALATION_INTERVAL_SECONDS = int(
        os.environ.get("ESCALATION_INTERVAL_SECONDS", "60")
    )
    NOTICE_WINDOW_SECONDS = int(os.environ.get("NOTICE_WINDOW_SECONDS", "60"))
    OUTBOX_INTERVAL_SECONDS = int(os.environ.get("OUTBOX_INTERVAL_SECONDS", "10"))


class TestConfig(Config):
    """The test suite: the database comes from TEST_DATABASE_URL or a temp file."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-only-not-secret"
    SESSION_COOKIE_SECURE = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {}


CONFIGS: dict[str, type[Config]] = {
    "production": Config,
    "development": DevelopmentConfig,
    "testing": TestConfig,
}


def config_from_environment() -> type[Config]:
    """Choose the configuration named by PLANGRAPH_ENV (production by default)."""
    name = os.environ.get("PLANGRAPH_ENV", "production")
    try:
        return CONFIGS[name]
    except KeyError:
        known = ", ".join(CONFIGS)
        raise ConfigError(
            f"PLANGRAPH_ENV={name!r} is not known; use one of: {known}."
        ) from None
