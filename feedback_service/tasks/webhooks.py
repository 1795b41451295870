"""Deprecated job names: see ``feedback_service.webhooks.jobs``."""

from ..webhooks import jobs
from ..webhooks.jobs import send_delivery

__all__ = ["drain_deliveries", "send_delivery"]


def drain_deliveries(mark: str | None = None) -> int:
    """Queued as ``drain_deliveries("webhooks")``: the drain, which now takes no mark."""
    return jobs.drain_deliveries()
