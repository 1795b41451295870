"""How figures read on the console's pages: headlines, bands, dates.

Templates reach these as ``fmt.…``; nothing here touches the database.
"""

from __future__ import annotations

from datetime import datetime

from ..services.metrics import METRICS

METRIC_NAMES = {"csat": "CSAT", "nps": "NPS", "ces": "CES"}
METRIC_HEADLINES = {
    "csat": "share of answers 4–5",
    "nps": "% promoters − % detractors",
    "ces": "share of answers 5–7",
}
BAND_LABELS = {"healthy": "Healthy", "at_risk": "At risk", "hurting": "Hurting", "no_data": "No answers"}
CHANNEL_LABELS = {"in_store": "In store", "app": "App", "web": "Web", "email": "Email", "phone": "Phone",
                  "chat": "Chat", "social": "Social"}
ROLE_LABELS = {"admin": "Admin", "agent": "Agent", "viewer": "Viewer"}


def _number(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def headline(metric: str, score: float | None) -> str:
    """``82.5%`` for CSAT and CES, ``+12`` for NPS, an em dash without answers."""
    if score is None:
        return "—"
    if metric == "nps":
        sign = "+" if score > 0 else ("−" if score < 0 else "")
        return f"{sign}{_number(abs(score))}"
    return f"{_number(score)}%"


def metric_name(metric: str) -> str:
    return METRIC_NAMES.get(metric, metric.upper())


def metric_scale(metric: str) -> str:
    definition = METRICS[metric]
    return f"{definition.low}–{definition.high}"


def metric_headline(metric: str) -> str:
    return METRIC_HEADLINES.get(metric, "")


def band(band_name: str) -> str:
    return BAND_LABELS.get(band_name, band_name)


def channel(name: str) -> str:
    return CHANNEL_LABELS.get(name, name.replace("_", " ").capitalize())


def role(name: str) -> str:
    return ROLE_LABELS.get(name, name)


def is_low(metric: str, score: int) -> bool:
    return METRICS[metric].is_low(score)


def score_class(metric: str, score: int) -> str:
    """A CSS class for one answer: low scores red, top scores green, the middle neutral."""
    definition = METRICS[metric]
    if definition.is_low(score):
        return "score-low"
    top = {"csat": 4, "nps": 9, "ces": 5}[metric]
    return "score-high" if score >= top else "score-mid"


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
