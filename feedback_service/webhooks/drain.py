"""Sending every due delivery, many at once, with the database written in batches.

Attempts run on a thread pool (a slow receiver must not hold up the others);
claims and outcomes go to the database from this thread only. A claim is
taken when half the slots are free, and outcomes are recorded when half the
slots have one or the oldest has waited ``BATCH_WINDOW_SECONDS``, so a stream
of fast receivers costs two transactions per batch, not per delivery.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass

from . import delivery
from .delivery import Claim, Outcome

CONCURRENCY = 16
# A drain stops claiming after this long, so other jobs get the worker (see ``Drained.more_due``).
BUDGET_SECONDS = 60
# Outcomes that arrive within this window are recorded in one transaction.
BATCH_WINDOW_SECONDS = 0.05


@dataclass(frozen=True)
class Drained:
    attempts: int
    # Out of time with deliveries still due: whoever drained should ask for another drain.
    more_due: bool


# Called with each batch's retries as (delivery id, attempt number, when), once they are recorded.
OnRetries = Callable[[list], None]


def send_one(delivery_id: int, on_retries: OnRetries) -> str:
    """Attempt one delivery if it is due; its status afterwards, or "nothing to do"."""
    claims = delivery.claim_due(limit=1, delivery_id=delivery_id)
    if not claims:
        return "nothing to do"
    outcome = delivery.attempt(claims[0], timeout=delivery.attempt_timeout(), allow_private=delivery.allow_private())
    return _record([(claims[0], outcome)], on_retries)[0]


def send_due(on_retries: OnRetries, *, concurrency: int = CONCURRENCY,
             budget_seconds: float = BUDGET_SECONDS) -> Drained:
    """Send due deliveries, up to ``concurrency`` at once, until none is due or the budget is spent."""
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
                attempts += len(_record(finished, on_retries))
                finished = []
    more_due = time.monotonic() >= deadline and bool(delivery.due_delivery_ids(limit=1))
    return Drained(attempts, more_due)


def _record(results: list[tuple[Claim, Outcome]], on_retries: OnRetries) -> list[str]:
    recorded = delivery.record(results)
    if recorded.retries:
        on_retries(recorded.retries)
    return recorded.statuses
