"""Audit links: a signed, expiring link an outside shopper walks one audit with, no account needed.

The token is an itsdangerous signature (salt per purpose, as ``collection.tokens``) over the
audit's id, its organisation and the moment it expires: nothing is stored, and it cannot be
forged, stretched or moved to another audit. It reaches only its own audit; once that audit is
submitted the link still opens (to say so) but changes nothing (``walks`` refuses with 409).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from ..core.errors import Conflict, Invalid
from ..core.lookup import resolve_reference
from ..core.urls import public_url
from ..models import Audit, utcnow

LINK_MAX_DAYS = 90
# The walk page's forms are often left open while the shopper is on hold.
FORM_TOKEN_TTL = timedelta(days=1)


def _link_serializer() -> URLSafeSerializer:
    # Expiry is the link's own (``x``), chosen by the admin, so the serializer needs no clock.
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="feedback-service/audit-link")


def _form_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="feedback-service/audit-walk-form")


def create_link(audit_id: int, expires_at: datetime) -> dict:
    """``{audit_id, url, expires_at}`` for an audit under way; the expiry from now to 90 days on."""
    audit = resolve_reference(Audit, audit_id, "audit_id")
    if audit.is_submitted:
        raise Conflict(f"Audit {audit.id} was submitted; a link could no longer change it.")
    now = utcnow()
    if expires_at <= now:
        raise Invalid("expires_at", "Choose a moment in the future.")
    if expires_at > now + timedelta(days=LINK_MAX_DAYS):
        raise Invalid("expires_at", f"At most {LINK_MAX_DAYS} days from now.")
    expires_at = expires_at.astimezone(UTC).replace(microsecond=0)
    token = _link_serializer().dumps({"a": audit.id, "o": audit.organization_id, "x": int(expires_at.timestamp())})
    return {"audit_id": audit.id, "url": public_url(f"/a/{token}"), "expires_at": expires_at, "token": token}


@dataclass(frozen=True)
class LinkTarget:
    organization_id: int
    audit_id: int
    expires_at: datetime


class LinkRefused(Exception):
    """Forged, altered or expired (``expired`` says which)."""

    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def read_link(token: str, *, now: datetime | None = None) -> LinkTarget:
    """The audit a link reaches, or ``LinkRefused``."""
    try:
        data = _link_serializer().loads(token)
    except BadSignature:
        raise LinkRefused(expired=False) from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in ("a", "o", "x")):
        raise LinkRefused(expired=False)
    expires_at = datetime.fromtimestamp(data["x"], UTC)
    if (now or utcnow()) >= expires_at:
        raise LinkRefused(expired=True)
    return LinkTarget(organization_id=data["o"], audit_id=data["a"], expires_at=expires_at)


def form_token(audit_id: int) -> str:
    """The walk page's CSRF token: signed, bound to the audit, good for a day."""
    return _form_serializer().dumps({"a": audit_id, "n": secrets.token_urlsafe(8)})


def form_token_ok(token: str, audit_id: int) -> bool:
    try:
        data = _form_serializer().loads(token, max_age=int(FORM_TOKEN_TTL.total_seconds()))
    except BadSignature:
        return False
    return isinstance(data, dict) and data.get("a") == audit_id
