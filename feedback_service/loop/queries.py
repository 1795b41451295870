"""Reading follow-ups: the filtered list, one with its context, and the console's views of them.

The loop's figures are ``loop_metrics``'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from math import ceil

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload

from ..core.errors import Invalid
from ..extensions import db
from ..models import (
    PRIORITIES,
    STATUSES,
    FollowUp,
    FollowUpActivity,
    OutboundEmail,
    Response,
    RootCause,
    Team,
    Touchpoint,
    User,
    utcnow,
)
from ..core.pagination import Page, paginate
from .workflow import CLOSED, MOVES, WATCHED
from ..core.lookup import get_or_404, is_possible_id
from ..core.sync_window import settled


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
        late = FollowUp.status.in_(WATCHED) & (FollowUp.due_at < utcnow())
        query = query.where(late if overdue else ~late)
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


# ---- The staff console's views --------------------------------------------------
# Read-only helpers for the console's inbox, follow-up page, outbox and metrics.

PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
INBOX_PAGE_SIZE = 25
OUTBOX_PAGE_SIZE = 50
EMAIL_STATUSES = ("outbox", "queued", "failed", "sent")


@dataclass
class NumberedPage:
    """One page of a list shown with page numbers: its rows, and where it sits in the whole."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_number(self) -> int:
        """The 1-based position of the page's first row in the whole list (0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_number(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)


def _numbered(query, count_query, page: int, per_page: int) -> NumberedPage:
    total = db.session.scalar(count_query) or 0
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return NumberedPage(items=items, total=total, page=page, per_page=per_page)


def is_overdue(follow_up: FollowUp, now: datetime | None = None) -> bool:
    """Past its due date and still waiting for someone (answered or closed ones are not late)."""
    return follow_up.status in WATCHED and follow_up.due_at < (now or utcnow())


def _status_condition(status: str | None):
    """``None``/``all``: any; ``open``: not resolved or no action; ``closed``; or one status."""
    if status in (None, "", "all"):
        return None
    if status == "open":
        return FollowUp.status.not_in(CLOSED)
    if status == "closed":
        return FollowUp.status.in_(CLOSED)
    if status not in STATUSES:
        raise Invalid("status", f"Unknown status {status!r}; use open, closed, all or one of {', '.join(STATUSES)}.")
    return FollowUp.status == status


def _inbox_conditions(*, status, priority, team_id, owner_id, unassigned, touchpoint_id, overdue, now) -> list:
    conditions = []
    status_condition = _status_condition(status)
    if status_condition is not None:
        conditions.append(status_condition)
    if priority:
        if priority not in PRIORITIES:
            raise Invalid("priority", f"Unknown priority {priority!r}; use one of {', '.join(PRIORITIES)}.")
        conditions.append(FollowUp.priority == priority)
    if team_id is not None:
        conditions.append(FollowUp.team_id == team_id)
    if owner_id is not None:
        conditions.append(FollowUp.owner_id == owner_id)
    if unassigned:
        conditions.append(FollowUp.owner_id.is_(None))
    if touchpoint_id is not None:
        conditions.append(FollowUp.touchpoint_id == touchpoint_id)
    if overdue is not None:
        late = FollowUp.status.in_(WATCHED) & (FollowUp.due_at < now)
        conditions.append(late if overdue else ~late)
    return conditions


def inbox(*, status: str | None = "open", priority: str | None = None, team_id: int | None = None,
          owner_id: int | None = None, unassigned: bool = False, touchpoint_id: int | None = None,
          overdue: bool | None = None, page: int = 1, per_page: int = INBOX_PAGE_SIZE,
          now: datetime | None = None) -> NumberedPage:
    """The staff inbox: the most urgent first (urgent, high, normal, low), newest first within
    a priority. ``status`` is one status, ``open`` (the default: not resolved or no action),
    ``closed`` or ``all``; the other filters combine. A page past the end shows the last one."""
    now = now or utcnow()
    conditions = _inbox_conditions(status=status, priority=priority, team_id=team_id, owner_id=owner_id,
                                   unassigned=unassigned, touchpoint_id=touchpoint_id, overdue=overdue, now=now)
    rank = case(PRIORITY_RANK, value=FollowUp.priority, else_=len(PRIORITY_RANK))
    query = (
        select(FollowUp).where(*conditions)
        .options(joinedload(FollowUp.response).joinedload(Response.customer),
                 joinedload(FollowUp.touchpoint), joinedload(FollowUp.owner), joinedload(FollowUp.team))
        .order_by(rank, FollowUp.created_at.desc(), FollowUp.id.desc())
    )
    count = select(func.count(FollowUp.id)).where(*conditions)
    return _numbered(query, count, page, per_page)


def inbox_counts(user_id: int | None = None, now: datetime | None = None) -> dict:
    """How many follow-ups are open, overdue, unassigned (and open), and open for ``user_id``."""
    now = now or utcnow()
    is_open = FollowUp.status.not_in(CLOSED)
    late = FollowUp.status.in_(WATCHED) & (FollowUp.due_at < now)

    def count(*conditions) -> int:
        return db.session.scalar(select(func.count(FollowUp.id)).where(*conditions)) or 0

    return {
        "open": count(is_open),
        "overdue": count(late),
        "unassigned": count(is_open, FollowUp.owner_id.is_(None)),
        "mine": count(is_open, FollowUp.owner_id == user_id) if user_id is not None else 0,
    }


def inbox_filter_options() -> dict:
    """What the inbox can be filtered by: teams, the staff who can own follow-ups, touchpoints."""
    touchpoints = db.session.scalars(
        select(Touchpoint).options(joinedload(Touchpoint.journey))
        .order_by(Touchpoint.journey_id, Touchpoint.archived_at.is_not(None), Touchpoint.position, Touchpoint.id)
    ).unique().all()
    return {
        "teams": list(db.session.scalars(select(Team).order_by(Team.name))),
        "owners": list(db.session.scalars(
            select(User).where(User.role != "viewer").order_by(User.is_active.desc(), User.name, User.email))),
        "touchpoints": list(touchpoints),
    }


def assignable_staff(team_id: int | None) -> tuple[list[User], list[User]]:
    """Who can own a follow-up (active, not viewers): the team's members first, then everyone else."""
    people = list(db.session.scalars(
        select(User).options(selectinload(User.teams))
        .where(User.is_active.is_(True), User.role != "viewer").order_by(User.name, User.email)
    ))
    in_team = [person for person in people if team_id is not None and any(t.id == team_id for t in person.teams)]
    return in_team, [person for person in people if person not in in_team]


def emails_for_follow_up(follow_up_id: int) -> list[OutboundEmail]:
    """Every email this follow-up caused (assignment notices, replies, escalations), newest first."""
    return list(db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.follow_up_id == follow_up_id)
        .order_by(OutboundEmail.created_at.desc(), OutboundEmail.id.desc())
    ))


def outbox(*, status: str | None = None, page: int = 1, per_page: int = OUTBOX_PAGE_SIZE) -> NumberedPage:
    """The organisation's email, newest first; ``status`` one of outbox, queued, failed, sent."""
    conditions = []
    if status:
        if status not in EMAIL_STATUSES:
            raise Invalid("status", f"Unknown email status {status!r}; use one of {', '.join(EMAIL_STATUSES)}.")
        conditions.append(OutboundEmail.status == status)
    query = (select(OutboundEmail).where(*conditions)
             .order_by(OutboundEmail.created_at.desc(), OutboundEmail.id.desc()))
    return _numbered(query, select(func.count(OutboundEmail.id)).where(*conditions), page, per_page)


def outbox_counts() -> dict[str, int]:
    """How many emails there are in each status (every status present, zero or not)."""
    rows = db.session.execute(select(OutboundEmail.status, func.count(OutboundEmail.id)).group_by(OutboundEmail.status))
    counts = dict.fromkeys(EMAIL_STATUSES, 0)
    counts.update({status: n for status, n in rows})
    return counts


SYSTEM_ACTOR_NAME = "System"
API_KEY_ACTOR_NAME = "API key"


def actor_names(labels) -> dict[str, str]:
    """How activity actors read to people: ``user:N`` as the staff member's name,
    ``api_key:N`` as "API key", ``system`` as "System"."""
    labels = set(labels)
    user_ids = [int(label.partition(":")[2]) for label in labels
                if label.startswith("user:") and label.partition(":")[2].isdigit()]
    names = staff_names(user_ids)
    result = {}
    for label in labels:
        kind, _, number = label.partition(":")
        if kind == "user" and number.isdigit():
            result[label] = names.get(int(number), "A former member of staff")
        elif kind == "api_key":
            result[label] = API_KEY_ACTOR_NAME
        elif label == "system":
            result[label] = SYSTEM_ACTOR_NAME
        else:
            result[label] = label
    return result


def staff_names(user_ids) -> dict[int, str]:
    ids = [i for i in set(user_ids) if isinstance(i, int) and is_possible_id(i)]
    if not ids:
        return {}
    return {user.id: user.name or user.email for user in db.session.scalars(select(User).where(User.id.in_(ids)))}


@dataclass
class FollowUpView:
    """Everything the console's follow-up page shows, read in one place."""

    follow_up: FollowUp
    overdue: bool
    allowed_moves: tuple[str, ...]
    activity: list[FollowUpActivity]
    actors: dict[str, str]          # activity actor label -> name
    people: dict[int, str]          # user id (owners in the log) -> name
    emails: list[OutboundEmail]
    timeline: list[dict]            # the customer's first page, across touchpoints; empty when anonymous
    timeline_next_cursor: str | None  # where the customer page goes on, when there is more
    root_causes: list[str]
    team_staff: list[User] = field(default_factory=list)
    other_staff: list[User] = field(default_factory=list)

    @property
    def customer(self):
        return self.follow_up.response.customer


def follow_up_view(follow_up_id: int, now: datetime | None = None) -> FollowUpView:
    """One follow-up with its response, log, emails, the first page of the customer's timeline and who
    may own it."""
    from ..customers import identity as customers

    follow_up = get_follow_up(follow_up_id)
    activity = list(follow_up.activity)
    owner_ids = [side["owner_id"] for entry in activity for side in (entry.before, entry.after)
                 if isinstance(side, dict) and isinstance(side.get("owner_id"), int)]
    customer = follow_up.response.customer
    timeline = customers.timeline(customer) if customer is not None else None
    team_staff, other_staff = assignable_staff(follow_up.team_id or follow_up.touchpoint.team_id)
    return FollowUpView(
        follow_up=follow_up,
        overdue=is_overdue(follow_up, now),
        allowed_moves=MOVES[follow_up.status],
        activity=activity,
        actors=actor_names(a.actor for a in activity),
        people=staff_names(owner_ids),
        emails=emails_for_follow_up(follow_up.id),
        timeline=timeline.items if timeline is not None else [],
        timeline_next_cursor=timeline.next_cursor if timeline is not None else None,
        root_causes=root_causes(),
        team_staff=team_staff,
        other_staff=other_staff,
    )
