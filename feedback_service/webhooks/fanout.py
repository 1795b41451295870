"""Fan-out: every event owes one delivery to each enabled endpoint that wants it.

The deliveries are written in the transaction that records the event (this
module hears every event the log records), so an event that commits is never
lost to the webhooks and one that rolls back is never sent. Sending is asked
for after the commit; whatever that misses, the sweep finds in the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import bindparam, insert, select

from ..core.database import held
from ..core.jobs import PendingJob, after_commit, per_window
from ..events.log import events_recorded
from ..extensions import db
from ..models import WebhookDelivery, WebhookEndpoint, utcnow
from .jobs import drain_deliveries, send_delivery

# What a batch (``core.database.batch``) keeps of the endpoints it read, by organisation.
ROUTES = "webhook_routes"

_deliveries = WebhookDelivery.__table__
_INSERT_DELIVERIES = insert(_deliveries).returning(_deliveries.c.id, sort_by_parameter_order=True)
_endpoints = WebhookEndpoint.__table__
# On the table, not the entity: it names its organisation, so the tenant filter has nothing to add.
_ROUTES = (select(_endpoints.c.id, _endpoints.c.events, _endpoints.c.touchpoint_ids)
           .where(_endpoints.c.organization_id == bindparam("organization_id"), _endpoints.c.enabled.is_(True))
           .order_by(_endpoints.c.id))


@dataclass(frozen=True)
class Route:
    """An enabled endpoint, as routing needs it: which events it hears, about which touchpoints."""

    endpoint_id: int
    events: frozenset[str]
    touchpoint_ids: frozenset[int] | None

    def wants(self, event_type: str, data: dict) -> bool:
        """The routing rule: the endpoint hears this type, and the event is about a touchpoint it
        names, or it names none. Events about no touchpoint (an endpoint disabled, say) concern
        the whole organisation."""
        if event_type not in self.events:
            return False
        if self.touchpoint_ids is None:
            return True
        touchpoint = data.get("touchpoint") if isinstance(data, dict) else None
        return not isinstance(touchpoint, dict) or touchpoint.get("id") in self.touchpoint_ids


def routes_of(organization_id: int) -> list[Route]:
    """The organisation's enabled endpoints, read once per batch when a batch is under way."""
    cached = held(ROUTES)
    if cached is not None and organization_id in cached:
        return cached[organization_id]
    with db.session.no_autoflush:
        rows = db.session.execute(_ROUTES, {"organization_id": organization_id}).all()
    routes = [Route(row.id, frozenset(row.events or ()), frozenset(row.touchpoint_ids) if row.touchpoint_ids else None)
              for row in rows]
    if cached is not None:
        cached[organization_id] = routes
    return routes


@events_recorded.connect
def _fan_out(sender, events: list[dict]) -> None:
    """The deliveries the events just recorded owe, inserted at once, beside them."""
    routes = {organization_id: routes_of(organization_id) for organization_id in {e["organization_id"] for e in events}}
    now = utcnow()
    rows = [{"organization_id": event["organization_id"], "endpoint_id": route.endpoint_id,
             "event_id": event["id"], "status": "pending", "attempts": 0, "max_attempts": max_attempts(),
             "next_attempt_at": now, "created_at": now, "updated_at": now}
            for event in events for route in routes[event["organization_id"]]
            if route.wants(event["type"], event["data"])]
    if not rows:
        return
    request_sending(db.session.scalars(_INSERT_DELIVERIES, rows).all())


def request_sending(delivery_ids: list[int]) -> None:
    """After the commit: each delivery in-process, or the webhook drain on a worker.

    With a worker, the drain of the current moment serves every delivery made
    meanwhile, sending them concurrently, instead of a job per delivery.
    """
    if not _inline():
        after_commit(per_window(drain_deliveries))
        return
    for delivery_id in delivery_ids:
        after_commit(PendingJob(send_delivery, (delivery_id,)))


def _inline() -> bool:
    return not current_app.config.get("REDIS_URL")


def max_attempts() -> int:
    return len(current_app.config["WEBHOOK_RETRY_DELAYS"]) + 1
