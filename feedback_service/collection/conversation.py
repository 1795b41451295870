"""Around a customer's answer: the survey they are shown, the impression, the comment that follows.

Storing the answer itself is ``intake``'s; this is the rest of the conversation.
"""

from __future__ import annotations

import logging

from sqlalchemy import insert, select
from sqlalchemy.orm import joinedload

from ..core import security
from ..core.errors import Forbidden, Invalid, NotFound
from ..extensions import db
from ..models import Customer, Display, Response, Touchpoint, utcnow
from ..customers import identity as customers
from ..events import log as events
from . import fatigue, tokens as links
from ..loop import priorities as follow_up_priorities, workflow as follow_ups
from ..journeys.surveys import METRICS, ui_texts
from .touchpoint_cards import UNKNOWN_KEY

log = logging.getLogger(__name__)

COMMENT_MAX = 5000


def touchpoint_by_key(publishable_key: str) -> Touchpoint:
    """The live touchpoint behind a ``pk_`` key, across tenants (the key is the credential)."""
    if not security.is_publishable_key(publishable_key):
        raise NotFound(UNKNOWN_KEY)
    touchpoint = db.session.scalar(
        select(Touchpoint).where(Touchpoint.publishable_key == publishable_key).options(joinedload(Touchpoint.survey))
    )
    if touchpoint is None or touchpoint.archived_at is not None:
        raise NotFound(UNKNOWN_KEY)
    return touchpoint


def survey_for(touchpoint: Touchpoint, *, customer: Customer | None, languages: list[str]) -> dict:
    """What a widget or hosted page shows, in the best language it has for this customer."""
    version = touchpoint.survey
    texts, language = localised_texts(version, languages)
    # The widget's own words come with the wording: from the translation shown, or the survey itself.
    given = (version.ui_texts if language == version.language
             else (version.translations.get(language) or {}).get("texts"))
    metric = METRICS[version.metric]
    return {
        "touchpoint": {"name": touchpoint.name},
        "survey": {
            "version": version.version,
            "metric": version.metric,
            "scale": metric.scale(),
            **texts,
            "language": language,
            "texts": ui_texts(language, given),
        },
        "trigger": touchpoint.trigger,
        # Anonymous visitors are throttled by the widget itself, for this many days.
        "fatigue_days": touchpoint.fatigue_days,
        "suppressed": fatigue.is_suppressed(touchpoint, customer),
    }


def localised_texts(version, languages: list[str]) -> tuple[dict, str]:
    """The survey's wording in the first wanted language it has a translation for, and that language."""
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
            # The translation's widget words ("texts") are ui_texts' business, not wording.
            texts.update({k: v for k, v in version.translations[match].items() if k in texts and v is not None})
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


def follow_up_prompt(survey, metric: str, score: int, languages: list[str] = ()) -> str:
    """The question after the score: the low-score prompt for a low score, when there is one.

    ``survey`` is the survey version answered, or a touchpoint card (which has its texts).
    """
    texts, _ = localised_texts(survey, list(languages))
    if METRICS[metric].is_low(score) and texts["low_score_prompt"]:
        return texts["low_score_prompt"]
    return texts["comment_prompt"]


def response_for_edit(touchpoint, response_id: int, token: str, max_age=links.EDIT_TOKEN_TTL) -> Response:
    """The response an edit token was issued for; 403 for a wrong or expired token."""
    if not links.edit_token_allows(token, response_id, touchpoint.id, max_age):
        raise Forbidden("This edit token is not valid for this response (or it has expired).")
    response = db.session.get(Response, response_id)
    if response is None or response.touchpoint_id != touchpoint.id:
        raise NotFound(f"No response with id {response_id} at this touchpoint.")
    return response


def add_comment(touchpoint, response_id: int, token: str, comment: str | None,
                max_age=links.EDIT_TOKEN_TTL) -> Response:
    """The widget's second step: the comment joins the response its score created."""
    response = response_for_edit(touchpoint, response_id, token, max_age)
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
    if response.comment is None:
        # No text left to score: the follow-up's priority goes back to what the score alone says.
        follow_up_priorities.refresh_priorities([response.id])
    events.record("response.updated", events.response_payload(response), organization_id=response.organization_id)
    _request_processing(response)
    return response


def record_display(touchpoint, *, customer: dict | None, source: str = "widget") -> int:
    """Count that the survey was shown (``touchpoint`` is a row or a card); returns the display's id."""
    now = utcnow()
    person = customers.resolve_customer_ref(
        touchpoint.organization_id, external_id=(customer or {}).get("id"), email=(customer or {}).get("email"),
        seen_at=now) if customer else None
    table = Display.__table__
    return db.session.connection().execute(insert(table).values(
        organization_id=touchpoint.organization_id, touchpoint_id=touchpoint.id,
        customer_id=person.id if person else None, source=source, created_at=now).returning(table.c.id)).scalar_one()


def _mark_for_scoring(response: Response) -> None:
    """A new comment waits for its score; a removed one leaves no score of the old text behind."""
    if response.comment:
        response.sentiment_status = "pending"
        response.sentiment_reason = None
    else:
        response.sentiment_status = "skipped"
        response.sentiment_reason = "no_comment"
    for field in ("compound", "positive", "neutral", "negative", "label"):
        setattr(response, f"sentiment_{field}", None)
    response.scored_at = None


def _request_processing(response: Response) -> None:
    """After the commit: open the follow-up the answer calls for, score its comment."""
    from .after_answer import request_processing

    if response.follow_up_pending or response.sentiment_status == "pending":
        request_processing(response.id)
