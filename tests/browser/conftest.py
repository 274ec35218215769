"""Browser tests: Debian's Chromium driven by Playwright against a live server.

They run on SQLite only, to keep CI short; the server-side behaviour they
exercise is tested on both databases in tests/test_board*.py.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from app import create_app
from blueprints.extensions import db
from config import ROOT, TestConfig
from tests.builders import PASSWORD, Republic, build_republic

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; missing, it fails the run under CI and skips elsewhere."""
    if not os.access(CHROMIUM, os.X_OK):
        message = (
            f"{CHROMIUM} is missing: install Debian's chromium "
            "(apt-get install -y chromium) to run the browser tests."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@dataclass
class LiveServer:
    """The application served on a loopback port, with its test republic."""

    url: str
    app: Flask
    republic: Republic
    session: Session

    def sign_in(self, page: Any, person_name: str) -> None:
        """Sign a person of the republic in through the login form."""
        page.goto(f"{self.url}/login")
        page.fill('input[name="email"]', self.republic.person(person_name).email)
        page.fill('input[name="password"]', PASSWORD)
        page.click('button[type="submit"]')
        page.wait_for_url(f"{self.url}/")


@pytest.fixture
def live_server(
    sqlite_template: Path, redis_url: str, tmp_path: Path
) -> Iterator[LiveServer]:
    """Serve a fresh copy of the migrated SQLite database in a background thread."""
    path = tmp_path / "browser.sqlite3"
    shutil.copy(sqlite_template, path)
    settings = type(
        "BrowserSettings",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "REDIS_URL": redis_url,
            "EVIDENCE_DIR": tmp_path / "evidence",
        },
    )
    application = create_app(settings)
    with application.app_context():
        engine = db.engine
    with Session(engine, expire_on_commit=False) as session:
        republic = build_republic(session)
        session.commit()

        server = make_server("127.0.0.1", 0, application, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield LiveServer(
                f"http://127.0.0.1:{server.server_port}", application, republic, session
            )
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def browser(chromium: Path) -> Iterator[Any]:
    """A headless Chromium, closed after the test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


def screenshot(page: Any, name: str) -> None:
    """Keep a screenshot as a test artifact in test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
