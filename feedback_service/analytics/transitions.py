"""Transitions: what happens to customers between one station of the journey and the next.

For each pair of consecutive live touchpoints (A, B) in journey order, the customers' steps
from A to B (``rollups.steps``: an answer at A, then that customer's very next answer, at B,
within ``ANALYTICS_TRANSITION_DAYS``) whose answer at A falls on a day of the period: how
many, their mean change on the 0–1 scale every metric shares (each metric's lowest answer
is 0, its highest 1), the share who got worse, and the share who, within the same days
after A, answered at a support touchpoint (phone or chat) other than A and B: the seeds'
"the checkout failed, so they called". A customer who walks the pair twice counts twice.

The steps are kept by the worker's sweep, so a report shows the steps as of its last pass
(``SWEEP_INTERVAL``). The transition that loses most customers is the one where most got
worse (ties: the larger mean fall, then earlier in the journey).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ..models import Touchpoint
from ..rollups.steps import step_totals


@dataclass(frozen=True)
class Transition:
    from_touchpoint_id: int
    to_touchpoint_id: int
    customers: int
    mean_change: float | None
    share_worse: float | None
    share_contacted_support: float | None
    # How many got worse on the way: the count the ranking of transitions goes by.
    customers_lost: int = 0


def transitions(touchpoints: list[Touchpoint], since: datetime, until: datetime) -> list[Transition]:
    """One ``Transition`` per consecutive pair of ``touchpoints`` (live, in journey order)."""
    pairs = list(zip(touchpoints, touchpoints[1:], strict=False))
    if not pairs:
        return []
    totals = step_totals([a.id for a, _ in pairs], since.astimezone(UTC).date(), until.astimezone(UTC).date())
    return [_summary(a.id, b.id, totals.get((a.id, b.id))) for a, b in pairs]


def _summary(a_id: int, b_id: int, total: tuple | None) -> Transition:
    if not total or not total[0]:
        return Transition(a_id, b_id, 0, None, None, None)
    n, change, worse, called = total
    return Transition(a_id, b_id, n, mean_change=round(change / n, 3), share_worse=round(100 * worse / n, 1),
                      share_contacted_support=round(100 * called / n, 1), customers_lost=worse)


def losing_most(found: list[Transition]) -> Transition | None:
    """The transition where most customers got worse; None when nobody got worse anywhere."""
    losing = [t for t in found if t.customers_lost > 0]
    if not losing:
        return None
    order = {id(t): i for i, t in enumerate(found)}
    return min(losing, key=lambda t: (-t.customers_lost, t.mean_change, order[id(t)]))
