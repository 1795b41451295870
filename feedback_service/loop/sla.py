"""The SLA watch: follow-ups past their due date are marked, announced once, and escalated."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..core.database import commit
from ..extensions import db
from ..models import FollowUp, FollowUpActivity, Team, User, utcnow
from ..events import log as events
from ..mail import outbox as mail
from ..webhooks import fanout as webhook_fanout
from .workflow import SYSTEM, WATCHED, console_link, payload
from ..collection.tokens import console_url

log = logging.getLogger(__name__)


# Follow-ups marked per transaction: after an outage thousands may be due at once, and one
# transaction for all of them would hold its locks (and its rows' updated_at stamps, which
# sync consumers wait on) for minutes.
SLA_BATCH = 200


def check_sla(now: datetime | None = None) -> int:
    """Mark every newly overdue follow-up; returns how many breached now. Safe to run twice."""
    now = now or utcnow()
    total = 0
    while (breached := _breach_batch(now)) > 0:
        total += breached
        if breached < SLA_BATCH:
            break
    if total:
        log.info("%d follow-ups breached their SLA", total)
    return total


def _breach_batch(now: datetime) -> int:
    overdue = db.session.scalars(
        select(FollowUp)
        .where(FollowUp.status.in_(WATCHED), FollowUp.due_at < now, FollowUp.sla_breached_at.is_(None))
        .order_by(FollowUp.id).limit(SLA_BATCH)
        # All the announcement and the escalation read, in this one query.
        .options(joinedload(FollowUp.team).joinedload(Team.lead), joinedload(FollowUp.owner),
                 joinedload(FollowUp.response), joinedload(FollowUp.touchpoint))
        .with_for_update(skip_locked=True, of=FollowUp)
    ).unique().all()
    admins: dict[int, list[User]] = {}
    # Whom to tell of what: one email per person per batch, so an outage's thousands of
    # breaches reach a team lead as a few lists, not thousands of emails.
    escalations: dict[tuple[int, str], list[FollowUp]] = defaultdict(list)
    with webhook_fanout.routes_held():
        for follow_up in overdue:
            follow_up.sla_breached_at = now
            db.session.add(FollowUpActivity(follow_up_id=follow_up.id, organization_id=follow_up.organization_id,
                                            kind="sla_breached", actor=SYSTEM, created_at=now,
                                            after={"due_at": follow_up.due_at.isoformat()}))
            events.record("follow_up.sla_breached", payload(follow_up, breached_at=now.isoformat()),
                          organization_id=follow_up.organization_id)
            for person in _escalation_targets(follow_up, admins):
                escalations[(follow_up.organization_id, person.email)].append(follow_up)
        for (organization_id, email), late in escalations.items():
            _escalate(organization_id, email, late)
    # database.commit, not the session's: it hands over the escalation emails and the
    # breach webhooks now. Left pending, the sweep's next rollback forgot them, and the
    # emails waited for a later sweep's grace period.
    commit()
    return len(overdue)


def _escalate(organization_id: int, to: str, late: list[FollowUp]) -> None:
    if len(late) == 1:
        [follow_up] = late
        mail.queue_email(kind="escalation", to=to, follow_up_id=follow_up.id, organization_id=organization_id,
                         subject=f"Overdue follow-up: {follow_up.touchpoint.name} ({follow_up.priority})",
                         body=f"Follow-up {follow_up.id} was due {follow_up.due_at:%Y-%m-%d %H:%M} UTC and "
                              f"is still {follow_up.status}. Owner: {_owner(follow_up)}.\n"
                              f"Open it: {console_link(follow_up.id)}\n")
        return
    mail.queue_email(kind="escalation", to=to, follow_up_id=None, organization_id=organization_id,
                     subject=f"{len(late)} overdue follow-ups",
                     body=f"These {len(late)} follow-ups are past their due date and not yet answered "
                          f"({console_url('/inbox?overdue=y')}):\n\n"
                          + "".join(f"- [{f.priority}] {f.touchpoint.name}, due {f.due_at:%Y-%m-%d %H:%M} UTC, "
                                    f"{f.status}, owner {_owner(f)}\n  {console_link(f.id)}\n" for f in late))


def _owner(follow_up: FollowUp) -> str:
    return follow_up.owner.name if follow_up.owner else "nobody"


def _escalation_targets(follow_up: FollowUp, admins: dict[int, list[User]]) -> list[User]:
    """The team's lead, or the organisation's admins when the team has none (read once a batch)."""
    if follow_up.team is not None and follow_up.team.lead is not None and follow_up.team.lead.is_active:
        return [follow_up.team.lead]
    if follow_up.organization_id not in admins:
        admins[follow_up.organization_id] = list(db.session.scalars(select(User).where(
            User.organization_id == follow_up.organization_id, User.role == "admin", User.is_active.is_(True))))
    return admins[follow_up.organization_id]
