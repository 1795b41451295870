"""How well the loop is closed: for the organisation, and per team or per owner.

Backlog, median hours to the first action and to closing, the share closed
within the SLA, and the top root causes. Medians have no portable SQL, so the
rows are read as plain tuples of the seven columns the figures need (no ORM
objects) and summed up here; one read serves the organisation and its groups.
"Closed" is resolved or no action: both end the follow-up, and both count
against its due date.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from statistics import median

from sqlalchemy import select

from ..extensions import db
from ..models import FollowUp, Team, User, utcnow

_COLUMNS = (FollowUp.team_id, FollowUp.owner_id, FollowUp.status, FollowUp.created_at, FollowUp.first_action_at,
            FollowUp.resolved_at, FollowUp.due_at, FollowUp.root_cause, FollowUp.is_open.label("is_open"))


def loop_metrics(*, group_by: str | None = None, since: datetime | None = None) -> dict:
    """The organisation's figures, and with ``group_by`` ("team" or "owner") each group's."""
    rows = _rows(since)
    result: dict = {"overall": summary(rows)}
    if group_by in ("team", "owner"):
        result["groups"] = groups(rows, group_by)
    return result


def loop_dashboard(since: datetime | None = None) -> dict:
    """The console's "closing the loop" panel: the organisation, per team and per owner."""
    rows = _rows(since)
    return {"overall": summary(rows), "teams": groups(rows, "team"), "owners": groups(rows, "owner")}


def _rows(since: datetime | None) -> list:
    # The follow-up's own rules of open and overdue, evaluated by the database for each row.
    query = select(*_COLUMNS, FollowUp.overdue_at(utcnow()).label("overdue"))
    if since is not None:
        query = query.where(FollowUp.created_at >= since)
    return db.session.execute(query).all()


def groups(rows: list, group_by: str) -> list[dict]:
    if group_by == "team":
        names = {id_: name for id_, name in db.session.execute(select(Team.id, Team.name))}
    else:
        names = {id_: name or email for id_, name, email in db.session.execute(select(User.id, User.name, User.email))}
    members: dict = {}
    for row in rows:
        members.setdefault(row.team_id if group_by == "team" else row.owner_id, []).append(row)
    return [{"id": group_id, "name": names.get(group_id, "unassigned" if group_id is None else str(group_id)),
             **summary(group)}
            for group_id, group in sorted(members.items(), key=lambda item: (item[0] is None, item[0] or 0))]


def summary(rows: list) -> dict:
    first_action = [_hours(r.created_at, r.first_action_at) for r in rows if r.first_action_at]
    closed = [r for r in rows if not r.is_open and r.resolved_at]
    causes = Counter(r.root_cause for r in rows if r.status == "resolved" and r.root_cause)
    return {
        "n": len(rows),
        "open": sum(1 for r in rows if r.is_open),
        "overdue": sum(1 for r in rows if r.overdue),
        "median_hours_to_first_action": median(first_action) if first_action else None,
        "median_hours_to_resolution": median([_hours(r.created_at, r.resolved_at) for r in closed]) if closed else None,
        "resolved_within_sla": {
            "n": len(closed),
            "share": round(sum(1 for r in closed if r.resolved_at <= r.due_at) / len(closed), 3) if closed else None,
        },
        "top_root_causes": [{"root_cause": cause, "n": n} for cause, n in causes.most_common(5)],
    }


def _hours(start, end) -> float:
    return round((end - start).total_seconds() / 3600, 2)
