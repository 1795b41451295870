"""``/journeys`` and ``/journeys/<id>``: the journeys, and each one's map."""

from __future__ import annotations

from flask import render_template

from ..analytics import journey_map as journey_maps
from ..analytics.figures import THRESHOLDS
from ..analytics.journey_report import journey_report
from ..analytics.touchpoint_metrics import weekly_series
from ..backlog.items import open_counts
from . import formatting
from .blueprint import bp
from .map_drawing import draw


@bp.get("/journeys")
def journeys():
    maps = journey_maps.all_journey_maps()
    return render_template("console/journeys.html", maps=maps, window_days=journey_maps.WINDOW.days)


@bp.get("/journeys/<int:journey_id>")
def journey(journey_id: int):
    journey_map = journey_maps.journey_map(journey_id)
    report = journey_report(journey_id, since=journey_map.since, until=journey_map.until)
    weekly = weekly_series(journey_id, journey_map.since, journey_map.until)
    names = {s.touchpoint_id: s.name for s in journey_map.stations}
    return render_template("console/journey.html", map=journey_map, report=report, names=names,
                           to_fix=open_counts(list(names)),
                           figures={t.touchpoint_id: t for t in report.touchpoints},
                           drawing=draw(journey_map, formatting.channel, report, weekly, formatting.headline),
                           thresholds=THRESHOLDS, window_days=journey_maps.WINDOW.days)
