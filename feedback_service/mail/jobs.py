"""The mail jobs: send one email, and find the emails whose next attempt is due."""

from __future__ import annotations

import time

from ..core.jobs import PendingJob, dispatch
from ..extensions import db
from . import smtp


def send_email(email_id: int) -> str:
    """Job: one attempt at one email; returns its status afterwards."""
    return smtp.send(email_id)


def sweep_due_emails() -> int:
    """Enqueue the queued emails whose retry is due, or whose first attempt never ran; returns how many."""
    ids = smtp.due_email_ids()
    db.session.rollback()
    for email_id in ids:
        dispatch(PendingJob(send_email, (email_id,), job_id=f"email-{email_id}-sweep-{int(time.time())}",
                            result_ttl=0))
    return len(ids)
