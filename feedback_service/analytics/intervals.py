"""95 % intervals for the headlines, so a figure from a handful of answers says how little it knows.

CSAT % and CES % are shares (of the top box), and get the Wilson score
interval: unlike the textbook ``p ± z·√(p(1−p)/n)`` it stays inside 0–100 and
is honest at small n and at 0 % or 100 %. NPS is a difference of two shares of
one sample (promoters − detractors); its interval is the normal approximation
of that difference, whose variance per answer is ``p + d − (p − d)²``, with one
promoter, one passive and one detractor added first (the adjusted Wald of
Agresti and Caffo, applied to the trinomial) so that small samples and
all-promoter samples do not get an interval of zero width. Clipped to −100…100.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from ..journeys.surveys import METRICS

LEVEL = 0.95
Z = 1.959963984540054  # the standard normal's 97.5th percentile

WILSON = "wilson"
NPS_ADJUSTED_WALD = "adjusted_wald_trinomial"


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    level: float
    method: str


def wilson(successes: int, n: int) -> Interval | None:
    """The Wilson score interval of a share, in percent; None with no answers."""
    if n <= 0:
        return None
    p = successes / n
    centre = p + Z * Z / (2 * n)
    margin = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    scale = 1 + Z * Z / n
    return Interval(round(100 * max(0.0, (centre - margin) / scale), 1),
                    round(100 * min(1.0, (centre + margin) / scale), 1), LEVEL, WILSON)


def nps_interval(promoters: int, detractors: int, n: int) -> Interval | None:
    """The interval of NPS (−100…100) for ``n`` answers of which so many promoters and detractors."""
    if n <= 0:
        return None
    adjusted = n + 3
    p, d = (promoters + 1) / adjusted, (detractors + 1) / adjusted
    margin = Z * math.sqrt(max(0.0, p + d - (p - d) ** 2) / adjusted)
    centre = p - d
    return Interval(round(100 * max(-1.0, centre - margin), 1), round(100 * min(1.0, centre + margin), 1),
                    LEVEL, NPS_ADJUSTED_WALD)


def interval_for(metric: str, counts: Counter) -> Interval | None:
    """The headline's interval for a score histogram on ``metric``'s scale."""
    scale = METRICS[metric]
    n = sum(counts.values())
    top = sum(count for score, count in counts.items() if scale.is_top_box(score))
    if metric == "nps":
        low = sum(count for score, count in counts.items() if scale.is_low(score))
        return nps_interval(top, low, n)
    return wilson(top, n)
