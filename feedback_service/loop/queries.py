"""Reading follow-ups for the API: the filtered list (and its sync), one with its log, the root causes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..core.lookup import get_or_404
from ..core.pagination import Page, paginate
from ..core.sync_window import settled
from ..customers.timeline import timeline
from ..extensions import db
from ..mail.outbox import emails_for_follow_up
from ..models import FollowUp, OutboundEmail, RootCause


def list_follow_ups(*, status: str | None = None, owner_id: int | None = None, team_id: int | None = None,
                    touchpoint_id: int | None = None, overdue: bool | None = None, unassigned: bool | None = None,
                    updated_after: datetime | None = None, limit: int | None = None,
                    cursor: str | None = None) -> Page:
    # Each item carries its log, as the detail does: one more query for the page, not one per item.
    query = select(FollowUp).options(joinedload(FollowUp.response), selectinload(FollowUp.activity))
    if status:
        query = query.where(FollowUp.status == status)
    if owner_id is not None:
        query = query.where(FollowUp.owner_id == owner_id)
    if team_id is not None:
        query = query.where(FollowUp.team_id == team_id)
    if touchpoint_id is not None:
        query = query.where(FollowUp.touchpoint_id == touchpoint_id)
    if unassigned:
        query = query.where(FollowUp.owner_id.is_(None))
    if overdue is not None:
        query = query.where(FollowUp.is_overdue if overdue else ~FollowUp.is_overdue)
    if updated_after is not None:
        # Settled changes only, so a sync that resumes after its cursor misses none (see sync_window).
        query = query.where(FollowUp.updated_at > updated_after, settled(FollowUp.updated_at))
        return paginate(query, [(FollowUp.updated_at, datetime), (FollowUp.id, int)], descending=False,
                        limit=limit, cursor=cursor, ordering="sync")
    return paginate(query, [(FollowUp.id, int)], descending=True, limit=limit, cursor=cursor, ordering="newest")


def get_follow_up(follow_up_id: int) -> FollowUp:
    get_or_404(FollowUp, follow_up_id, what="follow-up")
    return db.session.scalar(
        select(FollowUp).where(FollowUp.id == follow_up_id)
        .options(selectinload(FollowUp.activity), joinedload(FollowUp.response))
        .execution_options(populate_existing=True)
    )


def root_causes() -> list[str]:
    return list(db.session.scalars(select(RootCause.name).order_by(RootCause.name)))


@dataclass
class FollowUpDetail:
    """One follow-up as the API shows it: itself, the emails it caused, and its customer with the
    first page of their timeline, so nobody asks them to repeat their story."""

    follow_up: FollowUp
    emails: list[OutboundEmail]
    customer: dict | None

    def __getattr__(self, name: str):
        return getattr(self.follow_up, name)


def follow_up_detail(follow_up_id: int) -> FollowUpDetail:
    follow_up = get_follow_up(follow_up_id)
    person = follow_up.response.customer
    customer = None
    if person is not None:
        page = timeline(person)
        customer = {"id": person.id, "external_id": person.external_id, "email": person.email,
                    "timeline": page.items, "next_cursor": page.next_cursor}
    return FollowUpDetail(follow_up, emails_for_follow_up(follow_up.id), customer)
