"""Settings: the product refuses to run in production without a secret key."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app import create_app
from config import ROOT, Config, ConfigError


def test_production_without_secret_key_refuses_to_start() -> None:
    settings = type("Prod", (Config,), {"SECRET_KEY": None})

    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app(settings)


def test_flask_command_without_secret_key_says_what_to_set() -> None:
    environment = {"PATH": "/usr/bin:/bin", "PLANGRAPH_ENV": "production"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "users", "list"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_unknown_environment_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from config import config_from_environment

    monkeypatch.setenv("PLANGRAPH_ENV", "staging")

    with pytest.raises(ConfigError, match="development"):
        config_from_environment()
