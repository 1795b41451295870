"""Fan-out: every event owes one delivery to each enabled endpoint that wants it.

The deliveries are written in the transaction that records the event, so an
event that commits is never lost to the webhooks and one that rolls back is
never sent. Sending is asked for after the commit; whatever that misses, the
sweep finds in the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import (Boolean, ColumnElement, Integer, String, and_, bindparam, exists, func, insert, literal,
                        literal_column, or_, select, true)

from ..core.database import held, held_for_batch
from ..extensions import db
from ..core.jobs import PendingJob, after_commit, enqueue_after_commit
from ..models import Event, WebhookDelivery, WebhookEndpoint, utcnow


@dataclass(frozen=True)
class Route:
    """An enabled endpoint, for deciding many events in Python at once (bulk fan-out).

    The same rule is said in SQL by ``_wants`` for the single-event path;
    tests/test_webhooks_routing.py holds the two to the same answers.
    """

    endpoint_id: int
    events: frozenset[str]
    touchpoint_ids: frozenset[int] | None

    def wants(self, event_type: str, data: dict) -> bool:
        if event_type not in self.events:
            return False
        if self.touchpoint_ids is None:
            return True
        # The touchpoint filter narrows events about touchpoints; the others
        # (an endpoint disabled, say) concern the whole organisation.
        touchpoint = data.get("touchpoint") if isinstance(data, dict) else None
        return not isinstance(touchpoint, dict) or touchpoint.get("id") in self.touchpoint_ids


def routes_for(organization_ids: set[int]) -> dict[int, list[Route]]:
    """The enabled endpoints of these organisations."""
    if not organization_ids:
        return {}
    with db.session.no_autoflush:
        rows = db.session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.organization_id, WebhookEndpoint.events,
                   WebhookEndpoint.touchpoint_ids)
            .where(WebhookEndpoint.organization_id.in_(organization_ids), WebhookEndpoint.enabled.is_(True))
            .order_by(WebhookEndpoint.id)
        ).all()
    routes: dict[int, list[Route]] = {}
    for row in rows:
        touchpoints = frozenset(row.touchpoint_ids) if row.touchpoint_ids else None
        routes.setdefault(row.organization_id, []).append(Route(row.id, frozenset(row.events or ()), touchpoints))
    return routes


@contextmanager
def routes_held() -> Iterator[None]:
    """Within: each organisation's endpoints are read once, not once per event.

    For a batch that records many events and changes no endpoint (the worker
    opening follow-ups); what it reads is what a read per event would have
    seen a few milliseconds earlier.
    """
    with held_for_batch(_HELD):
        yield


_HELD = "webhook_routes_held"


def _routes_of(organization_id: int) -> list[Route]:
    routes = held(_HELD)
    if routes is None:
        return routes_for({organization_id}).get(organization_id, [])
    if organization_id not in routes:
        routes[organization_id] = routes_for({organization_id}).get(organization_id, [])
    return routes[organization_id]


def fan_out(event: Event, organization_id: int | None) -> None:
    """Add the deliveries one just-recorded event owes, in the caller's transaction."""
    if organization_id is None:
        return  # stamped by the tenant at flush: there is no tenant, so no endpoint either
    targets = [r for r in _routes_of(organization_id) if r.wants(event.type, event.data)]
    if not targets:
        return
    now = utcnow()
    deliveries = [WebhookDelivery(event=event, endpoint_id=route.endpoint_id, organization_id=organization_id,
                                  status="pending", attempts=0, max_attempts=max_attempts(),
                                  next_attempt_at=now, created_at=now, updated_at=now)
                  for route in targets]
    db.session.add_all(deliveries)
    if _inline():
        db.session.flush()  # the in-process jobs take ids
    request_sending([d.id for d in deliveries] if _inline() else [])


def fan_out_recorded(events: list[dict], routes: dict[int, list[Route]]) -> None:
    """The deliveries for events already inserted in bulk (each a row dict with its ``id``)."""
    now = utcnow()
    rows = [{"organization_id": event["organization_id"], "endpoint_id": route.endpoint_id,
             "event_id": event["id"], "status": "pending", "attempts": 0, "max_attempts": max_attempts(),
             "next_attempt_at": now, "created_at": now, "updated_at": now}
            for event in events for route in routes.get(event["organization_id"], [])
            if route.wants(event["type"], event["data"])]
    if not rows:
        return
    table = WebhookDelivery.__table__
    if _inline():
        ids = db.session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).all()
        request_sending(list(ids))
    else:
        db.session.execute(insert(table), rows)
        request_sending([])


def owed_deliveries(dialect: str, event=None):
    """An INSERT of the deliveries one event owes, chosen by the database.

    ``event`` is the event's own INSERT as a CTE returning ``id`` (PostgreSQL),
    so that the event and its deliveries are written in one round trip; without
    it, the statement takes the event's id as ``event_id``. Its other
    parameters: ``org``, ``event_type``, ``touchpoint_id``, ``now`` and
    ``max_attempts``; it returns the new deliveries' ids. The rule is
    ``Route.wants`` said in SQL: the endpoint is enabled, wants the type, and
    has no touchpoint filter or one that names this touchpoint.
    """
    endpoints, table = WebhookEndpoint.__table__, WebhookDelivery.__table__
    if event is None:
        event_id, source = bindparam("event_id", type_=table.c.event_id.type), endpoints
    else:
        event_id, source = event.c.id, event.join(endpoints, true())
    now = bindparam("now", type_=table.c.created_at.type)
    owed = (select(bindparam("org", type_=Integer), endpoints.c.id, event_id, literal("pending"),
                   literal(0), bindparam("max_attempts", type_=Integer), now, now, now)
            .select_from(source)
            .where(endpoints.c.organization_id == bindparam("org"), endpoints.c.enabled.is_(True),
                   _wants(dialect, endpoints, bindparam("event_type", type_=String),
                          bindparam("touchpoint_id", type_=Integer))))
    return insert(table).from_select(
        ["organization_id", "endpoint_id", "event_id", "status", "attempts", "max_attempts", "next_attempt_at",
         "created_at", "updated_at"], owed).returning(table.c.id)


def _wants(dialect: str, endpoints, event_type, touchpoint_id) -> ColumnElement[bool]:
    events, filter_ = endpoints.c.events, endpoints.c.touchpoint_ids
    if dialect == "postgresql":
        wants_type = events.op("@>", return_type=Boolean)(func.jsonb_build_array(event_type))
        every_touchpoint = or_(filter_.is_(None), func.jsonb_typeof(filter_) != "array",
                               func.jsonb_array_length(filter_) == 0)
        names = filter_.op("@>", return_type=Boolean)(func.jsonb_build_array(touchpoint_id))
    else:
        def contains(array, value) -> ColumnElement[bool]:
            items = func.json_each(array).table_valued("value")
            return exists(select(literal_column("1")).select_from(items).where(items.c.value == value))

        wants_type = contains(events, event_type)
        every_touchpoint = or_(filter_.is_(None), func.json_type(filter_) != "array",
                               func.json_array_length(filter_) == 0)
        names = contains(filter_, touchpoint_id)
    # An event about no touchpoint concerns the whole organisation.
    return and_(wants_type, or_(touchpoint_id.is_(None), every_touchpoint, names))


def request_sending(delivery_ids: list[int]) -> None:
    """After the commit: each delivery in-process, or one drain job on the worker.

    With a worker, the drain under way (or waiting) serves every delivery made
    meanwhile, sending them concurrently, instead of one forked job per
    delivery; requests ask for one through a mark in Redis (``jobs._ask_once``).
    """
    from .delivery import drain_deliveries, send_delivery

    if not _inline():
        after_commit(PendingJob(drain_deliveries, (DRAIN,), result_ttl=0, once=DRAIN))
        return
    for delivery_id in delivery_ids:
        enqueue_after_commit(send_delivery, delivery_id)


DRAIN = "webhooks"


def _inline() -> bool:
    return not current_app.config.get("REDIS_URL")


def max_attempts() -> int:
    return len(current_app.config["WEBHOOK_RETRY_DELAYS"]) + 1
