"""Reading responses: filtered lists for people, ``updated_after`` sync for systems."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.lookup import get_or_404
from ..core.pagination import Page, paginate
from ..core.sync_window import settled
from ..extensions import db
from ..models import Response


def list_responses(*, touchpoint_id: int | None = None, customer_id: int | None = None,
                   updated_after: datetime | None = None, limit: int | None = None,
                   cursor: str | None = None) -> Page:
    """Newest first; with ``updated_after``, oldest change first so a sync can resume
    (settled changes only: see ``sync_window``)."""
    query = select(Response)
    if touchpoint_id is not None:
        query = query.where(Response.touchpoint_id == touchpoint_id)
    if customer_id is not None:
        query = query.where(Response.customer_id == customer_id)
    if updated_after is not None:
        query = query.where(Response.updated_at > updated_after, settled(Response.updated_at))
        return paginate(query, [(Response.updated_at, datetime), (Response.id, int)],
                        descending=False, limit=limit, cursor=cursor, ordering="sync")
    # Newest by when the customer answered, not by id: imported and seeded
    # responses arrive out of order. The id breaks ties, so the key is unique.
    return paginate(query, [(Response.created_at, datetime), (Response.id, int)],
                    descending=True, limit=limit, cursor=cursor, ordering="newest")


def get_response(response_id: int) -> Response:
    return get_or_404(Response, response_id, what="response")


RECENT_RESPONSES = 25


def recent_responses(touchpoint_id: int, limit: int = RECENT_RESPONSES) -> list[Response]:
    """A touchpoint's latest answers, newest first, with their customers: what its page shows."""
    return list(db.session.scalars(
        select(Response)
        .where(Response.touchpoint_id == touchpoint_id)
        .options(selectinload(Response.customer))
        .order_by(Response.created_at.desc(), Response.id.desc())
        .limit(limit)
    ))
