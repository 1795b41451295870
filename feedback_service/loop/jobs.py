"""The loop's jobs: the SLA watch and the daily digests.

The SLA check selects the newly late and marks them, a batch a transaction.
The digest sweep enqueues one job per person due one; the claim in ``digests``
makes a second run, a second worker or a sweep that enqueues again send
nothing more.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from ..core.database import commit
from ..core.jobs import PendingJob, dispatch
from ..extensions import db
from ..models import utcnow
from . import digests
from .sla import SLA_BATCH, mark_late, newly_late

log = logging.getLogger(__name__)


def check_sla(now: datetime | None = None) -> int:
    """Mark every newly late follow-up, a batch a transaction; returns how many. Safe to run twice."""
    now = now or utcnow()
    total = 0
    while late := newly_late(now, SLA_BATCH):
        mark_late(late, now)
        # database.commit, not the session's: it hands over the escalation emails and the
        # breach webhooks now.
        commit()
        total += len(late)
        if len(late) < SLA_BATCH:
            break
    db.session.rollback()  # an empty look leaves a transaction open
    if total:
        log.info("%d follow-ups breached their SLA", total)
    return total


def sweep_digests(now: datetime | None = None) -> int:
    """Enqueue today's digest for everyone who has not had it, once it is DIGEST_HOUR; returns how many."""
    now = now or utcnow()
    day = digests.digest_day(now)
    if day is None:
        return 0
    ids = digests.recipients_due(day)
    db.session.rollback()  # end the read transaction; each job opens its own
    for user_id in ids:
        dispatch(PendingJob(send_digest, (user_id, day.isoformat()), job_id=f"digest-{user_id}-{day.isoformat()}",
                            result_ttl=0))
    if ids:
        log.info("digests for %s enqueued for %d staff", day, len(ids))
    return len(ids)


def send_digest(user_id: int, day: str) -> str:
    """Job: ``day``'s digest for one member of staff, at most once."""
    wanted, now = date.fromisoformat(day), utcnow()
    if not digests.is_today(wanted, now):
        return "stale"
    try:
        outcome = digests.send_digest(user_id, wanted, now)
    except Exception:
        db.session.rollback()  # the claim goes with it, so the next sweep tries again
        raise
    commit()  # the claim and the email together; database.commit hands the email to the queue
    return outcome
