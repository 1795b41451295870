"""What a customer told us and what we did about it: the list of customers and one customer's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..core.lookup import get_or_404
from ..core.pagination import MAX_LIMIT, Page, paginate
from ..extensions import db
from ..models import Customer, FollowUp, Response, Touchpoint


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


# A timeline page holds this many answers (each with its follow-ups) unless the caller asks for
# fewer: the whole history of most customers, on one page, as before timelines were paged.
TIMELINE_PAGE_SIZE = MAX_LIMIT


@dataclass(frozen=True)
class AnswerSpan:
    """How many answers a customer gave, and when the first and the latest came: the whole
    history's figures, which no one page of the timeline can give."""

    count: int
    first_at: datetime | None
    latest_at: datetime | None


def answer_span(customer: Customer) -> AnswerSpan:
    count, first_at, latest_at = db.session.execute(
        select(func.count(Response.id), func.min(Response.created_at), func.max(Response.created_at))
        .where(Response.customer_id == customer.id)
    ).one()
    return AnswerSpan(count, first_at, latest_at)


def timeline(customer: Customer, *, limit: int | None = None, cursor: str | None = None) -> Page:
    """Everything the customer told us and what we did about it, newest first,
    with where and how they said it: one page of it.

    A page is ``limit`` of the customer's answers, newest first by when they
    answered (``created_at``, then id: imports arrive out of order), and the
    follow-ups of those answers, all sorted by ``at``. The cursor keys on the
    answers alone, so a follow-up always comes on the page of the answer it is
    about, whenever it last changed, and a follow-up changing between two pages
    neither moves nor repeats anything. Its cursor pages this list only: one of
    ``/responses`` holds the same kinds of values, so it is told apart by its tag.
    """
    query = (
        select(Response)
        .where(Response.customer_id == customer.id)
        .options(joinedload(Response.touchpoint).joinedload(Touchpoint.journey),
                 joinedload(Response.survey_version))
    )
    page = paginate(query, [(Response.created_at, datetime), (Response.id, int)], descending=True,
                    limit=limit or TIMELINE_PAGE_SIZE, cursor=cursor, ordering="timeline")
    responses = page.items
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
    ).unique().all() if by_response else []
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
    return Page(items=entries, next_cursor=page.next_cursor)
