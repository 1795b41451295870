"""Consistency: does a touchpoint give customers the same experience week after week, and on
every channel, or does its figure swing more than chance explains?

The test is Pearson's chi-square test of homogeneity (``scipy.stats.chi2_contingency``)
on the answers' categories: top box or not for CSAT and CES; promoter, passive or
detractor for NPS. Once across the last ``ANALYTICS_CONSISTENCY_PERIODS`` seven-day
periods up to the report's end, once across the channels in the report's period; only
periods and channels with at least ``ANALYTICS_CONSISTENCY_MIN_N`` answers take part,
and a test needs two of them. A touchpoint is ``inconsistent`` when either test finds
the figures differ at p < ``ANALYTICS_CONSISTENCY_P`` (default 0.01): a swing as wide
as this would come about by chance less than once in a hundred times. ``spread`` is
the highest minus the lowest headline of the weekly periods that take part.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app

from ..journeys.surveys import METRICS
from ..models import Touchpoint
from ..rollups import tallies
from .figures import headline

PERIOD = timedelta(days=7)


@dataclass(frozen=True)
class Consistency:
    spread: float | None
    inconsistent: bool
    periods: int  # how many weekly periods took part
    p_periods: float | None
    p_channels: float | None


def _categories(metric: str, counts: Counter) -> list[int]:
    scale = METRICS[metric]
    top = sum(n for score, n in counts.items() if scale.is_top_box(score))
    if metric == "nps":
        low = sum(n for score, n in counts.items() if scale.is_low(score))
        return [top, counts.total() - top - low, low]
    return [top, counts.total() - top]


def homogeneity_p(metric: str, groups: list[Counter]) -> float | None:
    """The chi-square test's p-value that these groups' answers share one distribution over the
    metric's categories; None with fewer than two groups or a single category in use."""
    # Imported here: SciPy's statistics take half a second to import, which every process of the
    # app would otherwise pay at start, whether or not it ever draws a report.
    from scipy.stats import chi2_contingency

    table = [_categories(metric, counts) for counts in groups]
    used = [i for i in range(len(table[0])) if any(row[i] for row in table)] if table else []
    if len(table) < 2 or len(used) < 2:
        return None
    return float(chi2_contingency([[row[i] for i in used] for row in table], correction=False).pvalue)


def consistency(touchpoints: list[Touchpoint], since: datetime, until: datetime) -> dict[int, Consistency]:
    """Each touchpoint's consistency over the periods up to ``until`` and the channels of [since, until]."""
    config = current_app.config
    periods, min_n, alpha = (int(config["ANALYTICS_CONSISTENCY_PERIODS"]), int(config["ANALYTICS_CONSISTENCY_MIN_N"]),
                             float(config["ANALYTICS_CONSISTENCY_P"]))
    ids = [t.id for t in touchpoints]
    end = until.astimezone(UTC)
    weekly: dict[int, dict[int, Counter]] = defaultdict(lambda: defaultdict(Counter))
    by_day = tallies(ids, end - periods * PERIOD, end, by=("touchpoint_id", "day", "metric", "score"))
    metric_of = {t.id: t.survey.metric for t in touchpoints}
    for (touchpoint_id, day, metric, score), n in by_day.items():
        if metric == metric_of[touchpoint_id]:
            # Period 0 is the seven days up to the end; a part-day's answers go with their day.
            weekly[touchpoint_id][min((end.date() - day).days // 7, periods - 1)][score] += n
    by_channel: dict[int, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for (touchpoint_id, source, metric, score), n in tallies(ids, since, until,
                                                            by=("touchpoint_id", "source", "metric", "score")).items():
        if metric == metric_of[touchpoint_id]:
            by_channel[touchpoint_id][source][score] += n

    found = {}
    for touchpoint in touchpoints:
        metric = metric_of[touchpoint.id]
        weeks = [c for c in weekly[touchpoint.id].values() if c.total() >= min_n]
        channels = [c for c in by_channel[touchpoint.id].values() if c.total() >= min_n]
        p_weeks, p_channels = homogeneity_p(metric, weeks), homogeneity_p(metric, channels)
        figures = [headline(metric, list(c.elements())) for c in weeks]
        found[touchpoint.id] = Consistency(
            spread=round(max(figures) - min(figures), 1) if len(figures) >= 2 else None,
            inconsistent=any(p is not None and p < alpha for p in (p_weeks, p_channels)),
            periods=len(weeks),
            p_periods=None if p_weeks is None else round(p_weeks, 4),
            p_channels=None if p_channels is None else round(p_channels, 4))
    return found
