"""Deliver one queued email over ``SMTP_URL``; on failure, book the next attempt or give up.

An email that is not ``queued`` (sent already, failed for good) is left alone,
so sending the same email twice sends it once.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import OutboundEmail, utcnow

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 10
# A queued email whose first job never ran (Redis was away) is due again after this long.
FIRST_ATTEMPT_GRACE_SECONDS = 60


def due_email_ids() -> list[int]:
    """The queued emails whose retry is due, or whose first attempt never ran."""
    now = utcnow()
    return list(db.session.scalars(
        select(OutboundEmail.id).where(
            OutboundEmail.status == "queued",
            (OutboundEmail.next_attempt_at.is_(None)
             & (OutboundEmail.created_at <= now - timedelta(seconds=FIRST_ATTEMPT_GRACE_SECONDS)))
            | (OutboundEmail.next_attempt_at <= now),
        )
    ))


def send(email_id: int) -> str:
    """Try the email once; returns its status afterwards (or \"nothing to do\")."""
    email = db.session.scalar(select(OutboundEmail).where(OutboundEmail.id == email_id).with_for_update())
    if email is None or email.status != "queued":
        db.session.rollback()
        return "nothing to do"
    email.attempts += 1
    try:
        message = _message(email)
    except ValueError as error:
        # What was written cannot be put in an email (a header it refuses): no retry will help.
        email.status, email.next_attempt_at = "failed", None
        email.last_error = f"cannot be sent as written: {error}"[:2000]
        log.warning("email %s cannot be sent as written: %s", email.id, error)
        db.session.commit()
        return email.status
    try:
        _deliver(message)
    except (OSError, smtplib.SMTPException) as error:
        schedule = current_app.config["MAIL_RETRY_SCHEDULE"]
        email.last_error = f"{type(error).__name__}: {error}"[:2000]
        if email.attempts > len(schedule):
            email.status = "failed"
            email.next_attempt_at = None
            log.warning("email %s failed for good after %d attempts: %s", email.id, email.attempts, error)
        else:
            email.next_attempt_at = utcnow() + timedelta(seconds=schedule[email.attempts - 1])
            log.info("email %s attempt %d failed (%s); next at %s", email.id, email.attempts, error,
                     email.next_attempt_at)
        db.session.commit()
        return email.status
    email.status = "sent"
    email.sent_at = utcnow()
    email.last_error = None
    email.next_attempt_at = None
    db.session.commit()
    return "sent"


def _message(email: OutboundEmail) -> EmailMessage:
    host = urlsplit(current_app.config["SMTP_URL"]).hostname or "localhost"
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Message-ID"] = f"<feedback-{email.organization_id}-{email.id}@{host}>"
    message.set_content(email.body)
    return message


def _deliver(message: EmailMessage) -> None:
    url = urlsplit(current_app.config["SMTP_URL"])
    options = parse_qs(url.query)
    if url.scheme == "smtps":
        client = smtplib.SMTP_SSL(url.hostname, url.port or 465, timeout=SMTP_TIMEOUT,
                                  context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(url.hostname, url.port or 25, timeout=SMTP_TIMEOUT)
    with client:
        if url.scheme == "smtp" and options.get("starttls", ["0"])[0] in ("1", "true"):
            client.starttls(context=ssl.create_default_context())
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(message)
