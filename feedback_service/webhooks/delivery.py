"""Sending a delivery: claim it, POST it (no transaction open), record what came of it.

Each attempt is three steps. The claim locks the due delivery (``FOR UPDATE
SKIP LOCKED``), counts the attempt and pushes ``next_attempt_at`` past the
attempt's time limit, then commits: no database lock is held while a
receiver takes its time, and a worker that dies mid-send leaves a delivery
the sweep finds due again. The POST goes out with no transaction open. The
record step writes the attempt to the log and books the next one (or gives
up, or disables the endpoint), in one transaction for a whole batch.
Attempting a delivery that is done, or claimed by someone else, does nothing:
it is not due.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, func, insert, select, update

from ..core.database import commit
from ..events import log as events
from ..events.payloads import endpoint_disabled_data
from ..extensions import db
from ..mail.outbox import queue_email
from ..models import Event, User, WebhookAttempt, WebhookDelivery, WebhookEndpoint, utcnow
from . import signing, ssrf, transport
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


def due_delivery_ids(limit: int | None = None) -> list[int]:
    query = (select(WebhookDelivery.id)
             .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow())
             .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id))
    return list(db.session.scalars(query.limit(limit) if limit else query))


def due_count() -> int:
    return db.session.scalar(select(func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= utcnow()))


def attempt(claim: Claim, *, timeout: float, allow_private: bool) -> Outcome:
    """Check the URL again, then POST the signed message to the address just checked.

    Runs on drain threads: it uses no database session and no app context.
    """
    started = time.monotonic()
    try:
        target = ssrf.resolve(claim.url, allow_private=allow_private)
    except ssrf.UnsafeURL as refusal:
        return Outcome(error=f"refused: {refusal}", duration_ms=int((time.monotonic() - started) * 1000))
    headers = signing.headers(claim.message_id, claim.body, list(claim.signing_secrets), utcnow())
    try:
        return transport.post(target, claim.body, headers, timeout=timeout)
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


def claim_due(*, limit: int, delivery_id: int | None = None) -> list[Claim]:
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
            signing_secrets=tuple(signing.signing_secrets(endpoint, now)),
            message_id=signing.webhook_id(event.id),
            body=signing.body(event.type, event.created_at, event.data),
        ))
    table = WebhookDelivery.__table__
    if claims:
        # Counted, and claimed until well past the attempt's time limit (the lease).
        lease = timedelta(seconds=attempt_timeout() + LEASE_MARGIN_SECONDS)
        db.session.execute(update(table).where(table.c.id.in_([c.delivery_id for c in claims])).values(
            attempts=table.c.attempts + 1, last_attempt_at=now, next_attempt_at=now + lease, updated_at=now))
    if refused:
        db.session.execute(update(table).where(table.c.id.in_(refused)).values(
            status="failed", next_attempt_at=None, updated_at=now,
            last_error="The endpoint is disabled; redeliver once it is enabled again."))
    db.session.commit()
    return len(rows), claims


@dataclass(frozen=True)
class Recorded:
    """What a batch of attempts came to: each delivery's status, and the retries booked."""

    statuses: list[str]
    # (delivery id, the attempt's number, when it is due)
    retries: list[tuple[int, int, datetime]]


def record(results: list[tuple[Claim, Outcome]]) -> Recorded:
    """Log each attempt and book what follows, in one transaction (committed here)."""
    now = utcnow()
    schedule = current_app.config["WEBHOOK_RETRY_DELAYS"]
    table = WebhookDelivery.__table__
    current = {row.id: row for row in db.session.execute(
        select(table.c.id, table.c.attempts, table.c.status)
        .where(table.c.id.in_([claim.delivery_id for claim, _ in results]))
        .order_by(table.c.id).with_for_update())}
    statuses, attempts, changes, retries = [], [], [], []
    healthy, failing, gone = set(), set(), set()
    for claim, outcome in results:
        row = current.get(claim.delivery_id)
        if row is None:  # its endpoint was deleted meanwhile
            statuses.append("deleted")
            continue
        attempts.append({"organization_id": claim.organization_id, "delivery_id": claim.delivery_id,
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
    db.session.execute(insert(WebhookAttempt.__table__), attempts)
    if changes:
        db.session.execute(update(table).where(table.c.id == bindparam("delivery")).values(
            status=bindparam("new_status"), next_attempt_at=bindparam("due"), last_status_code=bindparam("code"),
            last_error=bindparam("error"), succeeded_at=bindparam("done_at"), updated_at=now), changes)
    _update_endpoint_health(healthy, failing - healthy, gone, now)
    commit()
    return Recorded(statuses, retries)


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
            disable_endpoint(endpoint, "gone", now)
        elif now - endpoint.failing_since >= DISABLE_AFTER:
            disable_endpoint(endpoint, "failing", now)


def disable_endpoint(endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    """Stop sending to an endpoint that is gone (410) or has failed for days; tell the admins."""
    endpoint.enabled = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = reason
    db.session.flush()  # so the event below is not fanned out to this very endpoint
    why = ("it answered 410 Gone" if reason == "gone"
           else f"every attempt has failed since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC")
    events.record("webhook_endpoint.disabled", endpoint_disabled_data(endpoint, reason),
                  organization_id=endpoint.organization_id)
    admins = db.session.scalars(select(User).where(
        User.organization_id == endpoint.organization_id, User.role == "admin", User.is_active.is_(True)))
    for admin in admins:
        queue_email(kind="webhook_disabled", to=admin.email, organization_id=endpoint.organization_id,
                         subject=f"Webhook disabled: {endpoint.url}"[:300],
                         body=f"We stopped sending webhooks to {endpoint.url} because {why}.\n\n"
                              "Fix the receiver, enable the endpoint again under /settings (or PATCH "
                              f"/api/v1/webhook-endpoints/{endpoint.id} with enabled: true), then redeliver "
                              f"what it missed: POST /api/v1/webhook-endpoints/{endpoint.id}/redeliver-failed.\n")
    log.warning("webhook endpoint %s disabled (%s)", endpoint.id, reason)


def attempt_timeout() -> float:
    return float(current_app.config["WEBHOOK_TIMEOUT_SECONDS"])


def allow_private() -> bool:
    return bool(current_app.config["WEBHOOK_ALLOW_PRIVATE_URLS"])
