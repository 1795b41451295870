"""Fan-out: every event owes one delivery to each enabled endpoint that wants it.

The deliveries are written in the transaction that records the event, so an
event that commits is never lost to the webhooks and one that rolls back is
never sent. Sending is asked for after the commit; whatever that misses, the
sweep finds in the database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import insert, select

from ..extensions import db
from ..jobs import enqueue_after_commit
from ..models import Event, WebhookDelivery, WebhookEndpoint, utcnow


@dataclass(frozen=True)
class Route:
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


def fan_out(event: Event, organization_id: int | None) -> None:
    """Add the deliveries one just-recorded event owes, in the caller's transaction."""
    if organization_id is None:
        return  # stamped by the tenant at flush: there is no tenant, so no endpoint either
    targets = [r for r in routes_for({organization_id}).get(organization_id, []) if r.wants(event.type, event.data)]
    if not targets:
        return
    now = utcnow()
    deliveries = [WebhookDelivery(event=event, endpoint_id=route.endpoint_id, organization_id=organization_id,
                                  status="pending", attempts=0, max_attempts=_max_attempts(),
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
             "event_id": event["id"], "status": "pending", "attempts": 0, "max_attempts": _max_attempts(),
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


def request_sending(delivery_ids: list[int]) -> None:
    """After the commit: each delivery in-process, or one coalesced drain job on the worker.

    With a worker, one drain job per second (like scoring) serves every
    delivery created in it, sending them concurrently, instead of one forked
    job per delivery.
    """
    from ..tasks.webhooks import drain_deliveries, send_delivery

    if not _inline():
        job_id = f"webhook-drain-{int(time.time())}"
        pending = db.session.info.get("pending_jobs", [])
        if not any(job.job_id == job_id for job in pending):
            enqueue_after_commit(drain_deliveries, job_id=job_id, result_ttl=0)
        return
    for delivery_id in delivery_ids:
        enqueue_after_commit(send_delivery, delivery_id)


def _inline() -> bool:
    return not current_app.config.get("REDIS_URL")


def _max_attempts() -> int:
    return len(current_app.config["WEBHOOK_RETRY_DELAYS"]) + 1
