"""The webhook jobs: send one delivery, drain everything due, find what was left due.

Each takes ids or nothing, and running it twice sends nothing twice: a
delivery that is done, or claimed by another worker, is not due
(``delivery.claim_due``).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from flask import current_app
from sqlalchemy import func, select

from ..core.jobs import PendingJob, after_window, dispatch, get_queue
from ..extensions import db
from ..models import WebhookDelivery, utcnow
from . import delivery
from .delivery import Claim, Outcome

log = logging.getLogger(__name__)

DRAIN_CONCURRENCY = 16
# A drain stops claiming after this long (and books a successor), so other jobs get the worker.
DRAIN_BUDGET_SECONDS = 60
# Outcomes that arrive within this window are recorded in one transaction.
BATCH_WINDOW_SECONDS = 0.05
# Due deliveries per drain job the sweep enqueues; more than one drain only helps with more workers.
SWEEP_SHARE = 500
MAX_PARALLEL_DRAINS = 8


def send_delivery(delivery_id: int) -> str:
    """Attempt one delivery if it is due; returns its status afterwards, or "nothing to do"."""
    claims = delivery.claim_due(limit=1, delivery_id=delivery_id)
    if not claims:
        return "nothing to do"
    outcome = delivery.attempt(claims[0], timeout=delivery.attempt_timeout(), allow_private=delivery.allow_private())
    return _record([(claims[0], outcome)])[0]


def drain_deliveries(window_end: float | None = None, *, concurrency: int = DRAIN_CONCURRENCY,
                     budget_seconds: float = DRAIN_BUDGET_SECONDS) -> int:
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
    due = db.session.scalar(select(func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow()))
    db.session.rollback()
    stamp = int(time.time())
    for index in range(min(-(-due // SWEEP_SHARE), MAX_PARALLEL_DRAINS)):
        dispatch(PendingJob(drain_deliveries, (), job_id=f"webhook-sweep-{stamp}-{index}", result_ttl=0))
    return due


def _drain(*, concurrency: int, budget_seconds: float) -> int:
    """Send due deliveries until none is due.

    Claims and outcomes go to the database in batches (a claim when half the
    slots are free; outcomes when half the slots have one, or the oldest has
    waited ``BATCH_WINDOW_SECONDS``), so a stream of fast receivers costs two
    transactions per batch, not per delivery.
    """
    timeout, allow_private = delivery.attempt_timeout(), delivery.allow_private()
    deadline = time.monotonic() + budget_seconds
    attempts = 0
    in_flight: dict = {}
    finished: list[tuple[Claim, Outcome]] = []
    first_finished_at = 0.0
    with ThreadPoolExecutor(concurrency, thread_name_prefix="webhook") as pool:
        while True:
            free = concurrency - len(in_flight)
            if free * 2 >= concurrency and time.monotonic() < deadline:
                for claim in delivery.claim_due(limit=free):
                    attempt = pool.submit(delivery.attempt, claim, timeout=timeout, allow_private=allow_private)
                    in_flight[attempt] = claim
            if not in_flight and not finished:
                break
            if in_flight:
                done, _ = wait(in_flight, timeout=BATCH_WINDOW_SECONDS, return_when=FIRST_COMPLETED)
                if done and not finished:
                    first_finished_at = time.monotonic()
                finished.extend((in_flight.pop(future), future.result()) for future in done)
            if finished and (not in_flight or len(finished) * 2 >= concurrency
                             or time.monotonic() - first_finished_at >= BATCH_WINDOW_SECONDS):
                attempts += len(_record(finished))
                finished = []
    if time.monotonic() >= deadline and delivery.due_delivery_ids(limit=1):
        # Out of time with work left: a successor job continues after whatever else is queued.
        dispatch(PendingJob(drain_deliveries, (), job_id=f"webhook-drain-more-{time.time_ns()}", result_ttl=0))
    return attempts


def _record(results: list[tuple[Claim, Outcome]]) -> list[str]:
    recorded = delivery.record(results)
    _schedule_retries(recorded.retries)
    return recorded.statuses


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
