"""The durable, ordered event log.

Events are added to the session of the change that causes them, so they
commit (or roll back) with it: a consumer never hears of an answer that was
not stored, and never misses one that was. Payloads carry stable ids and the
human labels (touchpoint name, question) a consumer needs without a second call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select

from ..extensions import db
from ..models import Event, Response, utcnow
from ..pagination import Page, paginate
from ..tenancy import current_tenant_id
from . import webhook_fanout


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


def response_payload(response: Response) -> dict:
    touchpoint = response.touchpoint
    return {
        "response": {
            "id": response.id,
            "score": response.score,
            "metric": response.metric,
            "comment": response.comment,
            "context": response.context,
            "source": response.source,
            "created_at": response.created_at.isoformat(),
            "sentiment": {
                "status": response.sentiment_status,
                "label": response.sentiment_label,
                "compound": response.sentiment_compound,
            },
        },
        "touchpoint": {"id": touchpoint.id, "name": touchpoint.name, "channel": touchpoint.channel,
                       "journey_id": touchpoint.journey_id},
        "question": response.survey_version.question,
        "customer": ({"id": response.customer.id, "external_id": response.customer.external_id,
                      "email": response.customer.email} if response.customer else None),
    }


def list_events(*, after: str | None = None, event_type: str | None = None, limit: int | None = None) -> Page:
    query = select(Event)
    if event_type:
        query = query.where(Event.type == event_type)
    return paginate(query, [(Event.id, int)], descending=False, limit=limit, cursor=after)
