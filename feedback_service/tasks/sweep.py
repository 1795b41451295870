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
from ..jobs import PendingJob, dispatch
from ..models import Response, utcnow
from .sentiment import BATCH, drain_pending

log = logging.getLogger(__name__)

MAX_PARALLEL_DRAINS = 8


def sweep_pending(grace_seconds: int | None = None) -> int:
    """Enqueue drain jobs for the responses still waiting for their score.

    Each drain job claims batch after batch until none is left, so one job
    (one fork) does the work of many; up to ``MAX_PARALLEL_DRAINS`` of them let
    every worker listening take a share of a large backlog. Returns how many
    are pending.
    """
    grace = current_app.config["SENTIMENT_GRACE_SECONDS"] if grace_seconds is None else grace_seconds
    cutoff = utcnow() - timedelta(seconds=grace)
    pending = db.session.scalar(
        select(func.count()).select_from(Response)
        .where(Response.sentiment_status == "pending", Response.updated_at <= cutoff)
    )
    db.session.rollback()  # end the read transaction; the jobs open their own
    stamp = int(time.time())
    jobs = min(-(-pending // BATCH), MAX_PARALLEL_DRAINS)
    for index in range(jobs):
        dispatch(PendingJob(drain_pending, (), job_id=f"sentiment-sweep-{stamp}-{index}", result_ttl=0))
    if pending:
        log.info("sweep found %d pending responses; %d drain jobs enqueued", pending, jobs)
    return pending


def sweep_emails() -> int:
    """Re-enqueue emails whose next attempt is due (or whose first enqueue was lost)."""
    from .mail import due_for_retry, send_email

    ids = due_for_retry()
    db.session.rollback()
    for email_id in ids:
        dispatch(PendingJob(send_email, (email_id,), job_id=f"email-{email_id}-sweep-{int(time.time())}",
                            result_ttl=0))
    return len(ids)


def periodic_sweep() -> int:
    """The periodic sweep: pending scores, due emails, SLA breaches.

    The worker enqueues this every ``SWEEP_INTERVAL`` seconds from its own loop
    (``feedback_service.worker``); it books no successor itself. A job that
    rescheduled itself under a fixed id was deleted along with its own
    ``result_ttl=0`` record, and was lost whenever a sweep failed, Redis came
    back empty or RQ's scheduler process died: after that nothing swept.
    """
    from .sla import check_sla

    count = sweep_pending()
    sweep_emails()
    check_sla()
    return count
