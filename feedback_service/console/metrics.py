"""``/metrics``: how well the loop is closed, for the organisation, per team and per owner."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template, request

from ..loop.metrics import loop_dashboard
from ..models import utcnow
from .blueprint import bp

# The periods offered: (value in the URL, label, days; None for all time).
PERIODS = (("30", "30 days", 30), ("90", "90 days", 90), ("all", "All time", None))
DEFAULT_PERIOD = "90"


@bp.get("/metrics")
def loop_metrics():
    period = request.args.get("period", DEFAULT_PERIOD)
    days = {value: days for value, _, days in PERIODS}
    if period not in days:
        period = DEFAULT_PERIOD
    since = utcnow() - timedelta(days=days[period]) if days[period] else None
    return render_template("console/metrics.html", metrics=loop_dashboard(since=since),
                           period=period, periods=PERIODS)
