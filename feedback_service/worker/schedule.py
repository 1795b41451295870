"""The sweep: work the database says is pending goes back on the queue.

Enqueueing happens after commit and may fail (Redis down, Redis restarted
empty, a worker killed mid-job). The database is the source of truth, so the
worker re-enqueues whatever is still pending past a grace period when it
starts and every ``SWEEP_INTERVAL`` seconds.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..core.jobs import PendingJob, dispatch
from ..models import Response, WebhookDelivery, utcnow
from ..collection.after_answer import process_pending
from ..sentiment.scoring import BATCH

log = logging.getLogger(__name__)

MAX_PARALLEL_DRAINS = 8
# Due webhook deliveries per drain job the sweep enqueues.
WEBHOOK_DRAIN_SHARE = 500


def sweep_pending(grace_seconds: int | None = None) -> int:
    """Enqueue drain jobs for the responses still waiting for their follow-up or score.

    Each drain job claims batch after batch until none is left, so one job
    (one fork) does the work of many; up to ``MAX_PARALLEL_DRAINS`` of them let
    every worker listening take a share of a large backlog. Returns how many
    are pending.
    """
    grace = current_app.config["SENTIMENT_GRACE_SECONDS"] if grace_seconds is None else grace_seconds
    cutoff = utcnow() - timedelta(seconds=grace)
    pending = db.session.scalar(
        select(func.count()).select_from(Response)
        # Each side as its partial index says it, so both are read from their index.
        .where((Response.sentiment_status == "pending") | Response.follow_up_pending,
               Response.updated_at <= cutoff)
    )
    db.session.rollback()  # end the read transaction; the jobs open their own
    stamp = int(time.time())
    jobs = min(-(-pending // BATCH), MAX_PARALLEL_DRAINS)
    for index in range(jobs):
        dispatch(PendingJob(process_pending, (), job_id=f"sentiment-sweep-{stamp}-{index}", result_ttl=0))
    if pending:
        log.info("sweep found %d pending responses; %d drain jobs enqueued", pending, jobs)
    return pending


def sweep_emails() -> int:
    """Re-enqueue emails whose next attempt is due (or whose first enqueue was lost)."""
    from ..mail.smtp import due_for_retry, send_email

    ids = due_for_retry()
    db.session.rollback()
    for email_id in ids:
        dispatch(PendingJob(send_email, (email_id,), job_id=f"email-{email_id}-sweep-{int(time.time())}",
                            result_ttl=0))
    return len(ids)


def sweep_webhook_deliveries() -> int:
    """Enqueue the webhook deliveries whose attempt is due: retries, a first enqueue that
    was lost, an attempt whose worker died. Returns how many are due."""
    from ..webhooks.delivery import drain_deliveries, due_delivery_ids, send_delivery

    if current_app.config.get("REDIS_URL"):
        due = db.session.scalar(select(func.count()).select_from(WebhookDelivery).where(
            WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow()))
        db.session.rollback()
        # Each drain job keeps many attempts in flight; more than one only helps with more workers.
        stamp = int(time.time())
        for index in range(min(-(-due // WEBHOOK_DRAIN_SHARE), MAX_PARALLEL_DRAINS)):
            dispatch(PendingJob(drain_deliveries, (), job_id=f"webhook-sweep-{stamp}-{index}", result_ttl=0))
        return due
    ids = due_delivery_ids()
    db.session.rollback()
    for delivery_id in ids:
        dispatch(PendingJob(send_delivery, (delivery_id,)))
    return len(ids)


def periodic_sweep() -> int:
    """The periodic sweep: pending scores, due emails, SLA breaches, daily digests, due webhooks,
    event retention.

    The worker enqueues this every ``SWEEP_INTERVAL`` seconds from its own loop
    (``feedback_service.worker``); it books no successor itself. A job that
    rescheduled itself under a fixed id was deleted along with its own
    ``result_ttl=0`` record, and was lost whenever a sweep failed, Redis came
    back empty or RQ's scheduler process died: after that nothing swept.
    """
    from ..loop.jobs import sweep_digests
    from ..events.retention import prune_events
    from ..loop.sla import check_sla

    count = sweep_pending()
    sweep_emails()
    check_sla()
    sweep_digests()  # after check_sla, so what breached just now is counted overdue
    sweep_webhook_deliveries()  # after check_sla, so its breach events go out in this sweep
    prune_events()
    return count
