"""What happens to an answer after it is stored: its follow-up is opened, its comment scored.

Both run after the customer's request has committed, so the request does only
the durable minimum. In-process (no ``REDIS_URL``) they run for that one
response once the answer has been sent; with a worker, one drain a moment
(``core.jobs.per_window``) takes everything pending, in batches. Each step is
guarded by a flag on the row (``follow_up_pending``, ``sentiment_status =
'pending'``) that it clears in the transaction of its work, so running twice
does nothing more, and the sweep finds whatever a lost job left behind.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from ..core.jobs import PendingJob, after_commit, after_window, dispatch, per_window
from ..extensions import db
from ..loop.opening import OPENING_BATCH, open_pending
from ..models import Response, utcnow
from ..sentiment import jobs as scoring
from ..sentiment.scoring import BATCH as SCORING_BATCH

log = logging.getLogger(__name__)

# Drain jobs the sweep enqueues at most for a backlog, so that every worker listening takes a share.
MAX_PARALLEL_DRAINS = 8


def request_processing(response_id: int) -> None:
    """Ask for the follow-up and the score of a stored response, once the transaction commits."""
    if current_app.config.get("REDIS_URL"):
        after_commit(per_window(drain_answers))
    else:
        after_commit(PendingJob(process_responses, ([response_id],)))


def process_responses(response_ids: list[int]) -> None:
    """Job: these responses' pending follow-ups and scores."""
    open_pending(response_ids)
    scoring.score_responses(response_ids)


def drain_answers(window_end: float | None = None) -> None:
    """Job: everything pending, batch after batch (and once more after ``window_end``)."""
    _drain()
    if after_window(window_end):
        _drain()


def sweep_pending_answers(grace_seconds: int | None = None) -> int:
    """Enqueue drains for the responses still waiting for their follow-up or score, past a grace
    period (their own job may be about to run); returns how many are pending."""
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
    drains = min(-(-pending // SCORING_BATCH), MAX_PARALLEL_DRAINS)
    for index in range(drains):
        dispatch(PendingJob(drain_answers, (), job_id=f"answers-sweep-{stamp}-{index}", result_ttl=0))
    if pending:
        log.info("sweep found %d pending responses; %d drain jobs enqueued", pending, drains)
    return pending


def _drain() -> None:
    # Follow-ups first: a comment's follow-up is open before its score moves its priority.
    while open_pending() == OPENING_BATCH:
        continue  # a full batch: there may be more
    scoring.drain_pending()
