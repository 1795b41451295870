"""The durable, ordered event log.

Events are written in the transaction of the change that causes them, so they
commit (or roll back) with it: a consumer never hears of an answer that was
not stored, and never misses one that was. Who must hear of an event as it is
written (the webhooks' fan-out, which owes its deliveries in the same
transaction) subscribes to ``events_recorded``: the log knows nobody who listens.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from blinker import Namespace
from flask import current_app
from sqlalchemy import func, insert, literal, select, true, tuple_

from ..core.pagination import DEFAULT_LIMIT, BigInt, Page, decode_cursor, encode_cursor, paginate, parse_cursor
from ..core.tenancy import current_tenant_id
from ..extensions import db
from ..models import Event, utcnow
from ..models.event import XID8

_signals = Namespace()
#: Sent with ``events``: dicts of ``id``, ``organization_id``, ``type``, ``created_at`` and ``data``,
#: inserted in the caller's transaction a moment ago.
events_recorded = _signals.signal("events-recorded")

_TOGETHER = "events_recorded_together"
_table = Event.__table__
# Built once: the event log is written on every answer. It returns what the database stamps.
_INSERT = insert(_table).returning(_table.c.id, _table.c.txid, sort_by_parameter_order=True)


def record(event_type: str, data: dict, *, organization_id: int | None = None) -> dict:
    """Log one event in the caller's transaction (the tenant's, unless ``organization_id`` says);
    returns it as stored: ``id``, ``txid``, ``organization_id``, ``type``, ``created_at``, ``data``."""
    organization_id = organization_id if organization_id is not None else current_tenant_id()
    event = {"organization_id": organization_id, "type": event_type, "data": data, "created_at": utcnow()}
    together = db.session.info.get(_TOGETHER)
    if together is not None:
        together.append(event)  # written when the block ends, id and all
        return event
    return _insert([event])[0]


@contextmanager
def recorded_together() -> Iterator[None]:
    """Within: the events recorded are written in one insert when the block ends, in the order
    recorded (a batch of a hundred follow-ups writes three hundred events with one statement).
    Nothing is written if the block fails."""
    if _TOGETHER in db.session.info:
        yield  # an outer block writes them
        return
    together = db.session.info[_TOGETHER] = []
    try:
        yield
    finally:
        db.session.info.pop(_TOGETHER, None)
    if together:
        _insert(together)


def record_many(rows: list[dict]) -> None:
    """Log many events at once (``organization_id``, ``type``, ``created_at``, ``data`` each), in the
    caller's transaction: one insert for the batch."""
    if rows:
        _insert(rows)


def _insert(events: list[dict]) -> list[dict]:
    """Write the events (each dict gains its ``id`` and ``txid``) and tell who listens."""
    stamped = db.session.execute(_INSERT, events).all() if len(events) > 1 else [
        db.session.execute(_INSERT, events[0]).one()]
    for event, (id_, txid) in zip(events, stamped, strict=True):
        event.update(id=id_, txid=txid)
    events_recorded.send(None, events=events)
    return events


def cursor_of(event: Event) -> str:
    """Where a consumer resumes after ``event``: the same value as the page's ``next_cursor``."""
    return encode_cursor([event.id] if event.txid is None else [event.txid, event.id])


def list_events(*, after: str | None = None, event_type: str | None = None, limit: int | None = None) -> Page:
    """Events oldest first, after the cursor ``after``.

    A page never shows an event while one that sorts before it may still commit,
    so a consumer that stores its last cursor never skips an event. SQLite has
    one writer at a time, so ids are given in commit order and suffice.
    PostgreSQL draws ids before commit: a transaction holding id 5 can commit
    after another's id 6 was read, behind the reader's cursor. There the log is
    ordered by (writing transaction, id) and shows only events of transactions
    older than every transaction still running (the snapshot's xmin): any event
    committed later has a transaction id at least that, so it sorts after
    everything shown.
    """
    query = select(Event)
    if event_type:
        query = query.where(Event.type == event_type)
    if db.session.get_bind().dialect.name != "postgresql":
        return paginate(query, [(Event.id, BigInt)], descending=False, limit=limit, cursor=after,
                        tagged=False)  # the same cursors as ``cursor_of`` and PostgreSQL's
    limit = limit or DEFAULT_LIMIT
    if after:
        query = query.where(_past(after))
    rows = _settled(query, limit)
    settle = current_app.config["EVENT_LOG_SETTLE_SECONDS"]
    if len(rows) <= limit and settle > 0:
        newest = db.session.scalar(query.with_only_columns(Event.txid).where(Event.txid >= _HORIZON)
                                   .order_by(Event.txid.desc()).limit(1))
        if newest is not None and _wait_until_settled(newest, settle):
            rows = _settled(query, limit)
    next_cursor = cursor_of(rows[limit - 1]) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_cursor)


# Every transaction older than this has ended; any still running, or yet to start, is at least this.
_HORIZON = func.pg_snapshot_xmin(func.pg_current_snapshot())


def _settled(query, limit: int) -> list[Event]:
    query = query.where(Event.txid < _HORIZON).order_by(Event.txid, Event.id).limit(limit + 1)
    return list(db.session.scalars(query))


def _past(cursor: str):
    position = parse_cursor(cursor, [BigInt, BigInt])
    if position is not None:
        return tuple_(Event.txid, Event.id) > tuple_(literal(position[0], XID8()), position[1])
    # A cursor from before events recorded their transaction: resume after that event,
    # or from the oldest kept if retention has removed it (a repeat, never a gap).
    [event_id] = decode_cursor(cursor, [BigInt])
    known = db.session.scalar(select(Event.txid).where(Event.id == event_id))
    if known is None:
        return true()
    return tuple_(Event.txid, Event.id) > tuple_(literal(known, XID8()), event_id)


def _wait_until_settled(txid: int, seconds: float) -> bool:
    """Committed events are held back only while older transactions run, usually for
    milliseconds: wait that long (at most ``seconds``) rather than hand a consumer
    a page that stops short of them. True once the horizon has passed ``txid``."""
    deadline = time.monotonic() + seconds
    pause = 0.005
    while True:
        if db.session.scalar(select(_HORIZON > literal(txid, XID8()))):
            return True
        if time.monotonic() + pause > deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
