"""Storing a customer's answer: once, durably, in as few round trips as the database allows.

This is the busiest path of the service, so it speaks SQL statements built
once (``intake_statements``) instead of the ORM. The write is the customer
(created or seen again), the answer, its ``response.created`` event and the
webhook deliveries that event owes. On PostgreSQL that is one statement in
autocommit, one round trip; elsewhere, and for a customer who comes with both
an id and an email, a few statements in the caller's transaction. Nothing
else waits for the customer: the follow-up is opened and the comment scored
after the commit, in-process or by a worker.

An ``Idempotency-Key`` is enforced by the unique constraint on (touchpoint,
key) with ``ON CONFLICT DO NOTHING``, so a retry from a flaky phone
connection, or fifty at once, stores one row, with Redis up or down. The
write also matches the touchpoint's ``updated_at`` from the cached card it
was checked against, so an answer never lands on a touchpoint edited or
archived since. Either way nothing is stored; what the try did is undone and
the answer is looked at again on fresh facts.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..core.errors import Conflict, Invalid
from ..extensions import db
from ..core.jobs import after_commit, dispatch
from ..models import Response, utcnow
from ..customers import identity as customers
from . import tokens as links
from ..webhooks import fanout as webhook_fanout
from . import intake_statements as statements
from ..customers.identity import CustomerRef
from ..journeys.surveys import METRICS
from .touchpoint_cards import TouchpointCard, card_for_key

log = logging.getLogger(__name__)

# A stale card costs one more try; a touchpoint edited again within that moment, another.
STORE_ATTEMPTS = 3


@dataclass(frozen=True)
class StoredResponse:
    """The answer as stored: what the caller shows the customer next."""

    id: int
    touchpoint_id: int
    metric: str
    score: int
    comment: str | None
    # Where the follow-up prompt's wording comes from: the card, or the old
    # survey version an earlier answer (replayed now) was given to.
    survey: object


@dataclass(frozen=True)
class Submission:
    response: StoredResponse
    replayed: bool = False


def request_digest(body: dict) -> str:
    """A fingerprint of the request, to tell a replay from a new body under the same key."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_score(card: TouchpointCard, score: int) -> TouchpointCard:
    """The card ``score`` fits, reading the touchpoint again before refusing it."""
    if not card.scale.in_scale(score):
        card = card_for_key(card.publishable_key, fresh=True)
        if not card.scale.in_scale(score):
            metric = card.scale
            raise Invalid("score", f"Must be a whole number from {metric.low} to {metric.high} "
                                   f"for a {metric.name.upper()} survey.")
    return card


def submit_response(card: TouchpointCard, *, score: int, comment: str | None = None,
                    customer: dict | None = None, context: dict | None = None,
                    idempotency_key: str | None = None, source: str = "widget",
                    digest: str | None = None,
                    admit: Callable[[TouchpointCard], None] | None = None) -> Submission:
    """Store one answer (or find the one this idempotency key already stored).

    ``admit`` is the caller's own check of the touchpoint (the widget's origin
    rule): when the card turns out stale, it is asked again about the fresh one.
    Works in the session's transaction and leaves the commit to the caller
    (on PostgreSQL the common case is already committed by its one statement;
    the caller's commit then sends the after-commit jobs).
    """
    comment = (comment or "").strip() or None
    answer = {"score": score, "comment": comment, "context": context or {}, "source": source,
              "idempotency_key": idempotency_key, "request_digest": digest,
              "external_id": (customer or {}).get("id"), "email": _email(customer)}
    for attempt in range(STORE_ATTEMPTS):
        if attempt:
            # The card was stale, or the key was used: undo what this try did, look again.
            db.session.rollback()
            if idempotency_key:
                previous = _by_idempotency_key(card.id, idempotency_key)
                if previous is not None:
                    return _replay(previous, digest)
            card = card_for_key(card.publishable_key, fresh=True)
            if admit is not None:
                admit(card)
        card = check_score(card, score)
        stored = _store(card, answer)
        if stored is not None:
            break
    else:
        # The touchpoint kept changing under the answer (or a concurrent twin is settling).
        raise Conflict("The survey changed while this answer was being stored; send it again.")
    response_id, deliveries, committed = stored
    _request_processing(card, response_id, score, comment, deliveries, committed=committed)
    return Submission(StoredResponse(response_id, card.id, card.metric, score, comment, card))


def _email(customer: dict | None) -> str | None:
    email = (customer or {}).get("email")
    return email.strip().lower() if email else None


def _store(card: TouchpointCard, answer: dict) -> tuple[int, list[int], bool] | None:
    """Write the answer, its event and deliveries: (response id, delivery ids, committed
    already?), or None when nothing was stored (a stale card, a used key)."""
    both_keys = answer["external_id"] and answer["email"]
    in_one_statement = db.engine.dialect.name == "postgresql" and not both_keys
    # Begun (on SQLite: the write lock taken, which may mean queueing for it) before
    # the answer is stamped, so it commits moments after its updated_at and a sync
    # that pages by updated_at cannot pass it meanwhile (services/sync_window.py).
    connection = None if in_one_statement else db.session.connection()
    now = utcnow()
    params = {**answer, "org": card.organization_id, "touchpoint_id": card.id, "stamp": card.stamp,
              "survey_version_id": card.survey_version_id, "metric": card.metric, "now": now,
              "follow_up_pending": _needs_follow_up(card, answer["score"], answer["comment"]),
              "sentiment_status": "pending" if answer["comment"] else "skipped",
              "sentiment_reason": None if answer["comment"] else "no_comment",
              "event_type": "response.created", "max_attempts": webhook_fanout.max_attempts()}
    if in_one_statement:
        customer_key = "external_id" if answer["external_id"] else "email" if answer["email"] else None
        params["event_data"] = _created_payload(card, answer, now, response_id=0, person=None)
        row = statements.run_in_one_statement(db.engine, customer_key, params)
        return (row[0], list(row[1] or ()), True) if row else None

    person = customers.resolve_customer_ref(card.organization_id, external_id=answer["external_id"],
                                            email=answer["email"], seen_at=now)
    written = statements.in_transaction(connection.dialect.name)
    response_id = connection.execute(written.response, {**params, "customer_id": person.id if person else None}
                                     ).scalar()
    if response_id is None:
        return None
    params["event_data"] = _created_payload(card, answer, now, response_id=response_id, person=person)
    if written.event is None:
        return response_id, list(connection.execute(written.deliveries, params).scalars()), False
    params["event_id"] = connection.execute(written.event, params).scalar_one()
    return response_id, list(connection.execute(written.deliveries, params).scalars()), False


def _created_payload(card: TouchpointCard, answer: dict, now: datetime, *, response_id: int,
                     person: CustomerRef | None) -> dict:
    from ..events.log import created_payload

    return created_payload(
        response={"id": response_id, "score": answer["score"], "metric": card.metric, "comment": answer["comment"],
                  "context": answer["context"], "source": answer["source"], "created_at": now,
                  "sentiment_status": "pending" if answer["comment"] else "skipped"},
        touchpoint=card, question=card.question, customer=person)


def submit_from_link(card: TouchpointCard, token: str, score: int) -> Submission | None:
    """An email one-click: the score is recorded on the click, once per link.

    Clicking the same link again replays; clicking another score in the same
    email corrects the score (people do mis-tap). None when the link is forged,
    expired or made for another touchpoint.
    """
    person = links.read_email_link_token(token, card)
    if person is None:
        return None
    key = "link:" + hashlib.sha256(token.encode()).hexdigest()[:48]
    previous = _by_idempotency_key(card.id, key)
    if previous is not None:
        if previous.score != score and METRICS[previous.metric].in_scale(score):
            _correct_score(previous, score)
        return Submission(_stored(previous), replayed=True)
    return submit_response(card, score=score, customer={"id": person["external_id"], "email": person["email"]},
                           idempotency_key=key, source="email")


def _correct_score(response: Response, score: int) -> None:
    """Another score clicked in the same email: the answer changes, and what follows from it."""
    from .after_answer import request_processing
    from ..events import log as events
    from ..loop import priorities as follow_up_priorities, workflow as follow_ups

    response.score = score
    response.updated_at = utcnow()
    db.session.flush()
    if follow_ups.has_follow_up(response):
        follow_up_priorities.refresh_priorities([response.id])  # a 5 become 1 is more urgent, and back
    elif follow_ups.needs_follow_up(response):
        response.follow_up_pending = True  # a low score now: its follow-up, once
        request_processing(response.id)
    events.record("response.updated", events.response_payload(response), organization_id=response.organization_id)


def _needs_follow_up(card: TouchpointCard, score: int, comment: str | None) -> bool:
    return comment is not None or (card.follow_up_policy == "low_scores" and card.scale.is_low(score))


def _request_processing(card: TouchpointCard, response_id: int, score: int, comment: str | None,
                        deliveries: list[int], *, committed: bool) -> None:
    """After the commit: the follow-up, the score and the webhooks, in-process or on a worker."""
    from .after_answer import processing_job

    if _needs_follow_up(card, score, comment) or comment is not None:
        job = processing_job(response_id)
        # Written in a statement of its own: already durable, so handed over now.
        dispatch(job) if committed else after_commit(job)
    if deliveries:
        webhook_fanout.request_sending(deliveries)


def _by_idempotency_key(touchpoint_id: int, key: str) -> Response | None:
    return db.session.scalar(
        select(Response).where(Response.touchpoint_id == touchpoint_id, Response.idempotency_key == key)
    )


def _stored(response: Response) -> StoredResponse:
    return StoredResponse(response.id, response.touchpoint_id, response.metric, response.score, response.comment,
                          response.survey_version)


def _replay(previous: Response, digest: str | None) -> Submission:
    if digest is not None and previous.request_digest is not None and digest != previous.request_digest:
        raise Invalid("idempotency_key", "This Idempotency-Key was already used with a different body. "
                                         "Use a new key for a new answer.")
    return Submission(_stored(previous), replayed=True)
