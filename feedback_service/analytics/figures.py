"""The figures every report draws from: a metric's headline, its band and friction, score histograms.

CSAT % is the share of answers in the top box (4–5), CES % the same (5–7); NPS
is % promoters (top box, 9–10) minus % detractors (low, 0–6). Each metric is
judged on its own scale: a band says whether it is healthy, at risk or hurting,
and ``friction`` puts the three metrics on one axis (0 at the healthy line, 1 at
the hurting line), so the touchpoint that hurts most can be named even when its
neighbours ask a different question.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ..journeys.surveys import METRICS
from ..rollups import tallies
from .intervals import Interval, interval_for

# The metric's headline at or above which a touchpoint is healthy, and below
# which it hurts; in between it is at risk. Common industry benchmarks.
THRESHOLDS: dict[str, tuple[float, float]] = {
    "csat": (80.0, 60.0),
    "ces": (70.0, 50.0),
    "nps": (30.0, 0.0),
}
BANDS = ("healthy", "at_risk", "hurting", "no_data")


def headline(metric: str, scores: list[int]) -> float | None:
    """The metric's headline figure for these scores (None with no answers)."""
    if not scores:
        return None
    scale = METRICS[metric]
    top = sum(1 for score in scores if scale.is_top_box(score))
    if metric == "nps":
        top -= sum(1 for score in scores if scale.is_low(score))
    return round(100 * top / len(scores), 1)


def number_text(value: float) -> str:
    """``54.5``, and ``54`` rather than ``54.0``."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def headline_text(metric: str, score: float | None) -> str:
    """How a headline reads, on a page or in an email: ``82.5%`` for CSAT and CES, ``+12`` or
    ``−5`` for NPS, an em dash without answers."""
    if score is None:
        return "—"
    if metric == "nps":
        sign = "+" if score > 0 else ("−" if score < 0 else "")
        return f"{sign}{number_text(abs(score))}"
    return f"{number_text(score)}%"


def metric_name(metric: str) -> str:
    """``CSAT``, ``NPS``, ``CES``."""
    return metric.upper()


def band_for(metric: str, score: float | None) -> str:
    """``healthy``, ``at_risk`` or ``hurting`` on the metric's own scale (``no_data`` without answers)."""
    if score is None:
        return "no_data"
    healthy, hurting = THRESHOLDS[metric]
    if score >= healthy:
        return "healthy"
    return "at_risk" if score >= hurting else "hurting"


def friction(metric: str, score: float | None) -> float | None:
    """How far below healthy, in widths of the at-risk band: ≤0 healthy, >1 hurting."""
    if score is None:
        return None
    healthy, hurting = THRESHOLDS[metric]
    return round((healthy - score) / (healthy - hurting), 3)


def score_histograms(touchpoint_ids: Iterable[int], since: datetime, until: datetime
                     ) -> dict[int, dict[str, Counter]]:
    """``{touchpoint_id: {metric: Counter(score -> count)}}`` for answers in [since, until], from the
    rollups."""
    histograms: dict[int, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    counts = tallies(touchpoint_ids, since, until, by=("touchpoint_id", "metric", "score"))
    for (touchpoint_id, metric, score), count in counts.items():
        histograms[touchpoint_id][metric][score] += count
    return histograms


@dataclass(frozen=True)
class Figures:
    n: int
    score: float | None
    mean: float | None
    ci: Interval | None
    provisional: bool

    @property
    def ci_low(self) -> float | None:
        return self.ci.low if self.ci else None

    @property
    def ci_high(self) -> float | None:
        return self.ci.high if self.ci else None

    def friction_at_best(self, metric: str) -> float | None:
        """The friction of the interval's upper end: what the rankings of what hurts go by."""
        return friction(metric, self.ci.high) if self.ci else None


def figures_of(metric: str, counts: Counter, min_n: int) -> Figures:
    """The headline, mean, interval and n of a score histogram; provisional below ``min_n``."""
    n = sum(counts.values())
    return Figures(n=n, score=headline(metric, list(counts.elements())),
                   mean=round(sum(score * count for score, count in counts.items()) / n, 2) if n else None,
                   ci=interval_for(metric, counts), provisional=n < min_n)
