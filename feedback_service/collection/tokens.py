"""Signed tokens: the widget's comment token, email one-click links and the hosted form's nonce.

Both are itsdangerous signatures over small payloads, so nothing is stored and
nothing can be forged or moved to another response, touchpoint or customer.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlencode

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from ..journeys.embedding import hosted_url
from ..journeys.surveys import METRICS
from ..models import Touchpoint, utcnow

EDIT_TOKEN_TTL = timedelta(minutes=30)
# The hosted page's comment box is often left open while the customer does something else.
HOSTED_COMMENT_TTL = timedelta(days=1)
EMAIL_LINK_TTL = timedelta(days=30)


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    # A salt per purpose: a token made for one use is refused by every other.
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"feedback-service/{purpose}")


def _edit_signer() -> TimestampSigner:
    # Two ids need no JSON around them: the signed text is "<response id>-<touchpoint id>".
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="feedback-service/edit")


def edit_token(response_id: int, touchpoint_id: int) -> tuple[str, object]:
    """A token that lets the widget add the comment to the response it just created."""
    token = _edit_signer().sign(f"{response_id}-{touchpoint_id}").decode()
    return token, utcnow() + EDIT_TOKEN_TTL


def edit_token_allows(token: str, response_id: int, touchpoint_id: int, max_age: timedelta = EDIT_TOKEN_TTL) -> bool:
    try:
        value = _edit_signer().unsign(token, max_age=int(max_age.total_seconds()))
    except (BadSignature, SignatureExpired):
        return False
    return value == f"{response_id}-{touchpoint_id}".encode()


def email_link_token(touchpoint: Touchpoint, *, customer_id: str | None, customer_email: str | None) -> str:
    return _serializer("email-link").dumps(
        {"t": touchpoint.id, "c": customer_id or None, "e": (customer_email or "").lower() or None}
    )


def read_email_link_token(token: str, touchpoint: Touchpoint, max_age: timedelta = EMAIL_LINK_TTL) -> dict | None:
    """The customer a link was made for, or None if forged, expired or for another touchpoint."""
    try:
        data = _serializer("email-link").loads(token, max_age=int(max_age.total_seconds()))
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or data.get("t") != touchpoint.id:
        return None
    return {"external_id": data.get("c"), "email": data.get("e")}


def email_links(touchpoint: Touchpoint, *, customer_id: str | None, customer_email: str | None) -> dict:
    """One link per score for an email; a click records that score."""
    token = email_link_token(touchpoint, customer_id=customer_id, customer_email=customer_email)
    base = hosted_url(touchpoint)
    metric = METRICS[touchpoint.survey.metric]
    return {
        "token": token,
        "expires_at": utcnow() + EMAIL_LINK_TTL,
        "links": {str(score): f"{base}?{urlencode({'score': score, 't': token})}"
                  for score in range(metric.low, metric.high + 1)},
    }


def form_token() -> str:
    """A signed nonce for the hosted form: its idempotency key, so a double submit stores once."""
    return _serializer("hosted-form").dumps(secrets.token_urlsafe(16))


def read_form_token(token: str) -> str | None:
    try:
        return _serializer("hosted-form").loads(token, max_age=86400)
    except (BadSignature, SignatureExpired):
        return None
