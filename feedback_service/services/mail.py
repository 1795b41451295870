"""Email we owe someone, kept in the database until it is delivered.

``queue_email`` records the message in the caller's transaction and asks for
delivery after the commit. With no ``SMTP_URL`` the message stays in the
outbox (status ``outbox``), shown in the console: nothing pretends to be sent.
"""

from __future__ import annotations

from flask import current_app

from ..extensions import db
from ..jobs import enqueue_after_commit
from ..models import OutboundEmail


def queue_email(*, kind: str, to: str, subject: str, body: str, follow_up_id: int | None = None,
                organization_id: int | None = None) -> OutboundEmail:
    # One line, whatever names went into it: a line break in a Subject header cannot be sent.
    subject = " ".join(subject.split())[:300]
    email = OutboundEmail(kind=kind, to_address=to, subject=subject, body=body, follow_up_id=follow_up_id,
                          status="queued" if current_app.config.get("SMTP_URL") else "outbox")
    if organization_id is not None:
        email.organization_id = organization_id
    db.session.add(email)
    db.session.flush()
    if email.status == "queued":
        from ..tasks.mail import send_email

        enqueue_after_commit(send_email, email.id, job_id=f"email-{email.id}-0", result_ttl=0)
    return email
