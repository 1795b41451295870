"""The webhook jobs: send one delivery, drain everything due, find what was left due.

Each takes ids or nothing, and running it twice sends nothing twice: a
delivery that is done, or claimed by another worker, is not due
(``delivery.claim_due``). How a drain sends is ``drain``'s; these select,
delegate and ask for what comes next.
"""

from __future__ import annotations

import logging
import time

from flask import current_app

from ..core.jobs import PendingJob, after_window, dispatch, get_queue
from ..extensions import db
from . import delivery, drain

log = logging.getLogger(__name__)

# Due deliveries per drain job the sweep enqueues; more than one drain only helps with more workers.
SWEEP_SHARE = 500
MAX_PARALLEL_DRAINS = 8


def send_delivery(delivery_id: int) -> str:
    """Attempt one delivery if it is due; returns its status afterwards, or "nothing to do"."""
    return drain.send_one(delivery_id, _schedule_retries)


def drain_deliveries(window_end: float | None = None, *, concurrency: int = drain.CONCURRENCY,
                     budget_seconds: float = drain.BUDGET_SECONDS) -> int:
    """Send every due delivery, up to ``concurrency`` at once; returns how many attempts were made.

    Asked for per window (``core.jobs.per_window``), it drains once more after
    its window has ended, for the deliveries committed by those that found it
    already enqueued.
    """
    attempts = _drain(concurrency=concurrency, budget_seconds=budget_seconds)
    if after_window(window_end):
        attempts += _drain(concurrency=concurrency, budget_seconds=budget_seconds)
    if attempts:
        log.info("webhook drain made %d attempts", attempts)
    return attempts


def sweep_due_deliveries() -> int:
    """Enqueue what is due: retries, a first enqueue that was lost, an attempt whose worker died.

    Returns how many deliveries are due.
    """
    if not current_app.config.get("REDIS_URL"):
        ids = delivery.due_delivery_ids()
        db.session.rollback()
        for delivery_id in ids:
            dispatch(PendingJob(send_delivery, (delivery_id,)))
        return len(ids)
    due = delivery.due_count()
    db.session.rollback()
    stamp = int(time.time())
    for index in range(min(-(-due // SWEEP_SHARE), MAX_PARALLEL_DRAINS)):
        dispatch(PendingJob(drain_deliveries, (), job_id=f"webhook-sweep-{stamp}-{index}", result_ttl=0))
    return due


def _drain(*, concurrency: int, budget_seconds: float) -> int:
    drained = drain.send_due(_schedule_retries, concurrency=concurrency, budget_seconds=budget_seconds)
    if drained.more_due:
        # A successor job continues after whatever else is queued.
        dispatch(PendingJob(drain_deliveries, (), job_id=f"webhook-drain-more-{time.time_ns()}", result_ttl=0))
    return drained.attempts


def _schedule_retries(retries: list) -> None:
    """With a worker, each retry is also scheduled for its exact time; the sweep is the backstop."""
    if not retries or not current_app.config.get("REDIS_URL"):
        return
    try:
        queue = get_queue()
        for delivery_id, number, at in retries:
            queue.enqueue_at(at, send_delivery, delivery_id, job_id=f"webhook-{delivery_id}-attempt-{number}",
                             result_ttl=0, failure_ttl=24 * 3600)
    except Exception:
        log.warning("could not schedule webhook retries; the sweep will send them", exc_info=True)
