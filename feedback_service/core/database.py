"""The database: engine setup that differs per database, and the commit point of a unit of work.

Features flush and never commit; the adapter (a view, a job, a command) commits
with ``commit``, which hands over the jobs the transaction asked for.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

from flask import Flask, has_request_context, request
from sqlalchemy import ARRAY, JSON, Integer, any_, bindparam, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from ..extensions import db
from ..models.base import UTCDateTime
from .jobs import dispatch_pending

T = TypeVar("T")


def engine_options(uri: str) -> dict:
    if uri.startswith("sqlite"):
        # Several gunicorn workers share the file: wait for the write lock
        # instead of failing with "database is locked".
        return {"connect_args": {"timeout": 15}}
    # A pooled connection is checked before use, so one PostgreSQL dropped (a restart, a
    # failover) is replaced instead of failing the request that drew it.
    return {"pool_pre_ping": True}


def init_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = engine_options(uri)
    options.update(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # We issue BEGIN ourselves (below); pysqlite's implicit one cannot be IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers run while a writer commits; busy_timeout makes writers queue.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    """Writers take SQLite's write lock when their transaction starts.

    A deferred transaction that reads and then writes cannot wait for the lock
    (SQLite answers "database is locked" at once to avoid a deadlock), so
    anything that may write begins IMMEDIATE and queues on busy_timeout.
    Reads (GET requests) stay deferred and never wait for writers, thanks to WAL.
    """
    if connection.dialect.name != "sqlite":
        return
    connection.exec_driver_sql("BEGIN" if _read_only_request() else "BEGIN IMMEDIATE")


def _read_only_request() -> bool:
    return has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")


def in_ids(column, ids: list[int]):
    """``column IN (ids)``; on PostgreSQL ``column = ANY(:ids)``, one array parameter.

    A batch of a thousand ids would otherwise render a thousand placeholders,
    and a query text that changes with the batch's size is never prepared.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))


def commit() -> None:
    """Commit the session, then hand over the jobs the transaction asked for.

    Jobs are dispatched only after the commit, so a worker never looks for a row
    that is not there yet, and a rolled-back transaction enqueues nothing.
    """
    db.session.commit()
    dispatch_pending()


def render_migration_type(type_, obj, autogen_context):
    """Render our column types as plain SQLAlchemy in migrations.

    Migrations must not import application code that will change; what the
    database stores is a timezone-aware timestamp and JSON(B).
    """
    if isinstance(type_, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(type_, JSON) and getattr(type_, "_variant_mapping", None):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')"
    return False


_BATCH = "feedback_batch"


@contextmanager
def batch() -> Iterator[None]:
    """Within, in one transaction: what a feature reads once for the whole batch it keeps (``held``).

    For the worker's batches, which make many changes and commit once: the
    webhooks' endpoints, a team's members, read at the batch's first use and not
    again. A batch inside a batch shares the outer one's.
    """
    if _BATCH in db.session.info:
        yield
        return
    db.session.info[_BATCH] = {}
    try:
        yield
    finally:
        db.session.info.pop(_BATCH, None)


def held(name: str) -> dict | None:
    """The dict a feature keeps under ``name`` in the batch under way; None outside any batch."""
    kept = db.session.info.get(_BATCH)
    return None if kept is None else kept.setdefault(name, {})


# The databases the service runs on, and each one's INSERT, whose ON CONFLICT clauses (an upsert)
# PostgreSQL and SQLite spell alike but SQLAlchemy builds with a construct per dialect.
DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def for_this_database(statements: Mapping[str, T]) -> T:
    """Of ``statements`` (one per name of ``DIALECT_INSERTS``, built once), the bound database's."""
    return statements[db.session.get_bind().dialect.name]
