"""The SLA watch: follow-ups past their due date are marked, announced once, and escalated.

A follow-up is late when it is overdue (``FollowUp.overdue_at``) and not yet
marked; marking it (``sla_breached_at``) is what makes the announcement happen
once. Reopening clears the mark, so a reopened follow-up can be late again.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..core.database import batch
from ..events.log import recorded_together
from ..extensions import db
from ..models import FollowUp, Team, User
from .activity import announce, log_activity
from .notices import escalate
from .priority import SYSTEM

# Follow-ups marked per transaction: after an outage thousands may be due at once, and one
# transaction for all of them would hold its locks (and its rows' updated_at stamps, which
# sync consumers wait on) for minutes.
SLA_BATCH = 200


def newly_late(now: datetime, limit: int = SLA_BATCH) -> list[FollowUp]:
    """Overdue follow-ups not yet marked, locked (skipping those another worker holds), with all
    that their announcement and escalation read."""
    return db.session.scalars(
        select(FollowUp)
        .where(FollowUp.overdue_at(now), FollowUp.sla_breached_at.is_(None))
        .order_by(FollowUp.id).limit(limit)
        .options(joinedload(FollowUp.team).joinedload(Team.lead), joinedload(FollowUp.owner),
                 joinedload(FollowUp.response), joinedload(FollowUp.touchpoint))
        .with_for_update(skip_locked=True, of=FollowUp)
    ).unique().all()


def mark_late(late: list[FollowUp], now: datetime) -> None:
    """Mark each as breached (logged and announced), and tell each team lead (or the admins) once
    about all of theirs: an outage's thousands of breaches reach a lead as a few lists."""
    admins: dict[int, list[User]] = {}
    escalations: dict[tuple[int, str], list[FollowUp]] = defaultdict(list)
    with batch(), recorded_together():
        for follow_up in late:
            follow_up.sla_breached_at = now
            log_activity(follow_up, "sla_breached", SYSTEM, after={"due_at": follow_up.due_at.isoformat()})
            announce("follow_up.sla_breached", follow_up, breached_at=now.isoformat())
            for person in _escalation_targets(follow_up, admins):
                escalations[(follow_up.organization_id, person.email)].append(follow_up)
        for (organization_id, email), theirs in escalations.items():
            escalate(organization_id, email, theirs)


def _escalation_targets(follow_up: FollowUp, admins: dict[int, list[User]]) -> list[User]:
    """The team's lead, or the organisation's admins when the team has none (read once a batch)."""
    if follow_up.team is not None and follow_up.team.lead is not None and follow_up.team.lead.is_active:
        return [follow_up.team.lead]
    if follow_up.organization_id not in admins:
        admins[follow_up.organization_id] = list(db.session.scalars(select(User).where(
            User.organization_id == follow_up.organization_id, User.role == "admin", User.is_active.is_(True))))
    return admins[follow_up.organization_id]
