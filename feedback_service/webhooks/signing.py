"""Webhook messages as Standard Webhooks defines them: the body and its signed headers.

Signing goes through the ``standardwebhooks`` library, the one our consumers
verify with, rather than our own HMAC code.
"""

from __future__ import annotations

import base64
import json
import secrets as random
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24


def new_secret() -> str:
    """``whsec_`` and the base64 of 24 random bytes, as Svix and the spec's libraries expect."""
    return SECRET_PREFIX + base64.b64encode(random.token_bytes(SECRET_BYTES)).decode()


def webhook_id(event_id: int) -> str:
    """The message id: the event's, so every retry (and every endpoint) carries the same one."""
    return f"evt_{event_id}"


def body(event_type: str, occurred_at: datetime, data: dict) -> bytes:
    return json.dumps({"type": event_type, "timestamp": occurred_at.isoformat(), "data": data},
                      separators=(",", ":"), ensure_ascii=False).encode()


def signing_secrets(endpoint, now: datetime) -> list[str]:
    """The endpoint's secret, and its previous one while that still signs (after a rotation)."""
    secrets = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        secrets.append(endpoint.previous_secret)
    return secrets


def headers(message_id: str, payload: bytes, signing_secrets: list[str], now: datetime) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` and one ``v1,`` signature per secret, space-separated."""
    text = payload.decode()
    signatures = [Webhook(secret).sign(message_id, now, text) for secret in signing_secrets]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
