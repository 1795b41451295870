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
from ..jobs import PendingJob, dispatch, get_queue
from ..models import Response, utcnow
from .sentiment import BATCH, drain_pending

log = logging.getLogger(__name__)

SWEEP_JOB_ID = "feedback-sweep"
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
