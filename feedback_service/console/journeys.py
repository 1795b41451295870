"""``/journeys`` and ``/journeys/<id>``: the journeys, and each one's map."""

from __future__ import annotations

from flask import render_template

from ..analytics import journey_map as journey_maps
from ..analytics.figures import THRESHOLDS
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
    return render_template("console/journey.html", map=journey_map,
                           drawing=draw(journey_map, formatting.channel),
                           thresholds=THRESHOLDS, window_days=journey_maps.WINDOW.days)
