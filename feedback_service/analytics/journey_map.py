"""The journey map: each touchpoint's headline, its n, and how much it hurts.

A station is one live touchpoint of a journey with the headline of its metric
(CSAT %, NPS or CES %) over the responses of a recent window. Each metric is
judged on its own scale: a band says whether it is healthy, at risk or hurting,
and ``friction`` puts the three metrics on one axis (0 at the healthy line, 1
at the hurting line), so the station that hurts most can be named even when
its neighbours ask a different question.

All the figures of any number of journeys come from one grouped query over
responses (a histogram of scores per touchpoint), never one per touchpoint.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..core.lookup import get_or_404
from ..extensions import db
from ..models import Journey, Touchpoint, utcnow
from .figures import band_for, figures_of, friction, score_histograms

WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class Station:
    touchpoint_id: int
    position: int
    name: str
    channel: str
    team_name: str | None
    metric: str
    n: int
    score: float | None
    band: str
    friction: float | None
    hurts_most: bool = False
    ci_low: float | None = None
    ci_high: float | None = None
    provisional: bool = True
    # The friction at the interval's upper end: what the ranking goes by (``journey_report``).
    friction_at_best: float | None = None


@dataclass(frozen=True)
class JourneyMap:
    journey_id: int
    name: str
    description: str
    since: datetime
    until: datetime
    stations: list[Station] = field(default_factory=list)

    @property
    def hurts_most(self) -> Station | None:
        return next((station for station in self.stations if station.hurts_most), None)

    @property
    def n(self) -> int:
        return sum(station.n for station in self.stations)


def build_journey_maps(journeys: list[Journey], *, now: datetime | None = None,
                       window: timedelta = WINDOW) -> list[JourneyMap]:
    """The maps of these journeys, in the order given."""
    until = now or utcnow()
    since = until - window
    touchpoints = db.session.scalars(
        select(Touchpoint)
        .where(Touchpoint.journey_id.in_([journey.id for journey in journeys]), Touchpoint.archived_at.is_(None))
        .options(joinedload(Touchpoint.team), joinedload(Touchpoint.survey))
        .order_by(Touchpoint.journey_id, Touchpoint.position, Touchpoint.id)
    ).all()
    histograms = score_histograms((t.id for t in touchpoints), since, until)
    by_journey: dict[int, list[Station]] = defaultdict(list)
    for touchpoint in touchpoints:
        by_journey[touchpoint.journey_id].append(_station(touchpoint, histograms.get(touchpoint.id, {})))
    return [
        JourneyMap(journey.id, journey.name, journey.description or "", since, until,
                   _mark_hurts_most(by_journey.get(journey.id, [])))
        for journey in journeys
    ]


def journey_map(journey_id: int, *, now: datetime | None = None, window: timedelta = WINDOW) -> JourneyMap:
    """One journey's map; 404 when it is not this organisation's."""
    journey = get_or_404(Journey, journey_id, what="journey")
    return build_journey_maps([journey], now=now, window=window)[0]


def all_journey_maps(*, now: datetime | None = None, window: timedelta = WINDOW) -> list[JourneyMap]:
    """Every journey of the organisation, by name, each with its stations."""
    journeys = db.session.scalars(select(Journey).order_by(Journey.name, Journey.id)).all()
    return build_journey_maps(list(journeys), now=now, window=window)


def _station(touchpoint: Touchpoint, histogram: dict[str, Counter]) -> Station:
    # Answers given while the touchpoint asked another metric are not on this
    # scale; the headline is over the metric it asks now.
    metric = touchpoint.survey.metric
    found = figures_of(metric, histogram.get(metric, Counter()), int(current_app.config["ANALYTICS_MIN_N"]))
    score = found.score
    return Station(
        touchpoint_id=touchpoint.id,
        position=touchpoint.position,
        name=touchpoint.name,
        channel=touchpoint.channel,
        team_name=touchpoint.team.name if touchpoint.team else None,
        metric=metric,
        n=found.n,
        score=score,
        band=band_for(metric, score),
        friction=friction(metric, score),
        ci_low=found.ci_low,
        ci_high=found.ci_high,
        provisional=found.provisional,
        friction_at_best=found.friction_at_best(metric),
    )


def _mark_hurts_most(stations: list[Station]) -> list[Station]:
    """Flag the station that hurts most by the report's rule: the friction of its interval's upper
    end, so two bad answers do not outrank four hundred mediocre ones (ties: the point's
    friction, more answers, then earlier)."""
    answered = [s for s in stations if s.friction is not None]
    if not answered:
        return stations
    worst = max(answered, key=lambda s: (s.friction_at_best, s.friction, s.n, -s.position))
    return [replace(s, hurts_most=True) if s is worst else s for s in stations]
