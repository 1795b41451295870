"""Where things go in the journey map's SVG: stations left to right along a route.

Geometry only; the template draws it and the stylesheet colours it. Text is
wrapped here because SVG text does not wrap by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..analytics.journey_map import JourneyMap, Station

GAP = 184            # between station centres
MARGIN = 104         # from the edge to the first and last centre
ROUTE_Y = 112        # the route, and the centre of every station
RADIUS = 34
NAME_Y = ROUTE_Y + RADIUS + 30
LINE = 18
NAME_WIDTH = 20      # characters per line of a station's name
META_WIDTH = 24


@dataclass(frozen=True)
class DrawnStation:
    station: Station
    x: int
    name_lines: list[str]
    meta: str
    meta_y: int
    n_y: int

    @property
    def css_class(self) -> str:
        return f"station band-{self.station.band.replace('_', '-')}" + (" worst" if self.station.hurts_most else "")


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


def draw(journey_map: JourneyMap, channel_label) -> Drawing | None:
    """The drawing of a map, or None when the journey has no touchpoints yet."""
    if not journey_map.stations:
        return None
    drawn = []
    for index, station in enumerate(journey_map.stations):
        name_lines = wrap(station.name, NAME_WIDTH)
        meta = " · ".join(part for part in (channel_label(station.channel), station.team_name or "No team") if part)
        meta_y = NAME_Y + LINE * len(name_lines) + 4
        drawn.append(DrawnStation(station, MARGIN + index * GAP, name_lines,
                                  wrap(meta, META_WIDTH, 1)[0], meta_y, meta_y + LINE + 2))
    last = drawn[-1].x
    return Drawing(
        width=last + MARGIN,
        height=max(station.n_y for station in drawn) + 14,
        route_y=ROUTE_Y,
        route_start=MARGIN - 64,
        route_end=last + 64,
        radius=RADIUS,
        name_y=NAME_Y,
        line=LINE,
        stations=drawn,
    )
