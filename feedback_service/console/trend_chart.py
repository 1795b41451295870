"""The geometry of a touchpoint's trend chart: each bucket's headline as a point, its 95 %
interval as a whisker, provisional buckets hollow, and the metric's healthy and hurting lines.

Only numbers here; ``templates/console/_trend_chart.svg.html`` draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..analytics.figures import THRESHOLDS
from ..analytics.touchpoint_metrics import TouchpointMetrics

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float | None
    y_low: float | None
    y_high: float | None
    provisional: bool
    label: str  # the bucket's start, for the axis and the tooltip
    n: int
    score: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    points: list[ChartPoint]
    ticks: list[tuple[float, str]]  # (y, label) of the value axis
    healthy_y: float
    hurting_y: float
    plot_left: float
    plot_right: float
    step: float


def trend_chart(metrics: TouchpointMetrics) -> TrendChart:
    low, high = (-100.0, 100.0) if metrics.metric == "nps" else (0.0, 100.0)

    def y(value: float) -> float:
        return round(TOP + (high - value) / (high - low) * (HEIGHT - TOP - BOTTOM), 1)

    count = max(1, len(metrics.series))
    step = (WIDTH - LEFT - RIGHT) / count
    points = []
    for index, bucket in enumerate(metrics.series):
        figures = bucket.figures
        points.append(ChartPoint(
            x=round(LEFT + step * (index + 0.5), 1),
            y=y(figures.score) if figures.score is not None else None,
            y_low=y(figures.ci_low) if figures.ci_low is not None else None,
            y_high=y(figures.ci_high) if figures.ci_high is not None else None,
            provisional=figures.provisional, label=bucket.start.strftime("%-d %b"), n=figures.n,
            score=figures.score, ci_low=figures.ci_low, ci_high=figures.ci_high))
    ticks = [(y(value), f"{value:+.0f}" if metrics.metric == "nps" and value else f"{value:.0f}")
             for value in (high, (high + low) / 2, low)]
    healthy, hurting = THRESHOLDS[metrics.metric]
    return TrendChart(width=WIDTH, height=HEIGHT, points=points, ticks=ticks, healthy_y=y(healthy),
                      hurting_y=y(hurting), plot_left=LEFT, plot_right=WIDTH - RIGHT, step=round(step, 1))
