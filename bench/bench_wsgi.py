"""The service as the submission benchmark serves it: ``gunicorn bench_wsgi:app --pythonpath bench``.

Everything comes from the environment as in production (DATABASE_URL,
REDIS_URL, SECRET_KEY, FEEDBACK_ENV, PUBLIC_BASE_URL), except the widget rate
limits, which are raised out of the way: the same windows as the defaults
(``30/minute;300/hour`` is a count per minute and one per hour), each too large
to be reached. The limiter itself stays on, so its storage round trips (one a
window; memory, or Redis when REDIS_URL is set) are part of what is measured.
``BENCH_WIDGET_SUBMIT_LIMIT`` sets another limit; ``BENCH_RATELIMIT_ENABLED=0``
switches the limiter off, for profiling only.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

from feedback_service import create_app
from feedback_service.config import defaults


def _out_of_reach(limits: str) -> str:
    """``limits`` with every count raised beyond reach, its windows kept: ``1000000000/minute;…``."""
    return ";".join(f"1000000000/{limit.split('/', 1)[1].strip()}" for limit in limits.split(";"))


_defaults = defaults(Path("instance"))
_overrides = {
    "WIDGET_SUBMIT_LIMIT": os.environ.get("BENCH_WIDGET_SUBMIT_LIMIT",
                                          _out_of_reach(_defaults["WIDGET_SUBMIT_LIMIT"])),
    "WIDGET_READ_LIMIT": os.environ.get("BENCH_WIDGET_READ_LIMIT", _out_of_reach(_defaults["WIDGET_READ_LIMIT"])),
}
if os.environ.get("BENCH_RATELIMIT_ENABLED", "1").strip().lower() in {"0", "false", "no", "off"}:
    _overrides["RATELIMIT_ENABLED"] = False

app = create_app(_overrides)
gc.freeze()  # as wsgi.py does
