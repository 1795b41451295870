"""Deprecated job names: see ``feedback_service.worker.schedule``."""

from ..worker.schedule import run_periodic_jobs

__all__ = ["periodic_sweep"]


def periodic_sweep() -> None:
    """Queued by workers of the previous release as one job for the whole sweep."""
    run_periodic_jobs()
