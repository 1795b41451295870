"""One customer across every touchpoint and channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Customer, Response, Touchpoint, utcnow
from ..pagination import Page, paginate
from .lookup import get_or_404


def list_customers(*, external_id: str | None = None, email: str | None = None,
                   limit: int | None = None, cursor: str | None = None) -> Page:
    query = select(Customer)
    if external_id is not None:
        query = query.where(Customer.external_id == external_id)
    if email is not None:
        query = query.where(Customer.email == email.strip().lower())
    return paginate(query, [(Customer.id, int)], descending=True, limit=limit, cursor=cursor)


def get_customer(customer_id: int) -> Customer:
    return get_or_404(Customer, customer_id, what="customer")


def resolve_customer(*, external_id: str | None, email: str | None, seen_at: datetime | None = None) -> Customer | None:
    """The organisation's customer with this external id or email, created on first sight.

    The external id wins when both match different people: it is the host
    system's own key, while an email can be shared or mistyped.
    """
    email = email.strip().lower() if email else None
    if not external_id and not email:
        return None
    seen_at = seen_at or utcnow()
    customer = None
    if external_id:
        customer = db.session.scalar(select(Customer).where(Customer.external_id == external_id))
    if customer is None and email:
        customer = db.session.scalar(select(Customer).where(Customer.email == email))
        if customer is not None and customer.external_id and external_id and customer.external_id != external_id:
            customer = None  # that email belongs to someone else's account
    if customer is None:
        customer = Customer(external_id=external_id or None,
                            email=email if email and not _email_taken(email) else None,
                            first_seen_at=seen_at, last_seen_at=seen_at)
        db.session.add(customer)
        db.session.flush()
        return customer
    if external_id and customer.external_id is None:
        customer.external_id = external_id
    if email and customer.email is None and not _email_taken(email):
        customer.email = email
    customer.last_seen_at = max(customer.last_seen_at, seen_at)
    return customer


def _email_taken(email: str) -> bool:
    return db.session.scalar(select(Customer.id).where(Customer.email == email)) is not None


def timeline(customer: Customer, *, limit: int = 200) -> list[dict]:
    """Everything the customer told us, newest first, with where and how they said it."""
    responses = db.session.scalars(
        select(Response)
        .where(Response.customer_id == customer.id)
        .options(joinedload(Response.touchpoint).joinedload(Touchpoint.journey),
                 joinedload(Response.survey_version))
        .order_by(Response.created_at.desc(), Response.id.desc())
        .limit(limit)
    ).unique()
    return [
        {
            "type": "response",
            "at": response.created_at,
            "response_id": response.id,
            "touchpoint_id": response.touchpoint_id,
            "touchpoint_name": response.touchpoint.name,
            "journey_id": response.touchpoint.journey_id,
            "journey_name": response.touchpoint.journey.name,
            "channel": response.touchpoint.channel,
            "source": response.source,
            "metric": response.metric,
            "question": response.survey_version.question,
            "score": response.score,
            "comment": response.comment,
            "sentiment_label": response.sentiment_label,
        }
        for response in responses
    ]
