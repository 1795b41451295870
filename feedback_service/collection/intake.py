"""Storing a customer's answer: once, durably, before anything else happens to it.

The write is the customer (found or made), the answer and its
``response.created`` event (with the webhook deliveries it owes), in the
caller's transaction. Nothing else waits for the customer: the follow-up is
opened and the comment scored after the commit, in-process or by a worker.

An ``Idempotency-Key`` is enforced by the unique constraint on (touchpoint,
key) with ``ON CONFLICT DO NOTHING``, so a retry from a flaky phone
connection, or fifty at once, stores one row, with Redis up or down.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from .. import rollups
from ..core.database import DIALECT_INSERTS, for_this_database
from ..core.errors import Invalid
from ..customers.identity import resolve_customer_ref
from ..events import log as events
from ..events.payloads import response_data, stored_response_data
from ..extensions import db
from ..journeys.surveys import METRICS
from ..loop.opening import follow_up_needed, has_follow_up, needs_follow_up
from ..loop.priority import refresh_priorities
from ..models import Response, SurveyVersion, Touchpoint, utcnow
from ..sentiment.scoring import initial_sentiment
from . import tokens
from .jobs import request_processing


@dataclass(frozen=True)
class Submission:
    """The answer as stored (or as first stored, for a replay), and the survey version it answered.

    ``response`` has the answer's columns: the row just inserted, or the ``Response`` a replay found.
    """

    response: object
    survey: SurveyVersion
    replayed: bool = False


_responses = Response.__table__
# Built once per database (every answer runs it): the row, unless its idempotency key was used.
_STORE = {dialect: insert(_responses)
          .values({column.key: bindparam(column.key, type_=column.type) for column in _responses.c
                   if column.key not in ("id", "sentiment_compound", "sentiment_positive", "sentiment_neutral",
                                         "sentiment_negative", "sentiment_label", "scored_at")})
          .on_conflict_do_nothing(index_elements=[_responses.c.touchpoint_id, _responses.c.idempotency_key])
          .returning(*_responses.c)
          for dialect, insert in DIALECT_INSERTS.items()}


def request_digest(body: dict) -> str:
    """A fingerprint of the request, to tell a replay from a new body under the same key."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_score(touchpoint: Touchpoint, score: int) -> None:
    metric = METRICS[touchpoint.survey.metric]
    if not metric.in_scale(score):
        raise Invalid("score", f"Must be a whole number from {metric.low} to {metric.high} "
                               f"for a {metric.name.upper()} survey.")


def submit_response(touchpoint: Touchpoint, *, score: int, comment: str | None = None,
                    customer: dict | None = None, context: dict | None = None,
                    idempotency_key: str | None = None, source: str = "widget",
                    digest: str | None = None) -> Submission:
    """Store one answer at this live touchpoint (or find the one this idempotency key stored).

    Works in the session's transaction and leaves the commit to the caller,
    which also hands over the follow-up and the scoring this asks for.

    The touchpoint is the one read at the start of this request. A survey
    edited or a touchpoint archived while the request runs does not move the
    answer: it is stored against the survey version live when it arrived (versions
    never change), and an archived touchpoint keeps its answers. Locking
    the touchpoint row to rule this out would make every answer to it queue
    behind every other.
    """
    check_score(touchpoint, score)
    comment = (comment or "").strip() or None
    survey = touchpoint.survey
    now = utcnow()
    person = resolve_customer_ref(touchpoint.organization_id, external_id=(customer or {}).get("id"),
                                  email=(customer or {}).get("email"), seen_at=now)
    pending_follow_up = follow_up_needed(policy=touchpoint.follow_up_policy, metric=survey.metric, score=score,
                                         comment=comment)
    stored = db.session.execute(for_this_database(_STORE), dict(
        organization_id=touchpoint.organization_id, touchpoint_id=touchpoint.id, survey_version_id=survey.id,
        customer_id=person.id if person else None, metric=survey.metric, score=score, comment=comment,
        context=context or {}, source=source, idempotency_key=idempotency_key, request_digest=digest,
        follow_up_pending=pending_follow_up, created_at=now, updated_at=now, **initial_sentiment(comment))
    ).first()
    if stored is None:
        # The key was used: a retry of an answer already stored, which this one must not change
        # (not even its customer's last visit), so what this try did is undone.
        db.session.rollback()
        return _replay(_by_idempotency_key(touchpoint.id, idempotency_key), digest)
    rollups.count([stored])
    events.record("response.created", response_data(stored, touchpoint=touchpoint, question=survey.question,
                                                    customer=person),
                  organization_id=touchpoint.organization_id)
    if pending_follow_up or stored.sentiment_status == "pending":
        request_processing(stored.id)
    return Submission(stored, survey)


def submit_from_link(touchpoint: Touchpoint, token: str, score: int) -> Submission | None:
    """An email one-click: the score is recorded on the click, once per link.

    Clicking the same link again replays; clicking another score in the same
    email corrects the score (people do mis-tap). None when the link is forged,
    expired or made for another touchpoint.
    """
    person = tokens.read_email_link_token(token, touchpoint)
    if person is None:
        return None
    key = "link:" + hashlib.sha256(token.encode()).hexdigest()[:48]
    previous = _by_idempotency_key(touchpoint.id, key)
    if previous is not None:
        if previous.score != score and METRICS[previous.metric].in_scale(score):
            _correct_score(previous, score)
        return Submission(previous, previous.survey_version, replayed=True)
    return submit_response(touchpoint, score=score, customer={"id": person["external_id"], "email": person["email"]},
                           idempotency_key=key, source="email")


def _correct_score(response: Response, score: int) -> None:
    """Another score clicked in the same email: the answer changes, and what follows from it."""
    with rollups.recounted([response]):
        response.score = score
        response.updated_at = utcnow()
    db.session.flush()
    if has_follow_up(response):
        refresh_priorities([response.id])  # a 5 become 1 is more urgent, and back
    elif needs_follow_up(response):
        response.follow_up_pending = True  # a low score now: its follow-up, once
        request_processing(response.id)
    events.record("response.updated", stored_response_data(response), organization_id=response.organization_id)


def _by_idempotency_key(touchpoint_id: int, key: str) -> Response | None:
    return db.session.scalar(
        select(Response).where(Response.touchpoint_id == touchpoint_id, Response.idempotency_key == key)
    )


def _replay(previous: Response, digest: str | None) -> Submission:
    if digest is not None and previous.request_digest is not None and digest != previous.request_digest:
        raise Invalid("idempotency_key", "This Idempotency-Key was already used with a different body. "
                                         "Use a new key for a new answer.")
    return Submission(previous, previous.survey_version, replayed=True)
