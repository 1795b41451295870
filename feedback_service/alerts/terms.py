"""The terms a rule may set, and the ranges that make sense for each kind on each metric.

Pure data and checks: the schema, the service and the console all hold a rule to these.
"""

from __future__ import annotations

MAX_WINDOW_HOURS = 2160  # 90 days: the journey report's default period
MAX_MIN_N = 100_000
# How many windows back the drop rule's trailing average reaches: the window is compared with
# the four windows before it (a day with the four days before, a week with the month before).
TRAILING_WINDOWS = 4


def threshold_range(kind: str, metric: str) -> tuple[float, float]:
    """(above, at most) for a rule's threshold: it must be more than the first, at most the second.

    below_threshold: a headline (CSAT % and CES % 0–100, NPS −100–100); a line at the scale's
    very bottom could never be crossed. drop: points, more than 0, at most the scale's width.
    negative_surge: a share of comments in percent, more than 0, at most 100.
    """
    if kind == "below_threshold":
        return (-100.0, 100.0) if metric == "nps" else (0.0, 100.0)
    if kind == "drop":
        return (0.0, 200.0) if metric == "nps" else (0.0, 100.0)
    return 0.0, 100.0


def threshold_problem(kind: str, metric: str, threshold: float) -> str | None:
    """What is wrong with ``threshold`` for this kind of rule on this metric, or None."""
    low, high = threshold_range(kind, metric)
    if low < threshold <= high:
        return None
    name = {"csat": "CSAT %", "ces": "CES %", "nps": "NPS"}.get(metric, metric)
    if kind == "below_threshold":
        return f"A {name} headline line: more than {low:g} and at most {high:g} for this touchpoint's metric."
    if kind == "drop":
        return f"The points the {name} must fall by: more than 0 and at most {high:g}."
    return "The share of negative comments, in percent: more than 0 and at most 100."
