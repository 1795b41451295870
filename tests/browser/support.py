"""What the browser tests read back: rows through the app, requests by route, the widget's queue."""

from __future__ import annotations

import json
import re
from urllib.parse import urlparse

from sqlalchemy import select

from feedback_service.extensions import db
from feedback_service.models import Customer, Display, Response

QUEUE_KEY = "feedback_widget.pending.v1"
COMMENT_PROMPT = "What is the main reason for your score?"
LOW_SCORE_PROMPT = "We are sorry. What should we have done better?"
THANKS = "Thank you for your feedback!"
SAVED = "Thanks! Your score was saved."
QUEUED = "Your score could not be sent yet; it will be sent later."
REFUSED = "Sorry, your score could not be saved."
OPENED = "A short survey opened at the end of this page."


def stored_responses(app) -> list[dict]:
    """Every response row, read through the app (no tenant set: the test sees them all)."""
    with app.app_context():
        rows = db.session.execute(
            select(Response, Customer).outerjoin(Customer, Response.customer_id == Customer.id).order_by(Response.id)
        ).all()
        result = [{
            "id": r.id, "touchpoint_id": r.touchpoint_id, "score": r.score, "comment": r.comment,
            "context": dict(r.context or {}), "source": r.source, "idempotency_key": r.idempotency_key,
            "sentiment_status": r.sentiment_status, "sentiment_label": r.sentiment_label,
            "sentiment_compound": r.sentiment_compound,
            "customer": {"external_id": c.external_id, "email": c.email} if c else None,
        } for r, c in rows]
        db.session.remove()
    return result


def stored_displays(app) -> list[dict]:
    with app.app_context():
        rows = db.session.execute(
            select(Display, Customer).outerjoin(Customer, Display.customer_id == Customer.id).order_by(Display.id)
        ).all()
        result = [{"touchpoint_id": d.touchpoint_id, "source": d.source,
                   "customer": c.external_id if c else None} for d, c in rows]
        db.session.remove()
    return result


def api_call(method: str, pattern: str):
    """A predicate on Playwright requests or responses: this method, a path matching ``pattern``."""
    regex = re.compile(pattern)

    def matches(r) -> bool:
        request = getattr(r, "request", r)
        return request.method == method and bool(regex.search(urlparse(request.url).path))

    return matches


SCORE_POST = api_call("POST", r"^/w/[^/]+/responses$")
COMMENT_PATCH = api_call("PATCH", r"^/w/[^/]+/responses/\d+$")
DISPLAY_POST = api_call("POST", r"^/w/[^/]+/displays$")
SURVEY_GET = api_call("GET", r"^/w/[^/]+/survey$")


def score_button(page, n: int):
    """The score's button, found the way assistive technology names it: by its number."""
    return page.get_by_role("button", name=str(n), exact=True)


def live_region(page):
    """The widget's polite live region: what a screen reader is told without moving focus."""
    return page.locator("feedback-widget [aria-live=polite]")


def queue(page) -> list[dict]:
    """The widget's offline queue in this page's localStorage."""
    return json.loads(page.evaluate(f"localStorage.getItem({QUEUE_KEY!r})") or "[]")


def wait_until_queue_empty(page) -> None:
    """The widget drops an answer from its queue after reading the server's reply, a moment after
    Playwright sees that reply: wait for it rather than race it."""
    page.wait_for_function(f"(JSON.parse(localStorage.getItem({QUEUE_KEY!r})) || []).length === 0")


def record_requests(page) -> list:
    """Every request the page sends from now on (Playwright Request objects, in order)."""
    seen: list = []
    page.on("request", lambda request: seen.append(request))
    return seen
