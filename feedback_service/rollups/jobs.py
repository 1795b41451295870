"""The rollups' periodic job: bring the customers' steps up to date (``steps.sweep``)."""

from __future__ import annotations

from .steps import sweep


def sweep_customer_steps() -> int:
    """Customers whose answers changed since the last pass get their steps computed again."""
    return sweep()
