"""The service as the submission benchmark serves it: ``gunicorn bench_wsgi:app --pythonpath bench``.

Everything comes from the environment as in production (DATABASE_URL,
REDIS_URL, SECRET_KEY, FEEDBACK_ENV, PUBLIC_BASE_URL), except the widget rate
limits, which are raised out of the way. The limiter itself stays on, so its
storage round trip (memory, or Redis when REDIS_URL is set) is part of what is
measured. ``BENCH_RATELIMIT_ENABLED=0`` switches it off, for profiling only.
"""

from __future__ import annotations

import gc
import os

from feedback_service import create_app

_overrides = {
    "WIDGET_SUBMIT_LIMIT": os.environ.get("BENCH_WIDGET_SUBMIT_LIMIT", "1000000000/hour"),
    "WIDGET_READ_LIMIT": os.environ.get("BENCH_WIDGET_READ_LIMIT", "1000000000/hour"),
}
if os.environ.get("BENCH_RATELIMIT_ENABLED", "1").strip().lower() in {"0", "false", "no", "off"}:
    _overrides["RATELIMIT_ENABLED"] = False

app = create_app(_overrides)
gc.freeze()  # as wsgi.py does
