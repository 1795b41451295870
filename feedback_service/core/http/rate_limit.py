"""Rate limits on the public routes, with stock Flask-Limiter.

The widget, hosted-page and sign-in routes declare their limits with
``@limiter.limit``; the limit strings are read from the config on each request,
so a deployment (or a test) can change them. Counters live in Redis when
``REDIS_URL`` is set, shared by every worker, and fall back to memory when it is
away (``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``): a limiter that cannot count
never fails a request.
"""

from __future__ import annotations

import time

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)


def per_address_and_touchpoint() -> str:
    """The key of the public routes' limits: one customer's address, at one touchpoint."""
    return f"{request.remote_addr}:{(request.view_args or {}).get('pk', '')}"


def submit_limit() -> str:
    """How many answers (and comments) one address may send to one touchpoint."""
    return current_app.config["WIDGET_SUBMIT_LIMIT"]


def read_limit() -> str:
    """How many surveys, pages and impressions one address may ask of one touchpoint."""
    return current_app.config["WIDGET_READ_LIMIT"]


def retry_after_seconds() -> int:
    """Seconds until the window of the limit this request broke resets (60 when unknown)."""
    try:
        breached = [limit.reset_at for limit in limiter.current_limits if limit.breached]
    except Exception:  # the limiter's storage went away: a guess beats no header
        breached = []
    return max(1, int(max(breached) - time.time())) if breached else 60
