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
    system's own key, while an email can be shared or mistyped. An email that
    already belongs to another account is not copied onto a new one.
    """
    email = email.strip().lower() if email else None
    if not external_id and not email:
        return None
    seen_at = seen_at or utcnow()
    by_external = _one(Customer.external_id == external_id) if external_id else None
    by_email = _one(Customer.email == email) if email else None

    if by_external is not None:
        customer = by_external
        if email and customer.email is None and by_email is None:
            customer.email = email
    elif by_email is not None and (external_id is None or by_email.external_id is None):
        customer = by_email
        if external_id:
            customer.external_id = external_id
    else:
        customer = Customer(external_id=external_id, email=email if by_email is None else None,
                            first_seen_at=seen_at, last_seen_at=seen_at)
        db.session.add(customer)
        db.session.flush()
        return customer
    customer.first_seen_at = min(customer.first_seen_at, seen_at)  # answers can arrive out of order
    customer.last_seen_at = max(customer.last_seen_at, seen_at)
    return customer


def _one(condition) -> Customer | None:
    return db.session.scalar(select(Customer).where(condition))


def timeline(customer: Customer, *, limit: int = 200) -> list[dict]:
    """Everything the customer told us and what we did about it, newest first,
    with where and how they said it."""
    from ..models import FollowUp

    responses = db.session.scalars(
        select(Response)
        .where(Response.customer_id == customer.id)
        .options(joinedload(Response.touchpoint).joinedload(Touchpoint.journey),
                 joinedload(Response.survey_version))
        .order_by(Response.created_at.desc(), Response.id.desc())
        .limit(limit)
    ).unique().all()
    entries = [
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
    by_response = {response.id: response for response in responses}
    follow_ups = db.session.scalars(
        select(FollowUp).where(FollowUp.response_id.in_(list(by_response))).options(joinedload(FollowUp.owner))
    ).unique().all()
    entries += [
        {
            "type": "follow_up",
            "at": follow_up.updated_at,
            "follow_up_id": follow_up.id,
            "response_id": follow_up.response_id,
            "touchpoint_id": follow_up.touchpoint_id,
            "touchpoint_name": by_response[follow_up.response_id].touchpoint.name,
            "status": follow_up.status,
            "priority": follow_up.priority,
            "owner": follow_up.owner.name or follow_up.owner.email if follow_up.owner else None,
        }
        for follow_up in follow_ups
    ]
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    return entries[:limit]
