"""Send webhook deliveries: claim, POST (no transaction open), record the outcome.

Each attempt is three steps. The claim locks the due delivery (``FOR UPDATE
SKIP LOCKED``), counts the attempt and pushes ``next_attempt_at`` past the
attempt's time limit, then commits: no database lock is held while a
receiver takes its time, and a worker that dies mid-send leaves a delivery
the sweep finds due again. The POST goes out with no transaction open. The
record step writes the attempt to the log and books the next one (or gives
up), in one transaction for a whole batch.

``send_delivery(id)`` does this for one delivery (the in-process path and
scheduled retries); ``drain_deliveries()`` keeps up to ``DRAIN_CONCURRENCY``
POSTs in flight until nothing is due, so one worker job serves a stream of
events. Running either twice sends nothing twice: a delivery that is done, or
claimed by someone else, is not due.
"""

from __future__ import annotations

import logging
import random
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, insert, select, update

from ..core.database import commit
from ..extensions import db
from ..core.jobs import PendingJob, dispatch, get_queue, others_waiting, release
from ..models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint, utcnow
from . import ssrf, signing as webhook_signing, transport as webhook_transport, endpoints as webhooks
from .transport import Outcome

log = logging.getLogger(__name__)

# A receiver that is rate-limiting us, or too slow to answer, gets at least this long.
THROTTLED_MIN_SECONDS = 60
# Retry-After is honoured up to this (a receiver cannot park a delivery for a month).
RETRY_AFTER_MAX_SECONDS = 6 * 3600
# Failing every attempt for this long disables the endpoint.
DISABLE_AFTER = timedelta(days=5)
# How long past its time limit a claimed attempt stays claimed.
LEASE_MARGIN_SECONDS = 30
DRAIN_CONCURRENCY = 16
# A drain stops claiming after this long (and books a successor), so other jobs get the worker.
DRAIN_BUDGET_SECONDS = 60
# Outcomes that arrive within this window are recorded in one transaction.
BATCH_WINDOW_SECONDS = 0.05
# With nothing due, a drain on the worker keeps looking this long before it ends (unless
# other jobs are waiting): the next event is sent at once instead of after a new fork.
LINGER_SECONDS = 1.0


@dataclass(frozen=True)
class Claim:
    """Everything one attempt needs, read under the claim, so sending touches no ORM object."""

    delivery_id: int
    organization_id: int
    endpoint_id: int
    attempt: int
    max_attempts: int
    url: str
    signing_secrets: tuple[str, ...]
    message_id: str
    body: bytes


def send_delivery(delivery_id: int) -> str:
    """Attempt one delivery if it is due; returns its status afterwards, or "nothing to do"."""
    claims = _claim(limit=1, delivery_id=delivery_id)
    if not claims:
        return "nothing to do"
    claim = claims[0]
    outcome = attempt(claim, timeout=_timeout(), allow_private=_allow_private())
    return _record([(claim, outcome)])[0]


def drain_deliveries(mark: str | None = None, *, concurrency: int = DRAIN_CONCURRENCY,
                     budget_seconds: float = DRAIN_BUDGET_SECONDS) -> int:
    """Send every due delivery, up to ``concurrency`` at once; returns how many attempts were made.

    Asked for under a ``mark`` (by the transactions that made deliveries), it
    gives the mark back when done and then drains once more, without lingering,
    for what was committed by those that found the mark taken.
    """
    attempts = _drain(concurrency=concurrency, budget_seconds=budget_seconds,
                      linger_seconds=LINGER_SECONDS if current_app.config.get("REDIS_URL") else 0.0)
    if mark is not None:
        release(mark)
        attempts += _drain(concurrency=concurrency, budget_seconds=budget_seconds, linger_seconds=0.0)
    if attempts:
        log.info("webhook drain made %d attempts", attempts)
    return attempts


def _drain(*, concurrency: int, budget_seconds: float, linger_seconds: float) -> int:
    """Send due deliveries until none is due (and none came for ``linger_seconds``).

    Claims and outcomes go to the database in batches (a claim when half the
    slots are free; outcomes when half the slots have one, or the oldest has
    waited ``BATCH_WINDOW_SECONDS``), so a stream of fast receivers costs two
    transactions per batch, not per delivery.
    """
    timeout, allow_private = _timeout(), _allow_private()
    deadline = time.monotonic() + budget_seconds
    attempts = 0
    in_flight: dict = {}
    finished: list[tuple[Claim, Outcome]] = []
    first_finished_at = 0.0
    idle_until = time.monotonic() + linger_seconds
    with ThreadPoolExecutor(concurrency, thread_name_prefix="webhook") as pool:
        while True:
            free = concurrency - len(in_flight)
            if free * 2 >= concurrency and time.monotonic() < deadline:
                for claim in _claim(limit=free):
                    in_flight[pool.submit(attempt, claim, timeout=timeout, allow_private=allow_private)] = claim
            if not in_flight and not finished:
                if time.monotonic() >= min(idle_until, deadline) or others_waiting():
                    break
                time.sleep(BATCH_WINDOW_SECONDS)  # linger: the next event is likely a moment away
                continue
            idle_until = time.monotonic() + linger_seconds
            if in_flight:
                done, _ = wait(in_flight, timeout=BATCH_WINDOW_SECONDS, return_when=FIRST_COMPLETED)
                if done and not finished:
                    first_finished_at = time.monotonic()
                finished.extend((in_flight.pop(future), future.result()) for future in done)
            if finished and (not in_flight or len(finished) * 2 >= concurrency
                             or time.monotonic() - first_finished_at >= BATCH_WINDOW_SECONDS):
                attempts += len(_record(finished))
                finished = []
    if time.monotonic() >= deadline and due_delivery_ids(limit=1):
        # Out of time with work left: a successor job continues after whatever else is queued.
        dispatch(PendingJob(drain_deliveries, (), job_id=f"webhook-drain-more-{time.time_ns()}", result_ttl=0))
    return attempts


def due_delivery_ids(limit: int | None = None) -> list[int]:
    query = (select(WebhookDelivery.id)
             .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow())
             .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id))
    return list(db.session.scalars(query.limit(limit) if limit else query))


def attempt(claim: Claim, *, timeout: float, allow_private: bool) -> Outcome:
    """Check the URL again, then POST the signed message to the address just checked.

    Runs on drain threads: it uses no database session and no app context.
    """
    started = time.monotonic()
    try:
        target = ssrf.resolve(claim.url, allow_private=allow_private)
    except ssrf.UnsafeURL as refusal:
        return Outcome(error=f"refused: {refusal}", duration_ms=int((time.monotonic() - started) * 1000))
    headers = webhook_signing.headers(claim.message_id, claim.body, list(claim.signing_secrets), utcnow())
    try:
        return webhook_transport.post(target, claim.body, headers, timeout=timeout)
    except Exception as error:  # a bug must not strand the claim: it is recorded as a failure
        log.exception("webhook attempt for delivery %s failed unexpectedly", claim.delivery_id)
        return Outcome(error=f"{type(error).__name__}: {error}"[:2000],
                       duration_ms=int((time.monotonic() - started) * 1000))


def retry_delay(claim: Claim, outcome: Outcome, schedule: list[float]) -> float | None:
    """Seconds until the next attempt, or None when this was the last one."""
    if claim.attempt >= claim.max_attempts:
        return None
    delay = schedule[min(claim.attempt, len(schedule)) - 1] * random.uniform(0.8, 1.2)
    if outcome.status_code == 429 or outcome.timed_out:
        delay = max(delay, THROTTLED_MIN_SECONDS)
    if outcome.retry_after is not None:
        delay = max(delay, min(outcome.retry_after, RETRY_AFTER_MAX_SECONDS))
    return delay


def _claim(*, limit: int, delivery_id: int | None = None) -> list[Claim]:
    """Claim up to ``limit`` due deliveries; those of disabled endpoints fail on the way."""
    while True:
        found, claims = _claim_once(limit, delivery_id)
        if claims or not found:
            return claims


def _claim_once(limit: int, delivery_id: int | None) -> tuple[int, list[Claim]]:
    now = utcnow()
    query = (select(WebhookDelivery, WebhookEndpoint, Event)
             .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
             .join(Event, Event.id == WebhookDelivery.event_id)
             .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
             .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
             .limit(limit)
             .with_for_update(of=WebhookDelivery, skip_locked=True))
    if delivery_id is not None:
        query = query.where(WebhookDelivery.id == delivery_id)
    rows = db.session.execute(query).all()
    if not rows:
        db.session.rollback()
        return 0, []
    claims, refused = [], []
    for delivery, endpoint, event in rows:
        if not endpoint.enabled:
            refused.append(delivery.id)
            continue
        claims.append(Claim(
            delivery_id=delivery.id, organization_id=delivery.organization_id, endpoint_id=endpoint.id,
            attempt=delivery.attempts + 1, max_attempts=delivery.max_attempts, url=endpoint.url,
            signing_secrets=tuple(webhooks.signing_secrets(endpoint, now)),
            message_id=webhook_signing.webhook_id(event.id),
            body=webhook_signing.body(event.type, event.created_at, event.data),
        ))
    table = WebhookDelivery.__table__
    if claims:
        # Counted, and claimed until well past the attempt's time limit (the lease).
        lease = timedelta(seconds=_timeout() + LEASE_MARGIN_SECONDS)
        db.session.execute(update(table).where(table.c.id.in_([c.delivery_id for c in claims])).values(
            attempts=table.c.attempts + 1, last_attempt_at=now, next_attempt_at=now + lease, updated_at=now))
    if refused:
        db.session.execute(update(table).where(table.c.id.in_(refused)).values(
            status="failed", next_attempt_at=None, updated_at=now,
            last_error="The endpoint is disabled; redeliver once it is enabled again."))
    db.session.commit()
    return len(rows), claims


def _record(results: list[tuple[Claim, Outcome]]) -> list[str]:
    """Log each attempt and book what follows, in one transaction; returns each delivery's status."""
    now = utcnow()
    schedule = current_app.config["WEBHOOK_RETRY_DELAYS"]
    table = WebhookDelivery.__table__
    current = {row.id: row for row in db.session.execute(
        select(table.c.id, table.c.attempts, table.c.status)
        .where(table.c.id.in_([claim.delivery_id for claim, _ in results]))
        .order_by(table.c.id).with_for_update())}
    statuses, log, changes, retries = [], [], [], []
    healthy, failing, gone = set(), set(), set()
    for claim, outcome in results:
        row = current.get(claim.delivery_id)
        if row is None:  # its endpoint was deleted meanwhile
            statuses.append("deleted")
            continue
        log.append({"organization_id": claim.organization_id, "delivery_id": claim.delivery_id,
                    "attempt": claim.attempt, "status": "succeeded" if outcome.ok else "failed",
                    "response_status_code": outcome.status_code, "response_body": outcome.body,
                    "error": outcome.error, "duration_ms": outcome.duration_ms, "created_at": now})
        if row.attempts != claim.attempt or row.status != "pending":
            statuses.append(row.status)  # redelivered while this attempt was under way: the newer one decides
            continue
        status, next_attempt_at, error = "succeeded", None, None
        if outcome.ok:
            healthy.add(claim.endpoint_id)
        else:
            failing.add(claim.endpoint_id)
            error = outcome.error or f"HTTP {outcome.status_code}"
            if outcome.status_code == 410:
                gone.add(claim.endpoint_id)
            delay = None if outcome.status_code == 410 else retry_delay(claim, outcome, schedule)
            status = "failed" if delay is None else "pending"
            if delay is not None:
                next_attempt_at = now + timedelta(seconds=delay)
                retries.append((claim.delivery_id, claim.attempt + 1, next_attempt_at))
        changes.append({"delivery": claim.delivery_id, "new_status": status, "due": next_attempt_at,
                        "code": outcome.status_code, "error": error, "done_at": now if outcome.ok else None})
        statuses.append(status)
    db.session.execute(insert(WebhookAttempt.__table__), log)
    if changes:
        db.session.execute(update(table).where(table.c.id == bindparam("delivery")).values(
            status=bindparam("new_status"), next_attempt_at=bindparam("due"), last_status_code=bindparam("code"),
            last_error=bindparam("error"), succeeded_at=bindparam("done_at"), updated_at=now), changes)
    _update_endpoint_health(healthy, failing - healthy, gone, now)
    commit()
    _schedule_retries(retries)
    return statuses


def _update_endpoint_health(healthy: set[int], failing: set[int], gone: set[int], now: datetime) -> None:
    """A success clears an endpoint's failure state; a 410, or five days of nothing but
    failures, disables it."""
    endpoints = WebhookEndpoint.__table__
    if healthy:
        db.session.execute(update(endpoints)
                           .where(endpoints.c.id.in_(healthy), endpoints.c.failing_since.is_not(None))
                           .values(failing_since=None))
    if not failing:
        return
    for endpoint in db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(failing))
                                       .order_by(WebhookEndpoint.id).with_for_update()):
        if endpoint.failing_since is None:
            endpoint.failing_since = now
        if not endpoint.enabled:
            continue
        if endpoint.id in gone:
            webhooks.disable_endpoint(endpoint, "gone", now)
        elif now - endpoint.failing_since >= DISABLE_AFTER:
            webhooks.disable_endpoint(endpoint, "failing", now)


def _schedule_retries(retries: list[tuple[int, int, datetime]]) -> None:
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


def _timeout() -> float:
    return float(current_app.config["WEBHOOK_TIMEOUT_SECONDS"])


def _allow_private() -> bool:
    return bool(current_app.config["WEBHOOK_ALLOW_PRIVATE_URLS"])
