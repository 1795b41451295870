"""Event retention: the event log keeps ``WEBHOOK_EVENT_RETENTION_DAYS`` of history.

Older events go, in batches so no transaction grows large; their webhook
deliveries and attempt logs go with them (the foreign keys cascade). A
consumer further behind than that resyncs with ``updated_after`` instead.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..models import Event, WebhookAttempt, WebhookDelivery, utcnow

log = logging.getLogger(__name__)

BATCH = 5000


def prune_events(now: datetime | None = None) -> int:
    """Delete the events (and their deliveries) past retention; returns how many events went."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["WEBHOOK_EVENT_RETENTION_DAYS"])
    events, attempts, deliveries = Event.__table__, WebhookAttempt.__table__, WebhookDelivery.__table__
    total = 0
    while True:
        # The oldest events by id (the primary key's index, no scan of the table): ids
        # follow created_at, so the expired ones are a prefix of the log.
        oldest = db.session.execute(select(events.c.id, events.c.created_at).order_by(events.c.id).limit(BATCH)).all()
        ids = [row.id for row in oldest if row.created_at < cutoff]
        if not ids:
            db.session.rollback()
            break
        # Children first, explicitly: no reliance on the database cascading for us.
        doomed = select(deliveries.c.id).where(deliveries.c.event_id.in_(ids))
        db.session.execute(delete(attempts).where(attempts.c.delivery_id.in_(doomed)))
        db.session.execute(delete(deliveries).where(deliveries.c.event_id.in_(ids)))
        db.session.execute(delete(events).where(events.c.id.in_(ids)))
        db.session.commit()
        total += len(ids)
        if len(ids) < len(oldest):
            break
    if total:
        log.info("event retention deleted %d events older than %s", total, cutoff.isoformat())
    return total
