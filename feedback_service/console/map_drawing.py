"""Where things go in the journey map's SVG: stations left to right along a route, the steps
between them, and each station's weekly trend.

Geometry only; the template draws it and the stylesheet colours it. Text is
wrapped here because SVG text does not wrap by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..analytics.journey_map import JourneyMap, Station
from ..analytics.journey_report import JourneyReport, TouchpointFigures
from ..analytics.touchpoint_metrics import Bucket
from ..analytics.transitions import Transition

GAP = 184            # between station centres
MARGIN = 104         # from the edge to the first and last centre
ROUTE_Y = 112        # the route, and the centre of every station
RADIUS = 34
NAME_Y = ROUTE_Y + RADIUS + 40  # room under the dot for its "to fix" mark
LINE = 18
NAME_WIDTH = 20      # characters per line of a station's name
META_WIDTH = 24
SPARK_WIDTH = 104
SPARK_HEIGHT = 26
# A step between stations is drawn this wide when nobody got worse on it, and up to
# ``STEP_WIDEST`` for the step where most did.
STEP_THINNEST, STEP_WIDEST = 3, 14
# Where each metric's headline can go, for the sparklines' vertical scale.
RANGES = {"csat": (0.0, 100.0), "ces": (0.0, 100.0), "nps": (-100.0, 100.0)}


@dataclass(frozen=True)
class Spark:
    """A station's weekly headlines as a small line; weeks without answers leave a gap."""

    segments: list[str]  # SVG polyline points, one string per run of answered weeks
    dots: list[tuple[float, float, bool]]  # x, y, provisional
    top: int
    label: str


@dataclass(frozen=True)
class DrawnStep:
    transition: Transition
    x1: int
    x2: int
    width: float
    loses: bool  # most of its customers got worse
    label: str
    sublabel: str


@dataclass(frozen=True)
class DrawnStation:
    station: Station
    x: int
    name_lines: list[str]
    meta: str
    meta_y: int
    n_y: int
    interval_y: int = 0
    figures: TouchpointFigures | None = None
    spark: Spark | None = None

    @property
    def inconsistent(self) -> bool:
        return bool(self.figures and self.figures.consistency and self.figures.consistency.inconsistent)

    @property
    def css_class(self) -> str:
        classes = [f"station band-{self.station.band.replace('_', '-')}"]
        if self.station.n and self.station.provisional:
            classes.append("provisional")
        if self.inconsistent:
            classes.append("inconsistent")
        if self.station.hurts_most:
            classes.append("worst")
        return " ".join(classes)


@dataclass(frozen=True)
class Drawing:
    width: int
    height: int
    route_y: int
    route_start: int
    route_end: int
    radius: int
    name_y: int
    line: int
    stations: list[DrawnStation]
    steps: list[DrawnStep]


def wrap(text: str, width: int, max_lines: int = 2) -> list[str]:
    """Break ``text`` at spaces into at most ``max_lines`` lines; an ellipsis ends what does not fit."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    lines = [line if len(line) <= width else line[: width - 1] + "…" for line in lines] or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return lines


def draw(journey_map: JourneyMap, channel_label, report: JourneyReport | None = None,
         weekly: dict[int, list[Bucket]] | None = None, headline=str) -> Drawing | None:
    """The drawing of a map, or None when the journey has no touchpoints yet. With the journey's
    report and weekly series, each station also gets its trend and the steps between them
    their customers."""
    if not journey_map.stations:
        return None
    figures = {t.touchpoint_id: t for t in report.touchpoints} if report else {}
    lines = max(len(wrap(station.name, NAME_WIDTH)) for station in journey_map.stations)
    drawn = []
    for index, station in enumerate(journey_map.stations):
        x = MARGIN + index * GAP
        name_lines = wrap(station.name, NAME_WIDTH)
        meta = " · ".join(part for part in (channel_label(station.channel), station.team_name or "No team") if part)
        meta_y = NAME_Y + LINE * len(name_lines) + 4
        # Every station's trend on one line, below the tallest name.
        spark_top = NAME_Y + LINE * lines + 4 + 3 * LINE + 8
        spark = _spark(station, weekly.get(station.touchpoint_id) if weekly else None, x, spark_top, headline)
        drawn.append(DrawnStation(station, x, name_lines, wrap(meta, META_WIDTH, 1)[0], meta_y, meta_y + LINE + 2,
                                  meta_y + 2 * LINE + 2, figures.get(station.touchpoint_id), spark))
    last = drawn[-1].x
    bottom = max(max(s.interval_y for s in drawn), max((s.spark.top + SPARK_HEIGHT + 12 for s in drawn if s.spark),
                                                      default=0))
    return Drawing(
        width=last + MARGIN,
        height=bottom + 14,
        route_y=ROUTE_Y,
        route_start=MARGIN - 64,
        route_end=last + 64,
        radius=RADIUS,
        name_y=NAME_Y,
        line=LINE,
        stations=drawn,
        steps=_steps(report.transitions if report else [], {s.station.touchpoint_id: s.x for s in drawn}),
    )


def _spark(station: Station, weeks: list[Bucket] | None, x: int, top: int, headline) -> Spark | None:
    if not weeks or not any(week.figures.n for week in weeks):
        return None
    low, high = RANGES[station.metric]
    step = SPARK_WIDTH / max(1, len(weeks) - 1)
    segments, dots, current = [], [], []
    for i, week in enumerate(weeks):
        if week.figures.score is None:
            if current:
                segments.append(" ".join(current))
            current = []
            continue
        px = round(x - SPARK_WIDTH / 2 + i * step, 1)
        py = round(top + SPARK_HEIGHT * (high - week.figures.score) / (high - low), 1)
        current.append(f"{px},{py}")
        dots.append((px, py, week.figures.provisional))
    if current:
        segments.append(" ".join(current))
    answered = [w for w in weeks if w.figures.score is not None]
    label = (f"{len(weeks)} weeks, from {headline(station.metric, answered[0].figures.score)} "
             f"to {headline(station.metric, answered[-1].figures.score)}")
    return Spark(segments, dots, top, label)


def _steps(transitions: list[Transition], xs: dict[int, int]) -> list[DrawnStep]:
    most = max((t.customers_lost for t in transitions), default=0)
    steps = []
    for t in transitions:
        if t.from_touchpoint_id not in xs or t.to_touchpoint_id not in xs:
            continue
        width = STEP_THINNEST + (STEP_WIDEST - STEP_THINNEST) * (t.customers_lost / most if most else 0)
        if t.customers:
            label = f"{t.customers_lost} of {t.customers} worse"
            sublabel = f"{t.share_contacted_support:.0f}% to support" if t.share_contacted_support else ""
        else:
            label, sublabel = "no one followed", ""
        steps.append(DrawnStep(t, xs[t.from_touchpoint_id] + RADIUS + 4, xs[t.to_touchpoint_id] - RADIUS - 4,
                               round(width, 1), bool(t.share_worse and t.share_worse >= 50), label, sublabel))
    return steps
