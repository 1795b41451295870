"""How urgent a follow-up is, when it is due, and moving both once a comment is scored.

From the score and, once scored, the comment's sentiment: a furious detractor
is urgent, an unhappy customer high, a delighted one low. Due dates
come from the organisation's SLA hours per priority.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, update

from ..config import DEFAULT_SLA_HOURS
from ..core.database import in_ids
from ..extensions import db
from ..journeys.surveys import METRICS
from ..models import CLOSED_STATUSES, FollowUp, FollowUpActivity, Organization, Response, utcnow

FURIOUS = -0.5
# The actor of every change the service makes by itself.
SYSTEM = "system"


def priority_for(response: Response) -> str:
    return priority_of(response.metric, response.score, response.sentiment_status, response.sentiment_compound)


def priority_of(metric_name: str, score: int, sentiment_status: str, sentiment_compound: float | None) -> str:
    """The rule itself, from the four columns it reads (so a batch needs no ORM objects)."""
    metric = METRICS[metric_name]
    low = metric.is_low(score)
    compound = sentiment_compound if sentiment_status == "scored" else None
    if low and compound is not None and compound <= FURIOUS:
        return "urgent"
    if low or (compound is not None and compound <= FURIOUS):
        return "high"
    if metric.is_delighted(score) and (compound is None or compound >= 0.05):
        return "low"
    return "normal"


def sla_hours(organization: Organization, priority: str) -> int:
    return int({**DEFAULT_SLA_HOURS, **(organization.sla_hours or {})}[priority])


def due_at(organization: Organization, priority: str, since: datetime) -> datetime:
    return since + timedelta(hours=sla_hours(organization, priority))


_follow_up = FollowUp.__table__
_response = Response.__table__
_set_priority = (
    update(_follow_up)
    .where(_follow_up.c.id == bindparam("follow_up_id"))
    .values(priority=bindparam("priority"), due_at=bindparam("due_at"), updated_at=bindparam("now"),
            version=_follow_up.c.version + 1)
)


def refresh_priorities(response_ids: list[int]) -> None:
    """Give these responses' open follow-ups the priority their sentiment now calls for.

    A scoring batch is a thousand comments, nearly each with an open follow-up, so
    the rule reads plain rows, and only the follow-ups whose priority changes are
    locked and written, in bulk. Each change is what a staff move would log: the
    new priority and due date, the version bumped (so an edit begun before it gets
    its 409), and a ``priority_changed`` entry with before and after.
    """
    if not response_ids:
        return
    rows = db.session.execute(
        select(_follow_up.c.id, _follow_up.c.priority, _response.c.metric, _response.c.score,
               _response.c.sentiment_status, _response.c.sentiment_compound)
        .join(_response, _response.c.id == _follow_up.c.response_id)
        .where(in_ids(_follow_up.c.response_id, response_ids), FollowUp.is_open)
    ).all()
    levels = {row.id: level for row in rows
              if (level := priority_of(row.metric, row.score, row.sentiment_status,
                                       row.sentiment_compound)) != row.priority}
    if not levels:
        return
    # Locked and read again, in id order: a staff change committed since the read
    # above is seen (a follow-up closed meanwhile keeps its priority), and one
    # begun after waits for this commit.
    changing = db.session.execute(
        select(FollowUp.id, FollowUp.organization_id, FollowUp.status, FollowUp.priority, FollowUp.due_at,
               FollowUp.created_at)
        .where(in_ids(FollowUp.id, list(levels))).order_by(FollowUp.id).with_for_update()
    ).all()
    organizations = {org.id: org for org in db.session.scalars(
        select(Organization).where(Organization.id.in_({row.organization_id for row in changing})))}
    now = utcnow()
    changes = [(row, levels[row.id], due_at(organizations[row.organization_id], levels[row.id], row.created_at))
               for row in changing if row.status not in CLOSED_STATUSES and row.priority != levels[row.id]]
    if not changes:
        return
    db.session.execute(_set_priority, [{"follow_up_id": row.id, "priority": level, "due_at": due, "now": now}
                                       for row, level, due in changes])
    db.session.execute(insert(FollowUpActivity.__table__), [
        {"follow_up_id": row.id, "organization_id": row.organization_id, "kind": "priority_changed",
         "actor": SYSTEM, "before": {"priority": row.priority, "due_at": row.due_at.isoformat()},
         "after": {"priority": level, "due_at": due.isoformat()}, "created_at": now}
        for row, level, due in changes])
