"""Reading follow-ups: the filtered list, one with its context, and the loop's metrics."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import FollowUp, RootCause, Team, User, utcnow
from ..pagination import Page, paginate
from .follow_ups import CLOSED, WATCHED
from .lookup import get_or_404


def list_follow_ups(*, status: str | None = None, owner_id: int | None = None, team_id: int | None = None,
                    touchpoint_id: int | None = None, overdue: bool | None = None, unassigned: bool | None = None,
                    updated_after: datetime | None = None, limit: int | None = None,
                    cursor: str | None = None) -> Page:
    query = select(FollowUp).options(joinedload(FollowUp.response))
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
        query = query.where(FollowUp.updated_at > updated_after)
        return paginate(query, [(FollowUp.updated_at, datetime), (FollowUp.id, int)], descending=False,
                        limit=limit, cursor=cursor)
    return paginate(query, [(FollowUp.id, int)], descending=True, limit=limit, cursor=cursor)


def get_follow_up(follow_up_id: int) -> FollowUp:
    get_or_404(FollowUp, follow_up_id, what="follow-up")
    return db.session.scalar(
        select(FollowUp).where(FollowUp.id == follow_up_id)
        .options(selectinload(FollowUp.activity), joinedload(FollowUp.response))
        .execution_options(populate_existing=True)
    )


def root_causes() -> list[str]:
    return list(db.session.scalars(select(RootCause.name).order_by(RootCause.name)))


def _hours(start, end) -> float:
    return round((end - start).total_seconds() / 3600, 2)


def _summary(rows: list[FollowUp]) -> dict:
    first_action = [_hours(f.created_at, f.first_action_at) for f in rows if f.first_action_at]
    resolved = [f for f in rows if f.status in CLOSED and f.resolved_at]
    causes = Counter(f.root_cause for f in rows if f.status == "resolved" and f.root_cause)
    return {
        "n": len(rows),
        "open": sum(1 for f in rows if f.status not in CLOSED),
        "overdue": sum(1 for f in rows if f.status in WATCHED and f.due_at < utcnow()),
        "median_hours_to_first_action": median(first_action) if first_action else None,
        "median_hours_to_resolution": median([_hours(f.created_at, f.resolved_at) for f in resolved]) if resolved else None,
        "resolved_within_sla": {
            "n": len(resolved),
            "share": round(sum(1 for f in resolved if f.resolved_at <= f.due_at) / len(resolved), 3) if resolved else None,
        },
        "top_root_causes": [{"root_cause": cause, "n": n} for cause, n in causes.most_common(5)],
    }


def loop_metrics(*, group_by: str | None = None, since: datetime | None = None) -> dict:
    """How well the loop is closed: for the organisation, and per team or per owner."""
    query = select(FollowUp)
    if since is not None:
        query = query.where(FollowUp.created_at >= since)
    rows = list(db.session.scalars(query))
    result: dict = {"overall": _summary(rows)}
    if group_by in ("team", "owner"):
        key = "team_id" if group_by == "team" else "owner_id"
        model = Team if group_by == "team" else User
        names = {obj.id: getattr(obj, "name", "") or getattr(obj, "email", "") for obj in db.session.scalars(select(model))}
        groups: dict = {}
        for follow_up in rows:
            groups.setdefault(getattr(follow_up, key), []).append(follow_up)
        result["groups"] = [
            {"id": group_id, "name": names.get(group_id, "unassigned" if group_id is None else str(group_id)),
             **_summary(members)}
            for group_id, members in sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or 0))
        ]
    return result
