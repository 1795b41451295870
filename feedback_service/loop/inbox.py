"""The staff console's views of follow-ups: the inbox, its counts and filters, one follow-up's page.

Read-only; the console renders what these return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload

from ..core.errors import Invalid
from ..core.lookup import is_possible_id
from ..core.pagination import NumberedPage, numbered
from ..extensions import db
from ..mail.outbox import emails_for_follow_up
from ..models import (
    PRIORITIES,
    STATUSES,
    FollowUp,
    FollowUpActivity,
    OutboundEmail,
    Response,
    Team,
    Touchpoint,
    User,
    utcnow,
)
from .queries import get_follow_up, root_causes
from .workflow import MOVES

PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
INBOX_PAGE_SIZE = 25


def _status_condition(status: str | None):
    """``None``/``all``: any; ``open``: not resolved or no action; ``closed``; or one status."""
    if status in (None, "", "all"):
        return None
    if status == "open":
        return FollowUp.is_open
    if status == "closed":
        return ~FollowUp.is_open
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
        conditions.append(FollowUp.overdue_at(now) if overdue else ~FollowUp.overdue_at(now))
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
    return numbered(query, count, page, per_page)


def inbox_counts(user_id: int | None = None, now: datetime | None = None) -> dict:
    """How many follow-ups are open, overdue, unassigned (and open), and open for ``user_id``."""
    now = now or utcnow()
    is_open, late = FollowUp.is_open, FollowUp.overdue_at(now)

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
    root_causes: list[str]
    team_staff: list[User] = field(default_factory=list)
    other_staff: list[User] = field(default_factory=list)

    @property
    def customer(self):
        return self.follow_up.response.customer


def follow_up_view(follow_up_id: int, now: datetime | None = None) -> FollowUpView:
    """One follow-up with its response, log, emails, and who may own it."""
    follow_up = get_follow_up(follow_up_id)
    activity = list(follow_up.activity)
    owner_ids = [side["owner_id"] for entry in activity for side in (entry.before, entry.after)
                 if isinstance(side, dict) and isinstance(side.get("owner_id"), int)]
    team_staff, other_staff = assignable_staff(follow_up.team_id or follow_up.touchpoint.team_id)
    return FollowUpView(
        follow_up=follow_up,
        overdue=follow_up.overdue_at(now or utcnow()),
        allowed_moves=MOVES[follow_up.status],
        activity=activity,
        actors=actor_names(a.actor for a in activity),
        people=staff_names(owner_ids),
        emails=emails_for_follow_up(follow_up.id),
        root_causes=root_causes(),
        team_staff=team_staff,
        other_staff=other_staff,
    )
