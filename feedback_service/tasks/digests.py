"""Deprecated job names: see ``feedback_service.loop.jobs``."""

from ..loop.jobs import send_digest

__all__ = ["send_digest"]
