"""The sweep: work the database says is pending goes back on the queue.

Enqueueing happens after commit and may fail (Redis down, Redis restarted
empty, a worker killed mid-job). The database is the source of truth, so the
worker re-enqueues whatever is still pending past a grace period when it
starts and every ``SWEEP_INTERVAL`` seconds.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..jobs import PendingJob, dispatch, get_queue
from ..models import Response, utcnow
from .sentiment import score_responses

log = logging.getLogger(__name__)

BATCH = 500
SWEEP_JOB_ID = "feedback-sweep"


def sweep_pending(grace_seconds: int | None = None) -> int:
    """Re-enqueue every response still waiting for its score; returns how many."""
    grace = current_app.config["SENTIMENT_GRACE_SECONDS"] if grace_seconds is None else grace_seconds
    cutoff = utcnow() - timedelta(seconds=grace)
    ids = list(db.session.scalars(
        select(Response.id).where(Response.sentiment_status == "pending", Response.updated_at <= cutoff)
        .order_by(Response.id)
    ))
    db.session.rollback()  # end the read transaction; the jobs open their own
    for start in range(0, len(ids), BATCH):
        dispatch(PendingJob(score_responses, (ids[start:start + BATCH],), None, "default"))
    if ids:
        log.info("sweep re-enqueued %d pending responses", len(ids))
    return len(ids)


def periodic_sweep() -> int:
    """The scheduled sweep: do one, then book the next under a fixed id (never twice)."""
    count = sweep_pending()
    schedule_next_sweep()
    return count


def schedule_next_sweep() -> None:
    queue = get_queue()
    interval = timedelta(seconds=current_app.config["SWEEP_INTERVAL"])
    job = queue.fetch_job(SWEEP_JOB_ID)
    if job is not None and job.get_status(refresh=True) in ("scheduled", "queued"):
        return
    if job is not None:
        job.delete()
    queue.enqueue_in(interval, periodic_sweep, job_id=SWEEP_JOB_ID, result_ttl=0, failure_ttl=3600)
