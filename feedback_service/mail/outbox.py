"""Email we owe someone, kept in the database until it is delivered.

``queue_email`` records the message in the caller's transaction and asks for
delivery after the commit. With no ``SMTP_URL`` the message stays in the
outbox (status ``outbox``), shown in the console: nothing pretends to be sent.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from ..core.errors import Invalid
from ..core.jobs import enqueue_after_commit
from ..core.pagination import NumberedPage, numbered
from ..core.tenancy import current_tenant_id
from ..extensions import db
from ..models import OutboundEmail
from .jobs import send_email

STATUSES = ("outbox", "queued", "failed", "sent")
OUTBOX_PAGE_SIZE = 50


def queue_email(*, kind: str, to: str, subject: str, body: str, follow_up_id: int | None = None,
                organization_id: int | None = None) -> OutboundEmail:
    """The email, added to the session; it has an id once the session flushes (at once when it
    is queued for sending, since its job takes the id). Kept in the outbox, it waits for the
    caller's next flush, so a batch's emails are written together."""
    # One line, whatever names went into it: a line break in a Subject header cannot be sent.
    subject = " ".join(subject.split())[:300]
    email = OutboundEmail(kind=kind, to_address=to, subject=subject, body=body, follow_up_id=follow_up_id,
                          status="queued" if current_app.config.get("SMTP_URL") else "outbox")
    # Stamped now, not at the flush, which may come after the caller's tenant scope has ended.
    email.organization_id = organization_id if organization_id is not None else current_tenant_id()
    db.session.add(email)
    if email.status == "queued":
        db.session.flush()  # the job takes the email's id
        enqueue_after_commit(send_email, email.id, job_id=f"email-{email.id}-0", result_ttl=0)
    return email


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
        if status not in STATUSES:
            raise Invalid("status", f"Unknown email status {status!r}; use one of {', '.join(STATUSES)}.")
        conditions.append(OutboundEmail.status == status)
    query = (select(OutboundEmail).where(*conditions)
             .order_by(OutboundEmail.created_at.desc(), OutboundEmail.id.desc()))
    return numbered(query, select(func.count(OutboundEmail.id)).where(*conditions), page, per_page)


def outbox_counts() -> dict[str, int]:
    """How many emails there are in each status (every status present, zero or not)."""
    rows = db.session.execute(select(OutboundEmail.status, func.count(OutboundEmail.id)).group_by(OutboundEmail.status))
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: n for status, n in rows})
    return counts
