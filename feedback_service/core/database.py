"""Engine setup that differs per database, and the commit point of a unit of work."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, has_request_context, request
from sqlalchemy import ARRAY, Integer, any_, bindparam, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool

from ..extensions import db


# A pooled connection idle longer than this is pinged before use (see _ping_if_idle).
PING_AFTER_IDLE_SECONDS = 1.0


def engine_options(uri: str) -> dict:
    if uri.startswith("sqlite"):
        # Several gunicorn workers share the file: wait for the write lock
        # instead of failing with "database is locked".
        return {"connect_args": {"timeout": 15}}
    return {}


@event.listens_for(Pool, "checkin")
def _note_checkin(dbapi_connection, connection_record) -> None:
    connection_record.info["checked_in_at"] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_if_idle(dbapi_connection, connection_record, connection_proxy) -> None:
    """Pessimistic disconnect handling, for connections that have been idle a while.

    ``pool_pre_ping`` would add a round trip to every request. A connection
    handed back a moment ago, as every one is under load, was working then; one
    idle for longer (PostgreSQL may have restarted meanwhile) is pinged, and a
    dead one is replaced before anyone uses it: raising DisconnectionError
    makes the pool retry with a fresh connection.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        return
    idle_since = connection_record.info.get("checked_in_at")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        # The ping opened a transaction (the driver's autobegin); end it as the pool would.
        dbapi_connection.rollback()
    except Exception as error:
        raise DisconnectionError(f"stale pooled connection: {error}") from error


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
    from . import jobs

    if not db.session.registry.has():
        # No session was opened (an answer stored in one statement, its jobs already handed
        # over): nothing to commit, and opening one only to close it cost a widget answer 4 % of
        # its CPU.
        return
    if db.session().in_transaction():  # an answer stored in one statement left nothing to commit
        db.session.commit()
    jobs.dispatch_pending()


def render_migration_type(type_, obj, autogen_context):
    """Render our column types as plain SQLAlchemy in migrations.

    Migrations must not import application code that will change; what the
    database stores is a timezone-aware timestamp and JSON(B).
    """
    from sqlalchemy import JSON

    from ..models.base import UTCDateTime

    if isinstance(type_, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(type_, JSON) and getattr(type_, "_variant_mapping", None):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')"
    return False


@contextmanager
def held_for_batch(name: str) -> Iterator[dict]:
    """A dict kept in the session under ``name`` for the block: what a batch reads once and reuses.

    A block inside another of the same name shares the outer one's dict. Outside
    any such block ``held(name)`` is None, and callers read afresh each time.
    """
    held = db.session.info.get(name)
    if held is not None:
        yield held  # an outer batch already holds it
        return
    held = db.session.info[name] = {}
    try:
        yield held
    finally:
        db.session.info.pop(name, None)


def held(name: str) -> dict | None:
    """The dict of the ``held_for_batch(name)`` block under way, if any."""
    return db.session.info.get(name)
