"""Periodic work as data: what the worker books every ``SWEEP_INTERVAL`` seconds.

Enqueueing happens after commit and may fail (Redis down, Redis restarted
empty, a worker killed mid-job). The database is the source of truth, so these
jobs find whatever is still pending there and hand it on; the SLA watch, the
daily digests and the event log's retention run on the same clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..alerts.jobs import evaluate_alert_rules
from ..backlog.intake import sweep_recurring_root_causes
from ..collection.jobs import sweep_pending_answers
from ..events.retention import prune_events
from ..loop.jobs import check_sla, sweep_digests
from ..mail.jobs import sweep_due_emails
from ..rollups.jobs import sweep_customer_steps
from ..themes.jobs import sweep_themes
from ..webhooks.jobs import sweep_due_deliveries


@dataclass(frozen=True)
class Periodic:
    """A job the clock books; several workers share one booking per interval (its job id)."""

    func: Callable[[], object]

    @property
    def name(self) -> str:
        return f"{self.func.__module__}.{self.func.__name__}"


# In the order a sweep without a queue runs them: the SLA watch before the digests, so what just
# went late is counted overdue there, and before the webhooks, so its breach events go out now.
PERIODIC_JOBS = (
    Periodic(sweep_pending_answers),
    Periodic(sweep_due_emails),
    Periodic(check_sla),
    Periodic(sweep_digests),
    Periodic(evaluate_alert_rules),
    Periodic(sweep_due_deliveries),
    Periodic(prune_events),
    Periodic(sweep_themes),
    # The customers' steps between touchpoints, for the journey report's transitions.
    Periodic(sweep_customer_steps),
    Periodic(sweep_recurring_root_causes),
)


def run_periodic_jobs() -> None:
    """Every periodic job, here and now, in order (the worker without Redis, and ``--burst``)."""
    for job in PERIODIC_JOBS:
        job.func()
