"""Fixtures: one app and schema per run, a clean database per test, and factories.

The suite runs against ``TEST_DATABASE_URL``: ``sqlite`` (a temporary file, the
default) or a PostgreSQL URL, where each run gets a fresh schema of its own.
``make test`` runs it both ways.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis as redis_lib
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from feedback_service import create_app
from feedback_service.extensions import db

pytest_plugins = ["tests.helpers.factories", "tests.helpers.console", "tests.helpers.webhooks"]

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _redis_url_of_this_process() -> str:
    """``TEST_REDIS_URL``; under pytest-xdist, worker ``gwN`` takes the database N below it.

    Each test flushes its database: two workers sharing one would empty each other's queues.
    """
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    base, _, database = url.rpartition("/")
    if not worker.startswith("gw") or not database.isdigit():
        return url
    return f"{base}/{(int(database) - int(worker[2:])) % 16}"


TEST_REDIS_URL = _redis_url_of_this_process()


def _database_kind() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "sqlite")
    return "sqlite" if url.startswith("sqlite") else "postgresql"


@contextmanager
def empty_database(directory: Path) -> Iterator[str]:
    """The URL of an empty database of the kind under test: a new SQLite file in
    ``directory``, or a new schema on the PostgreSQL server (dropped afterwards)."""
    url = os.environ.get("TEST_DATABASE_URL", "sqlite")
    if url.startswith("sqlite"):
        yield f"sqlite:///{directory / f'{uuid.uuid4().hex[:8]}.db'}"
        return
    if url == "postgresql":
        url = DEFAULT_PG_URL
    url = url.replace("postgresql://", "postgresql+psycopg://", 1) if "+psycopg" not in url else url
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    # Tests need no durability: not waiting for the WAL flush on every commit
    # makes the PostgreSQL run several times faster on a slow disk.
    options = f"-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"
    try:
        yield f"{url}{separator}options={options}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with empty_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture
def fresh_database_url(tmp_path):
    """Another empty database of the kind under test, for tests that migrate their own."""
    with empty_database(tmp_path) as url:
        yield url


@pytest.fixture(scope="session", autouse=True)
def _test_client_closes_its_responses():
    """A server closes a response once it is sent, and in-process jobs run then (jobs.py).
    Flask's test client only closes one when asked; buffered, it closes it before
    returning, so a test sees what a client of a real server would see next."""
    from flask.testing import FlaskClient

    unbuffered = FlaskClient.open

    def open_buffered(self, *args, buffered=True, **kwargs):
        return unbuffered(self, *args, buffered=buffered, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FlaskClient, "open", open_buffered)
        yield


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing():
    """Argon2id still, at test-sized cost: every organisation hashes a password,
    and 120 ms each would turn seconds into minutes. Production keeps the defaults."""
    from argon2 import PasswordHasher

    from feedback_service.core import security

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security, "_password_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@pytest.fixture(scope="session")
def app_config(database_url, tmp_path_factory) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "REDIS_URL": None,
        "PUBLIC_BASE_URL": "http://feedback.test",
        # Rate limits stay on (the tests of them need a real limiter) but high;
        # tests that exercise a limit set their own and the limiter is reset per test.
        "WIDGET_SUBMIT_LIMIT": "100000/minute",
        "WIDGET_READ_LIMIT": "100000/minute",
        # Most tests read a change back the moment they make it; the tests of the
        # sync's settle window (test_sync_window.py) set one of their own.
        "SYNC_SETTLE_SECONDS": 0,
        # On PostgreSQL the event log shows an event once every older transaction has ended, on the
        # whole server: another test process's long transaction (a demo being seeded) holds it back.
        "EVENT_LOG_SETTLE_SECONDS": 15,
    }


@pytest.fixture(scope="session")
def app(app_config):
    app = create_app(app_config)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def _migrated_tables(app) -> list[str]:
    """The model tables the migrations created, children first.

    A model without its migration yet is left to the no-drift test to report,
    rather than failing every test's cleanup.
    """
    with app.app_context():
        existing = set(inspect(db.engine).get_table_names())
    return [t.name for t in reversed(db.metadata.sorted_tables) if t.name in existing]


@pytest.fixture(autouse=True)
def _clean_database(request, app, _migrated_tables):
    """Every test starts from empty tables (real commits, so threads see each other)."""
    from feedback_service.core.http.rate_limit import limiter

    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        db.session.remove()
        tables = _migrated_tables
        # DELETE, not TRUNCATE: on tables this small it is several times faster
        # on PostgreSQL, which adds up over hundreds of tests.
        # touchpoint <-> survey_version reference each other; break the cycle
        # first, or the foreign keys refuse either delete.
        statements = ['UPDATE "touchpoint" SET current_survey_version_id = NULL']
        statements += [f'DELETE FROM "{table}"' for table in tables]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Ids restart at 1, as they do on SQLite once a table is empty.
                statements += [f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), 1, false)"
                               for table in tables if "id" in db.metadata.tables[table].c]
                conn.execute(text(";\n".join(statements)))
            else:
                for statement in statements:
                    conn.execute(text(statement))


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def redis_url():
    client = redis_lib.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis_lib.RedisError as exc:
        pytest.fail(f"Redis is not answering at {TEST_REDIS_URL}: {exc}. Start it (see README).")
    client.flushdb()
    yield TEST_REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def database_kind() -> str:
    return _database_kind()


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
