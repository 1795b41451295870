"""Webhook endpoints and their delivery log: what an organisation's admins manage.

An endpoint's secret is shown once, when it is made or rotated. After a
rotation the old secret keeps signing (beside the new one) for a day, so a
consumer can roll its verification over without losing a message.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.errors import Conflict, Invalid
from ..core.lookup import get_or_404, resolve_references
from ..core.pagination import Page, paginate
from ..extensions import db
from ..models import Touchpoint, WebhookDelivery, WebhookEndpoint, utcnow
from . import signing, ssrf
from .fanout import request_sending

log = logging.getLogger(__name__)

PREVIOUS_SECRET_GRACE = timedelta(hours=24)
MAX_URL_LENGTH = 2000  # the column's


def check_url(url: str) -> str:
    """The URL as stored and sent (``ssrf.normalise``), if webhooks may go there; 422 naming
    ``url`` otherwise."""
    try:
        url = ssrf.normalise(url)
        ssrf.resolve(url, allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE_URLS"])
    except ssrf.UnsafeURL as refusal:
        raise Invalid("url", str(refusal)) from None
    if len(url) > MAX_URL_LENGTH:
        raise Invalid("url", f"Longer than {MAX_URL_LENGTH} characters once percent-encoded.")
    return url


def _touchpoint_filter(touchpoint_ids: list[int] | None) -> list[int] | None:
    if not touchpoint_ids:
        return None  # every touchpoint
    return [t.id for t in resolve_references(Touchpoint, touchpoint_ids, "touchpoint_ids")]


def create_endpoint(*, url: str, events: list[str], touchpoint_ids: list[int] | None = None,
                    enabled: bool = True) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (which is not shown again)."""
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(url=check_url(url), events=list(dict.fromkeys(events)),
                               touchpoint_ids=_touchpoint_filter(touchpoint_ids), enabled=enabled, secret=secret,
                               disabled_at=None if enabled else utcnow(),
                               disabled_reason=None if enabled else "manual")
    db.session.add(endpoint)
    db.session.flush()
    log.info("webhook endpoint %s created for %s", endpoint.id, endpoint.url)
    return endpoint, secret


def get_endpoint(endpoint_id: int) -> WebhookEndpoint:
    return get_or_404(WebhookEndpoint, endpoint_id, what="webhook endpoint")


def list_endpoints(*, limit: int | None = None, cursor: str | None = None) -> Page:
    return paginate(select(WebhookEndpoint), [(WebhookEndpoint.id, int)], descending=False, limit=limit,
                    cursor=cursor)


def update_endpoint(endpoint_id: int, **changes) -> WebhookEndpoint:
    endpoint = get_endpoint(endpoint_id)
    if "url" in changes:
        endpoint.url = check_url(changes["url"])
    if "events" in changes:
        endpoint.events = list(dict.fromkeys(changes["events"]))
    if "touchpoint_ids" in changes:
        endpoint.touchpoint_ids = _touchpoint_filter(changes["touchpoint_ids"])
    if "enabled" in changes and changes["enabled"] != endpoint.enabled:
        endpoint.enabled = changes["enabled"]
        # Enabled again: a fresh start; disabled by hand: say so.
        endpoint.failing_since = None
        endpoint.disabled_at = None if endpoint.enabled else utcnow()
        endpoint.disabled_reason = None if endpoint.enabled else "manual"
    db.session.flush()
    return endpoint


def delete_endpoint(endpoint_id: int) -> None:
    """The endpoint goes, and its delivery log with it."""
    endpoint = get_endpoint(endpoint_id)
    db.session.delete(endpoint)
    db.session.flush()


def rotate_secret(endpoint_id: int) -> tuple[WebhookEndpoint, str]:
    """A new secret; the current one keeps signing for 24 hours beside it."""
    endpoint = get_endpoint(endpoint_id)
    now = utcnow()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + PREVIOUS_SECRET_GRACE
    endpoint.secret = signing.new_secret()
    db.session.flush()
    return endpoint, endpoint.secret


def list_deliveries(endpoint_id: int, *, status: str | None = None, limit: int | None = None,
                    cursor: str | None = None) -> Page:
    """The endpoint's delivery log, newest first, each with its attempts."""
    get_endpoint(endpoint_id)
    query = (select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
             .options(selectinload(WebhookDelivery.log), selectinload(WebhookDelivery.event)))
    if status:
        query = query.where(WebhookDelivery.status == status)
    return paginate(query, [(WebhookDelivery.id, int)], descending=True, limit=limit, cursor=cursor)


def get_delivery(delivery_id: int) -> WebhookDelivery:
    return get_or_404(WebhookDelivery, delivery_id, what="webhook delivery")


def redeliver(delivery_id: int) -> WebhookDelivery:
    """Send a delivery again now, whatever became of it; one attempt unless it was still retrying."""
    get_delivery(delivery_id)  # 404 for no such delivery (or another organisation's)
    delivery = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                                 .with_for_update().execution_options(populate_existing=True))
    _require_enabled(delivery.endpoint)
    if delivery.status != "pending":
        delivery.max_attempts = delivery.attempts + 1
    delivery.status = "pending"
    delivery.next_attempt_at = utcnow()
    db.session.flush()
    request_sending([delivery.id])
    return delivery


def redeliver_failed(endpoint_id: int, since: datetime) -> int:
    """Send again every failed delivery of the endpoint created since ``since``; returns how many."""
    _require_enabled(get_endpoint(endpoint_id))
    failed = db.session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "failed",
               WebhookDelivery.created_at >= since)
        .order_by(WebhookDelivery.id).with_for_update()).all()
    now = utcnow()
    for delivery in failed:
        delivery.status, delivery.next_attempt_at = "pending", now
        delivery.max_attempts = delivery.attempts + 1
    db.session.flush()
    if failed:
        request_sending([d.id for d in failed])
    return len(failed)


def _require_enabled(endpoint: WebhookEndpoint) -> None:
    if not endpoint.enabled:
        raise Conflict(f"Webhook endpoint {endpoint.id} is disabled; enable it first "
                       "(PATCH it with enabled: true), then redeliver.")
