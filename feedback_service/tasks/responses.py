"""Deprecated job names: see ``feedback_service.collection.jobs``."""

from ..collection.jobs import drain_answers, process_responses

__all__ = ["process_pending", "process_responses"]


def process_pending(mark: str | None = None) -> None:
    """Queued as ``process_pending("responses")``: the drain, which now takes no mark."""
    drain_answers()
