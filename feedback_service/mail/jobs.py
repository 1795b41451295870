"""The mail jobs: send one email, and find the emails whose next attempt is due."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from ..core.jobs import PendingJob, dispatch
from ..extensions import db
from ..models import OutboundEmail, utcnow
from . import smtp

# A queued email whose first job never ran (Redis was away) is sent by the sweep after this long.
FIRST_ATTEMPT_GRACE_SECONDS = 60


def send_email(email_id: int) -> str:
    """Job: one attempt at one email; returns its status afterwards."""
    return smtp.send(email_id)


def sweep_due_emails() -> int:
    """Enqueue the queued emails whose retry is due, or whose first attempt never ran; returns how many."""
    now = utcnow()
    ids = list(db.session.scalars(
        select(OutboundEmail.id).where(
            OutboundEmail.status == "queued",
            (OutboundEmail.next_attempt_at.is_(None)
             & (OutboundEmail.created_at <= now - timedelta(seconds=FIRST_ATTEMPT_GRACE_SECONDS)))
            | (OutboundEmail.next_attempt_at <= now),
        )
    ))
    db.session.rollback()
    for email_id in ids:
        dispatch(PendingJob(send_email, (email_id,), job_id=f"email-{email_id}-sweep-{int(time.time())}",
                            result_ttl=0))
    return len(ids)
