"""How rules and their figures read, in emails, on the console and in the API's ``description``.

Plain text only; nothing here touches the database.
"""

from __future__ import annotations

from ..analytics.figures import headline_text as headline
from ..analytics.figures import metric_name
from ..analytics.figures import number_text as _number
from .terms import TRAILING_WINDOWS

KIND_NAMES = {"below_threshold": "Below a threshold", "drop": "Sudden drop",
              "negative_surge": "Surge of negative comments"}


__all__ = ["describe", "figure", "headline", "metric_name", "span"]


def figure(kind: str, metric: str, value: float | None) -> str:
    """A rule's figure on its threshold's scale: the headline, the points dropped, the negative share."""
    if value is None:
        return "—"
    if kind == "drop":
        return f"{_number(value)} point{'' if value == 1 else 's'}"
    if kind == "negative_surge":
        return f"{_number(value)}% negative"
    return headline(metric, value)


def span(hours: int) -> str:
    """``24 h``, ``7 days``."""
    if hours % 24 == 0 and hours >= 48:
        return f"{hours // 24} days"
    return f"{hours} h"


def describe(kind: str, metric: str, threshold: float, window_hours: int, min_n: int) -> str:
    """One line a person reads: what fires this rule."""
    name, over = metric_name(metric), span(window_hours)
    if kind == "below_threshold":
        return (f"{name} over the last {over} below {headline(metric, threshold)} "
                f"(surely, by its 95 % interval; at least {min_n} answers)")
    if kind == "drop":
        return (f"{name} over the last {over} down {figure('drop', metric, threshold)} or more on the "
                f"{TRAILING_WINDOWS} × {over} before it (beyond its 95 % interval; at least {min_n} answers in each)")
    return (f"At least {_number(threshold)}% of the comments of the last {over} negative "
            f"(surely, by its 95 % interval; at least {min_n} scored comments)")
