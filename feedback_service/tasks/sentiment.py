"""Deprecated job names: see ``feedback_service.sentiment.jobs``."""

from ..sentiment.jobs import drain_pending, rescore, score_responses

__all__ = ["drain_pending", "rescore", "score_responses"]
