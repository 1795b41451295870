"""``/outbox``: every email the service owes someone, and whether it went.

With no ``SMTP_URL`` nothing is sent: replies and notices wait here with the
status "outbox", so nobody believes a customer was answered when they were not.
"""

from __future__ import annotations

from flask import render_template, request

from ..mail import outbox as emails
from .blueprint import bp, require_role


@bp.get("/outbox")
@require_role("admin")
def outbox():
    status = request.args.get("status", "")
    if status not in emails.STATUSES:
        status = ""
    page = emails.outbox(status=status or None, page=request.args.get("page", 1, type=int))
    return render_template("console/outbox.html", page=page, status=status,
                           counts=emails.outbox_counts(), statuses=emails.STATUSES)
