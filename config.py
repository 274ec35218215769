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
