"""The durable, ordered event log.

Events are added to the session of the change that causes them, so they
commit (or roll back) with it: a consumer never hears of an answer that was
not stored, and never misses one that was. Payloads carry stable ids and the
human labels (touchpoint name, question) a consumer needs without a second call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import func, insert, literal, select, true, tuple_

from ..extensions import db
from ..models import Event, utcnow
from ..models.event import XID8
from ..core.pagination import (
    DEFAULT_LIMIT,
    BigInt,
    Page,
    decode_cursor,
    encode_cursor,
    paginate,
    parse_cursor,
)
from ..core.tenancy import current_tenant_id
from ..webhooks import fanout as webhook_fanout


def record(event_type: str, data: dict, *, organization_id: int | None = None) -> Event:
    """Log the event in the caller's transaction, with the webhook deliveries it owes."""
    event = Event(type=event_type, data=data, created_at=utcnow())
    if organization_id is not None:
        event.organization_id = organization_id
    db.session.add(event)
    webhook_fanout.fan_out(event, organization_id if organization_id is not None else current_tenant_id())
    return event


def record_many(rows: list[dict]) -> None:
    """Log many events at once (``organization_id``, ``type``, ``created_at``, ``data`` each),
    with their webhook deliveries, in the caller's transaction."""
    if not rows:
        return
    routes = webhook_fanout.routes_for({row["organization_id"] for row in rows})
    table = Event.__table__
    if not routes:
        db.session.execute(insert(table), rows)
        return
    ids = db.session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).all()
    webhook_fanout.fan_out_recorded([{**row, "id": id_} for row, id_ in zip(rows, ids, strict=True)], routes)


def fan_out_inserted(inserted: list, as_event: Callable[[Any], dict]) -> None:
    """The webhook deliveries owed by events already inserted, in the caller's transaction.

    ``as_event(row)`` gives the event as ``fan_out_recorded`` reads it (``id``,
    ``organization_id``, ``type`` and enough ``data`` to match endpoints'
    filters); it is only called when some endpoint may want one, which on a
    scoring drain is usually never.
    """
    routes = webhook_fanout.routes_for({row.organization_id for row in inserted})
    if routes:
        webhook_fanout.fan_out_recorded([as_event(row) for row in inserted], routes)


def response_payload(response) -> dict:
    """The payload of a ``response.*`` event for a stored row (``created_payload``'s shape)."""
    return created_payload(
        response={"id": response.id, "score": response.score, "metric": response.metric,
                  "comment": response.comment, "context": response.context, "source": response.source,
                  "created_at": response.created_at, "sentiment_status": response.sentiment_status,
                  "sentiment_label": response.sentiment_label, "sentiment_compound": response.sentiment_compound},
        touchpoint=response.touchpoint, question=response.survey_version.question, customer=response.customer)


def created_payload(*, response: dict, touchpoint, question: str, customer) -> dict:
    """The payload of ``response.created``: the answer with the labels a consumer shows.

    ``touchpoint`` and ``customer`` are rows or cards: anything with their
    attributes (``id``, ``name``, ``channel``, ``journey_id``; ``id``,
    ``external_id``, ``email``).
    """
    return {
        "response": {
            "id": response["id"],
            "score": response["score"],
            "metric": response["metric"],
            "comment": response["comment"],
            "context": response["context"],
            "source": response["source"],
            "created_at": response["created_at"].isoformat(),
            "sentiment": {
                "status": response["sentiment_status"],
                "label": response.get("sentiment_label"),
                "compound": response.get("sentiment_compound"),
            },
        },
        "touchpoint": {"id": touchpoint.id, "name": touchpoint.name, "channel": touchpoint.channel,
                       "journey_id": touchpoint.journey_id},
        "question": question,
        "customer": ({"id": customer.id, "external_id": customer.external_id, "email": customer.email}
                     if customer else None),
    }


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
