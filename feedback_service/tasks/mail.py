"""Deprecated job names: see ``feedback_service.mail.jobs``."""

from ..mail.jobs import send_email

__all__ = ["send_email"]
