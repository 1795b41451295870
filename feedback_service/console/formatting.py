"""How figures read on the console's pages: headlines, bands, dates.

Templates reach these as ``fmt.…``; nothing here touches the database.
"""

from __future__ import annotations

from datetime import datetime

from ..analytics.figures import headline_text, number_text
from ..analytics.figures import metric_name as metric_name  # fmt.metric_name in templates
from ..journeys.surveys import METRICS
from ..models import utcnow

METRIC_HEADLINES = {
    "csat": "share of answers {top}–{high}",
    "nps": "% promoters − % detractors",
    "ces": "share of answers {top}–{high}",
}
# As the emails and the API's descriptions write them (``analytics.figures``); templates say ``fmt.headline``.
headline = headline_text
_number = number_text

BAND_LABELS = {"healthy": "Healthy", "at_risk": "At risk", "hurting": "Hurting", "no_data": "No answers"}
CHANNEL_LABELS = {"in_store": "In store", "app": "App", "web": "Web", "email": "Email", "phone": "Phone",
                  "chat": "Chat", "social": "Social"}
ROLE_LABELS = {"admin": "Admin", "agent": "Agent", "viewer": "Viewer"}
FOLLOW_UP_POLICY_LABELS = {"low_scores": "Every comment and every low score",
                           "comments": "Only answers with a comment"}




def metric_scale(metric: str) -> str:
    definition = METRICS[metric]
    return f"{definition.low}–{definition.high}"


def metric_headline(metric: str) -> str:
    definition = METRICS[metric]
    return METRIC_HEADLINES.get(metric, "").format(top=definition.top_box_min, high=definition.high)


def band(band_name: str) -> str:
    return BAND_LABELS.get(band_name, band_name)


def channel(name: str) -> str:
    return CHANNEL_LABELS.get(name, name.replace("_", " ").capitalize())


def role(name: str) -> str:
    return ROLE_LABELS.get(name, name)


def follow_up_policy(name: str) -> str:
    return FOLLOW_UP_POLICY_LABELS.get(name, name)


def is_low(metric: str, score: int) -> bool:
    return METRICS[metric].is_low(score)


def score_class(metric: str, score: int) -> str:
    """A CSS class for one answer: low scores red, top scores green, the middle neutral."""
    definition = METRICS[metric]
    if definition.is_low(score):
        return "score-low"
    return "score-high" if definition.is_top_box(score) else "score-mid"


def when(moment: datetime | None) -> str:
    """``12 Mar 2025, 14:05 UTC``."""
    if moment is None:
        return "—"
    return moment.strftime("%d %b %Y, %H:%M UTC").lstrip("0")


def day(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.strftime("%d %b %Y").lstrip("0")


def iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


# ---- Follow-ups ---------------------------------------------------------------

PRIORITY_LABELS = {"urgent": "Urgent", "high": "High", "normal": "Normal", "low": "Low"}
STATUS_LABELS = {"new": "New", "assigned": "Assigned", "in_progress": "In progress", "responded": "Responded",
                 "resolved": "Resolved", "no_action": "No action"}
EMAIL_STATUS_LABELS = {"outbox": "In the outbox", "queued": "Queued", "sent": "Sent", "failed": "Failed"}
EMAIL_KIND_LABELS = {"reply": "Reply to customer", "assignment": "Assignment", "unassigned": "Unassigned notice",
                     "escalation": "Escalation", "webhook_disabled": "Webhook disabled", "alert": "Alert"}
# The button that moves a follow-up to a status, by the status it leaves (None: any).
MOVE_LABELS = {
    ("resolved", "in_progress"): "Reopen",
    ("no_action", "in_progress"): "Reopen",
    ("responded", "in_progress"): "Back to in progress",
    (None, "in_progress"): "Start work",
    (None, "assigned"): "Mark assigned",
    (None, "responded"): "Mark responded",
    (None, "resolved"): "Resolve",
    (None, "no_action"): "No action needed",
}


def priority(name: str) -> str:
    return PRIORITY_LABELS.get(name, name.capitalize())


def status(name: str) -> str:
    return STATUS_LABELS.get(name, name.replace("_", " ").capitalize())


def email_status(name: str) -> str:
    return EMAIL_STATUS_LABELS.get(name, name.capitalize())


def email_kind(name: str) -> str:
    return EMAIL_KIND_LABELS.get(name, name.replace("_", " ").capitalize())


def move_label(current: str, target: str) -> str:
    return MOVE_LABELS.get((current, target)) or MOVE_LABELS.get((None, target)) or status(target)


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "now"
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    days = hours // 24
    if days < 60:
        return f"{days} d"
    return f"{days // 30} mo"


def age(moment: datetime | None, now: datetime | None = None) -> str:
    """How long ago: ``40 min``, ``5 h``, ``3 d``, ``2 mo``."""
    if moment is None:
        return "—"
    return _span(max(0.0, ((now or utcnow()) - moment).total_seconds()))


def due(moment: datetime | None, now: datetime | None = None) -> str:
    """Relative to now: ``in 5 h`` or ``3 d ago``."""
    if moment is None:
        return "—"
    seconds = (moment - (now or utcnow())).total_seconds()
    span = _span(abs(seconds))
    if span == "now":
        return "now"
    return f"in {span}" if seconds > 0 else f"{span} ago"


def hours(value: float | None) -> str:
    """A duration given in hours: ``45 min``, ``5.2 h``, ``3.4 d``."""
    if value is None:
        return "—"
    if value < 1:
        return f"{max(1, round(value * 60))} min"
    if value < 48:
        return f"{_number(round(value, 1))} h"
    return f"{_number(round(value / 24, 1))} d"


def share(value: float | None) -> str:
    """``0.834`` as ``83%``."""
    if value is None:
        return "—"
    return f"{round(value * 100)}%"


def percent(value: float | None) -> int:
    """A share as a whole percentage for bar widths, 0–100."""
    if value is None:
        return 0
    return max(0, min(100, round(value * 100)))


def customer_label(customer) -> str:
    if customer is None:
        return "Anonymous"
    return customer.external_id or customer.email or f"Customer #{customer.id}"


def context_value(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
