"""Taking a customer's answer: validate, store once, then hand over for scoring.

The answer is committed before anything else happens to it. An
``Idempotency-Key`` is enforced by the database's unique constraint on
(touchpoint, key), so a retry from a flaky phone connection, or fifty at once,
stores one row, with Redis up or down.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from ..models import Customer, Display, Response, Touchpoint, utcnow
from . import customers, events, fatigue, follow_ups, links
from .metrics import METRICS, ui_texts

log = logging.getLogger(__name__)

COMMENT_MAX = 5000


@dataclass
class Submission:
    response: Response
    replayed: bool = False


def touchpoint_by_key(publishable_key: str) -> Touchpoint:
    """The live touchpoint behind a ``pk_`` key, across tenants (the key is the credential)."""
    touchpoint = db.session.scalar(
        select(Touchpoint).where(Touchpoint.publishable_key == publishable_key).options(joinedload(Touchpoint.survey))
    )
    if touchpoint is None or touchpoint.archived_at is not None:
        raise NotFound("No survey for this key. Check the data-touchpoint attribute of the embed code.")
    return touchpoint


def survey_for(touchpoint: Touchpoint, *, customer: Customer | None, languages: list[str]) -> dict:
    """What a widget or hosted page shows, in the best language it has for this customer."""
    version = touchpoint.survey
    texts, language = localised_texts(version, languages)
    metric = METRICS[version.metric]
    return {
        "touchpoint": {"name": touchpoint.name},
        "survey": {
            "version": version.version,
            "metric": version.metric,
            "scale": metric.scale(),
            **texts,
            "language": language,
            "texts": ui_texts(language),
        },
        "trigger": touchpoint.trigger,
        # Anonymous visitors are throttled by the widget itself, for this many days.
        "fatigue_days": touchpoint.fatigue_days,
        "suppressed": fatigue.is_suppressed(touchpoint, customer),
    }


def localised_texts(version, languages: list[str]) -> tuple[dict, str]:
    """The survey's texts in the first wanted language it has a translation for."""
    texts = {
        "question": version.question,
        "comment_prompt": version.comment_prompt,
        "low_score_prompt": version.low_score_prompt,
        "scale_labels": version.scale_labels,
    }
    for wanted in languages:
        if wanted.split("-")[0].lower() == version.language.split("-")[0].lower():
            break  # the survey's own language comes before any translation
        match = _match_translation(wanted, version.translations)
        if match:
            texts.update({k: v for k, v in version.translations[match].items() if v is not None})
            return texts, match
    return texts, version.language


def _match_translation(wanted: str, translations: dict) -> str | None:
    if wanted in translations:
        return wanted
    base = wanted.split("-")[0]
    for language in translations:
        if language.split("-")[0] == base:
            return language
    return None


def find_customer(external_id: str | None, email: str | None) -> Customer | None:
    """Look up without creating: reading a survey must not create people."""
    if external_id:
        found = db.session.scalar(select(Customer).where(Customer.external_id == external_id))
        if found:
            return found
    if email:
        return db.session.scalar(select(Customer).where(Customer.email == email.strip().lower()))
    return None


def follow_up_prompt(response: Response, languages: list[str] = ()) -> str:
    """The question after the score: the low-score prompt for a low score, when there is one."""
    texts, _ = localised_texts(response.survey_version, list(languages))
    if METRICS[response.metric].is_low(response.score) and texts["low_score_prompt"]:
        return texts["low_score_prompt"]
    return texts["comment_prompt"]


def request_digest(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def submit_response(touchpoint: Touchpoint, *, score: int, comment: str | None = None,
                    customer: dict | None = None, context: dict | None = None,
                    idempotency_key: str | None = None, source: str = "widget",
                    digest: str | None = None) -> Submission:
    """Store one answer (or find the one this idempotency key already stored)."""
    metric = METRICS[touchpoint.survey.metric]
    if not metric.in_scale(score):
        raise Invalid("score", f"Must be a whole number from {metric.low} to {metric.high} "
                               f"for a {metric.name.upper()} survey.")
    if idempotency_key:
        previous = _by_idempotency_key(touchpoint, idempotency_key)
        if previous is not None:
            return _replay(previous, digest)

    comment = (comment or "").strip() or None
    now = utcnow()
    for attempt in (1, 2):
        try:
            with db.session.begin_nested():
                person = customers.resolve_customer(external_id=(customer or {}).get("id"),
                                                    email=(customer or {}).get("email"), seen_at=now)
                response = Response(
                    touchpoint=touchpoint, survey_version=touchpoint.survey, customer=person,
                    metric=touchpoint.survey.metric, score=score, comment=comment, context=context or {},
                    source=source, idempotency_key=idempotency_key, request_digest=digest,
                    created_at=now, updated_at=now,
                )
                response.follow_up_pending = follow_ups.needs_follow_up(response)
                _mark_for_scoring(response)
                db.session.add(response)
                db.session.flush()
            break
        except IntegrityError:
            # Another request with the same key committed first: answer as a replay.
            previous = _by_idempotency_key(touchpoint, idempotency_key) if idempotency_key else None
            if previous is not None:
                return _replay(previous, digest)
            if attempt == 2:
                raise
            # Otherwise the same new customer was created by a concurrent answer: now we see them.
    events.record("response.created", events.response_payload(response))
    _request_processing(response)
    return Submission(response)


def response_for_edit(touchpoint: Touchpoint, response_id: int, token: str) -> Response:
    """The response an edit token was issued for; 403 for a wrong or expired token."""
    if not links.edit_token_allows(token, response_id, touchpoint.id):
        raise Forbidden("This edit token is not valid for this response (or it has expired).")
    response = db.session.get(Response, response_id)
    if response is None or response.touchpoint_id != touchpoint.id:
        raise NotFound(f"No response with id {response_id} at this touchpoint.")
    return response


def add_comment(touchpoint: Touchpoint, response_id: int, token: str, comment: str | None) -> Response:
    """The widget's second step: the comment joins the response its score created."""
    response = response_for_edit(touchpoint, response_id, token)
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > COMMENT_MAX:
        raise Invalid("comment", f"At most {COMMENT_MAX} characters.")
    if comment == response.comment:
        return response  # a retried PATCH changes nothing
    response.comment = comment
    response.updated_at = utcnow()
    _mark_for_scoring(response)
    db.session.flush()
    if follow_ups.needs_follow_up(response) and not follow_ups.has_follow_up(response):
        response.follow_up_pending = True  # the comment arrived after the score: its follow-up now, once
    _request_processing(response)
    return response


def record_display(touchpoint: Touchpoint, *, customer: dict | None, source: str = "widget") -> Display:
    display = Display(touchpoint=touchpoint, customer=_resolve_customer(customer, utcnow()), source=source)
    db.session.add(display)
    db.session.flush()
    return display


def _mark_for_scoring(response: Response) -> None:
    if response.comment:
        response.sentiment_status = "pending"
        response.sentiment_reason = None
        for field in ("compound", "positive", "neutral", "negative", "label"):
            setattr(response, f"sentiment_{field}", None)
        response.scored_at = None
    else:
        response.sentiment_status = "skipped"
        response.sentiment_reason = "no_comment"


def _request_processing(response: Response) -> None:
    """After the commit: open the follow-up the answer calls for, score its comment."""
    from ..tasks.responses import request_processing

    if response.follow_up_pending or response.sentiment_status == "pending":
        request_processing(response.id)


def _resolve_customer(customer: dict | None, seen_at) -> Customer | None:
    if not customer:
        return None
    external_id, email = customer.get("id"), customer.get("email")
    try:
        with db.session.begin_nested():
            return customers.resolve_customer(external_id=external_id, email=email, seen_at=seen_at)
    except IntegrityError:
        # The same new customer arrived twice at once; the other insert won.
        return customers.resolve_customer(external_id=external_id, email=email, seen_at=seen_at)


def _by_idempotency_key(touchpoint: Touchpoint, key: str) -> Response | None:
    return db.session.scalar(
        select(Response).where(Response.touchpoint_id == touchpoint.id, Response.idempotency_key == key)
    )


def _replay(previous: Response, digest: str | None) -> Submission:
    if digest is not None and previous.request_digest is not None and digest != previous.request_digest:
        raise Invalid("idempotency_key", "This Idempotency-Key was already used with a different body. "
                                         "Use a new key for a new answer.")
    return Submission(previous, replayed=True)


def submit_from_link(touchpoint: Touchpoint, token: str, score: int) -> Submission | None:
    """An email one-click: the score is recorded on the click, once per link.

    Clicking the same link again replays; clicking another score in the same
    email corrects the score (people do mis-tap). None when the link is forged,
    expired or made for another touchpoint.
    """
    person = links.read_email_link_token(token, touchpoint)
    if person is None:
        return None
    key = "link:" + hashlib.sha256(token.encode()).hexdigest()[:48]
    previous = _by_idempotency_key(touchpoint, key)
    if previous is not None:
        if previous.score != score and METRICS[previous.metric].in_scale(score):
            previous.score = score
            previous.updated_at = utcnow()
            db.session.flush()
        return Submission(previous, replayed=True)
    return submit_response(touchpoint, score=score, customer={"id": person["external_id"], "email": person["email"]},
                           idempotency_key=key, source="email")
