"""The journey report: per touchpoint, its headline, mean, sentiment and friction over a period,
and the touchpoints ranked by how much they hurt.

The figures are the journey map's (``journey_map``: the same histogram query,
headline, band and friction), for any period instead of the map's recent
window, plus what a report reader wants next to them: the mean score and how
the comments felt. Two grouped queries for the whole journey, never one per
touchpoint.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..core.errors import Invalid
from ..core.lookup import get_or_404
from ..extensions import db
from ..models import Journey, Response, Touchpoint, utcnow
from .figures import band_for, friction, headline, score_histograms
from .intervals import interval_for
from .journey_map import WINDOW

SENTIMENT_LABELS = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class TouchpointFigures:
    touchpoint_id: int
    name: str
    position: int
    metric: str
    n: int
    score: float | None
    mean: float | None
    sentiment: dict
    friction_score: float | None
    band: str
    ci_low: float | None = None
    ci_high: float | None = None
    provisional: bool = True
    # The friction of the best the touchpoint plausibly is (its interval's upper end): the ranking's key.
    friction_at_best: float | None = None


@dataclass(frozen=True)
class JourneyReport:
    journey_id: int
    since: datetime
    until: datetime
    touchpoints: list[TouchpointFigures]

    @property
    def friction_ranking(self) -> list[int]:
        """Answered touchpoints, the one that hurts most first.

        Ranked by the friction of each headline's 95 % interval at its upper end: the
        touchpoint that hurts even at its best plausible figure first. So two bad answers,
        whose interval reaches far up, do not outrank four hundred mediocre ones. Ties: the
        point's friction, more answers, then earlier in the journey.
        """
        answered = [t for t in self.touchpoints if t.friction_score is not None]
        ranked = sorted(answered, key=lambda t: (-t.friction_at_best, -t.friction_score, -t.n, t.position))
        return [t.touchpoint_id for t in ranked]


def journey_report(journey_id: int, *, since: datetime | None = None, until: datetime | None = None
                   ) -> JourneyReport:
    """One journey's report over [since, until] (default: the map's window up to now); 404 if not ours."""
    journey = get_or_404(Journey, journey_id, what="journey")
    until = until or utcnow()
    since = since or until - WINDOW
    if since >= until:
        raise Invalid("from", "Must be before `to` (both ISO 8601 instants with an offset).")
    touchpoints = db.session.scalars(
        select(Touchpoint)
        .where(Touchpoint.journey_id == journey.id, Touchpoint.archived_at.is_(None))
        .options(joinedload(Touchpoint.survey))
        .order_by(Touchpoint.position, Touchpoint.id)
    ).all()
    ids = [t.id for t in touchpoints]
    histograms = score_histograms(ids, since, until)
    feelings = _sentiment_counts(ids, since, until)
    min_n = int(current_app.config["ANALYTICS_MIN_N"])
    return JourneyReport(journey.id, since, until, [
        _figures(t, histograms.get(t.id, {}), feelings.get(t.id, Counter()), min_n) for t in touchpoints])


def _sentiment_counts(touchpoint_ids: list[int], since: datetime, until: datetime) -> dict[int, Counter]:
    if not touchpoint_ids:
        return {}
    rows = db.session.execute(
        select(Response.touchpoint_id, Response.sentiment_label, func.count())
        .where(Response.touchpoint_id.in_(touchpoint_ids), Response.created_at >= since,
               Response.created_at <= until, Response.sentiment_status == "scored")
        .group_by(Response.touchpoint_id, Response.sentiment_label)
    )
    counts: dict[int, Counter] = defaultdict(Counter)
    for touchpoint_id, label, count in rows:
        counts[touchpoint_id][label] += count
    return counts


def _figures(touchpoint: Touchpoint, histogram: dict[str, Counter], feelings: Counter, min_n: int
             ) -> TouchpointFigures:
    # As on the map: answers given while the touchpoint asked another metric are not on this scale.
    metric = touchpoint.survey.metric
    counts = histogram.get(metric, Counter())
    n = sum(counts.values())
    score = headline(metric, list(counts.elements()))
    ci = interval_for(metric, counts)
    return TouchpointFigures(
        touchpoint_id=touchpoint.id, name=touchpoint.name, position=touchpoint.position, metric=metric, n=n,
        score=score, mean=round(sum(s * c for s, c in counts.items()) / n, 2) if n else None,
        sentiment={"n": sum(feelings[label] for label in SENTIMENT_LABELS),
                   **{label: feelings[label] for label in SENTIMENT_LABELS}},
        friction_score=friction(metric, score), band=band_for(metric, score),
        ci_low=ci.low if ci else None, ci_high=ci.high if ci else None, provisional=n < min_n,
        friction_at_best=friction(metric, ci.high) if ci else None)
