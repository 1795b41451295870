"""How urgent a follow-up is, and when it is due.

From the score and, once scored, the comment's sentiment: a furious detractor
is urgent, an unhappy customer high, a delighted promoter low. Due dates come
from the organisation's SLA hours per priority.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..config import DEFAULT_SLA_HOURS
from ..models import Organization, Response
from ..journeys.surveys import METRICS

FURIOUS = -0.5


def priority_for(response: Response) -> str:
    return priority_of(response.metric, response.score, response.sentiment_status, response.sentiment_compound)


def priority_of(metric_name: str, score: int, sentiment_status: str, sentiment_compound: float | None) -> str:
    """The rule itself, from the four columns it reads (so a batch needs no ORM objects)."""
    metric = METRICS[metric_name]
    low = metric.is_low(score)
    top = score == metric.high or (metric_name == "nps" and score >= 9)
    compound = sentiment_compound if sentiment_status == "scored" else None
    if low and compound is not None and compound <= FURIOUS:
        return "urgent"
    if low or (compound is not None and compound <= FURIOUS):
        return "high"
    if top and (compound is None or compound >= 0.05):
        return "low"
    return "normal"


def sla_hours(organization: Organization, priority: str) -> int:
    return int({**DEFAULT_SLA_HOURS, **(organization.sla_hours or {})}[priority])


def due_at(organization: Organization, priority: str, since: datetime) -> datetime:
    return since + timedelta(hours=sla_hours(organization, priority))
