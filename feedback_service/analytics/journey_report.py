"""The journey report: per touchpoint, its headline with its interval, mean, sentiment, friction
and consistency over a period; the touchpoints ranked by how much they hurt; and what happens to
customers between one station and the next (``transitions``).

The figures are the journey map's (``journey_map``: the same histograms, headline,
band and friction), for any period instead of the map's recent window, plus what a
report reader wants next to them. Counts come from the rollups, for the whole
journey at once; only the themes are read per touchpoint (``themes.top_themes``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..core.errors import Invalid
from ..core.lookup import get_or_404
from ..extensions import db
from ..models import Journey, Touchpoint, utcnow
from ..rollups import tallies
from ..themes.store import ThemeFigures, top_themes
from .consistency import Consistency, consistency
from .figures import band_for, figures_of, friction, score_histograms
from .journey_map import WINDOW
from .transitions import Transition, losing_most, transitions

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
    consistency: Consistency | None = None
    themes: list[ThemeFigures] = field(default_factory=list)  # its three largest


@dataclass(frozen=True)
class JourneyReport:
    journey_id: int
    since: datetime
    until: datetime
    touchpoints: list[TouchpointFigures]
    transitions: list[Transition] = field(default_factory=list)

    @property
    def losing_transition(self) -> Transition | None:
        """The step between stations where most customers got worse (``transitions.losing_most``)."""
        return losing_most(self.transitions)

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
    config = current_app.config
    steady = consistency(touchpoints, since, until)
    themes = top_themes(ids, since=since, until=until)
    return JourneyReport(
        journey.id, since, until,
        [replace(_figures(t, histograms.get(t.id, {}), feelings.get(t.id, Counter()), int(config["ANALYTICS_MIN_N"])),
                 consistency=steady[t.id], themes=themes[t.id]) for t in touchpoints],
        transitions(list(touchpoints), since, until))


def _sentiment_counts(touchpoint_ids: list[int], since: datetime, until: datetime) -> dict[int, Counter]:
    counts: dict[int, Counter] = defaultdict(Counter)
    for (touchpoint_id, label), count in tallies(touchpoint_ids, since, until,
                                                 by=("touchpoint_id", "sentiment")).items():
        if label:  # "" is an answer without a scored comment
            counts[touchpoint_id][label] += count
    return counts


def _figures(touchpoint: Touchpoint, histogram: dict[str, Counter], feelings: Counter, min_n: int
             ) -> TouchpointFigures:
    # As on the map: answers given while the touchpoint asked another metric are not on this scale.
    metric = touchpoint.survey.metric
    found = figures_of(metric, histogram.get(metric, Counter()), min_n)
    return TouchpointFigures(
        touchpoint_id=touchpoint.id, name=touchpoint.name, position=touchpoint.position, metric=metric, n=found.n,
        score=found.score, mean=found.mean,
        sentiment={"n": sum(feelings[label] for label in SENTIMENT_LABELS),
                   **{label: feelings[label] for label in SENTIMENT_LABELS}},
        friction_score=friction(metric, found.score), band=band_for(metric, found.score),
        ci_low=found.ci_low, ci_high=found.ci_high, provisional=found.provisional,
        friction_at_best=found.friction_at_best(metric))
