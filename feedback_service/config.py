"""Configuration: defaults here, overrides from the environment at app creation.

Nothing in this module reads the environment at import time: ``create_app``
passes ``os.environ`` to ``from_environ`` and a test's dict over it, then
``finalise`` fills in what depends on other settings.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_SLA_HOURS = {"urgent": 4, "high": 24, "normal": 72, "low": 168}
DEFAULT_WEBHOOK_RETRY_SCHEDULE = "5,300,1800,7200,18000,36000,36000"
# What production accepts as SECRET_KEY: token_urlsafe(32) gives 43 characters.
SECRET_KEY_MIN_LENGTH = 32


class ConfigError(RuntimeError):
    """The environment cannot make a working service; the message says what to set."""


def defaults(instance_path: Path) -> dict[str, Any]:
    return {
        "ENV_NAME": "development",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance_path / 'feedback.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "REDIS_URL": None,
        # Every Redis client the app makes uses these, so a hung Redis costs a
        # request at most this long instead of hanging it.
        "REDIS_SOCKET_TIMEOUT": 0.5,
        "REDIS_CONNECT_TIMEOUT": 0.5,
        "SECRET_KEY": None,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "WIDGET_MAX_BODY_BYTES": 16 * 1024,
        "SWEEP_INTERVAL": 30,
        "SENTIMENT_GRACE_SECONDS": 60,
        "SENTIMENT_POSITIVE_THRESHOLD": 0.05,
        "SENTIMENT_NEGATIVE_THRESHOLD": -0.05,
        "SMTP_URL": None,
        "MAIL_FROM": "feedback@localhost",
        # Seconds to wait before each new attempt at an email (then it is failed).
        "MAIL_RETRY_SCHEDULE": [30, 120, 600, 1800, 7200],
        # The daily digest of follow-ups goes to each member of staff at the first sweep
        # at or after this hour (UTC: neither organisations nor staff have a timezone yet).
        "DIGEST_HOUR": 8,
        "WEBHOOK_ALLOW_PRIVATE_URLS": False,
        "WEBHOOK_RETRY_SCHEDULE": DEFAULT_WEBHOOK_RETRY_SCHEDULE,
        # One attempt may take this long, connection and answer included.
        "WEBHOOK_TIMEOUT_SECONDS": 15,
        # Events (and their deliveries) older than this are deleted by the sweep.
        "WEBHOOK_EVENT_RETENTION_DAYS": 30,
        # GET /events on PostgreSQL shows an event once every older transaction has
        # ended; when committed events wait on one, the request waits up to this long.
        "EVENT_LOG_SETTLE_SECONDS": 1.0,
        # Sync listings (updated_after, exports) show a row once its updated_at is this
        # old, so every change stamped before it has committed (core/sync_window.py).
        "SYNC_SETTLE_SECONDS": 5.0,
        # Below this many answers a figure is provisional: shown, marked, and ranked by its interval.
        "ANALYTICS_MIN_N": 30,
        # Themes: found in each touchpoint's comments of this many days, at most this many topics,
        # and found again at most this often while its comments keep changing (and daily anyway).
        "THEMES_WINDOW_DAYS": 90,
        "THEMES_MAX": 10,
        "THEMES_REFRESH_MINUTES": 60,
        # A customer's answer at the next station counts as the same journey within this many days.
        "ANALYTICS_TRANSITION_DAYS": 30,
        # Consistency: how many seven-day periods back, the answers a period (or channel) needs to
        # take part, and the p-value below which the swing is more than chance.
        "ANALYTICS_CONSISTENCY_PERIODS": 8,
        "ANALYTICS_CONSISTENCY_MIN_N": 20,
        "ANALYTICS_CONSISTENCY_P": 0.01,
        # The worker's sweep looks at each alert rule at most this often (alerts/jobs.py).
        "ALERT_EVALUATION_SECONDS": 300,
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
        "RQ_QUEUES": ["default"],
        # Flask-Limiter: per IP and touchpoint on the public routes. With Redis
        # configured the counters are shared by every worker; when Redis is down
        # the limiter falls back to memory and never fails a request.
        "RATELIMIT_ENABLED": True,
        # No X-RateLimit-* headers: they cost a storage round trip on every request.
        # A refused request still says when to come back (Retry-After, core/http/rate_limit.py).
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": "feedback-limits",
        "WIDGET_SUBMIT_LIMIT": "30/minute;300/hour",
        "WIDGET_READ_LIMIT": "120/minute",
        # Behind a reverse proxy, how many X-Forwarded-For hops to trust (0: none).
        "TRUSTED_PROXY_COUNT": 0,
        # flask-smorest / OpenAPI
        "API_TITLE": "feedback_service",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        # Served from the swagger-ui-bundle package, so the docs work offline.
        "OPENAPI_SWAGGER_UI_URL": "/api/v1/docs/assets/",
    }


def _as_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _normalise_database_url(url: str) -> str:
    # Heroku-style and bare postgres URLs should use psycopg 3, the driver we ship.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


# Settings that are numbers: (type, the least value allowed or None, what the number is).
NUMBERS: dict[str, tuple[type, float | None, str]] = {
    "WEBHOOK_EVENT_RETENTION_DAYS": (int, 1, "a whole number of days"),
    "EVENT_LOG_SETTLE_SECONDS": (float, 0, "a number of seconds"),
    "SYNC_SETTLE_SECONDS": (float, 0, "a number of seconds, longer than any write transaction (default 5)"),
    "TRUSTED_PROXY_COUNT": (int, 0, "the number of proxies in front (0, 1, 2…)"),
    "SENTIMENT_POSITIVE_THRESHOLD": (float, None, "a VADER compound score between -1 and 1, e.g. 0.05"),
    "SENTIMENT_NEGATIVE_THRESHOLD": (float, None, "a VADER compound score between -1 and 1, e.g. -0.05"),
    "SWEEP_INTERVAL": (int, 1, "a whole number of seconds"),
    # How old a pending comment must be before the sweep enqueues it again.
    "SENTIMENT_GRACE_SECONDS": (int, 0, "a whole number of seconds"),
    "DIGEST_HOUR": (int, 0, "an hour of the day, 0 to 23"),
    "ALERT_EVALUATION_SECONDS": (int, 0, "a whole number of seconds (default 300)"),
    "ANALYTICS_MIN_N": (int, 1, "a whole number of answers, 1 or more (default 30)"),
    "THEMES_WINDOW_DAYS": (int, 1, "a whole number of days, 1 or more (default 90)"),
    "THEMES_MAX": (int, 2, "a whole number of themes, 2 or more (default 10)"),
    "THEMES_REFRESH_MINUTES": (int, 0, "a whole number of minutes (default 60)"),
    "ANALYTICS_TRANSITION_DAYS": (int, 1, "a whole number of days, 1 or more (default 30)"),
    "ANALYTICS_CONSISTENCY_PERIODS": (int, 2, "a whole number of seven-day periods, 2 or more (default 8)"),
    "ANALYTICS_CONSISTENCY_MIN_N": (int, 1, "a whole number of answers, 1 or more (default 20)"),
    "ANALYTICS_CONSISTENCY_P": (float, 0, "a p-value between 0 and 1, e.g. 0.01"),
}


def _number(name: str, text: str, kind: type, least: float | None, what: str):
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or (least is not None and value < least):
        raise ConfigError(f"{name} must be {what}; it is {text!r}.")
    return value


def from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """Translate the documented environment variables into config keys."""
    config: dict[str, Any] = {}
    if environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(environ["DATABASE_URL"])
    if environ.get("REDIS_URL"):
        config["REDIS_URL"] = environ["REDIS_URL"]
    if environ.get("SECRET_KEY"):
        config["SECRET_KEY"] = environ["SECRET_KEY"]
    if environ.get("FEEDBACK_ENV"):
        config["ENV_NAME"] = environ["FEEDBACK_ENV"]
    if environ.get("SMTP_URL"):
        config["SMTP_URL"] = environ["SMTP_URL"]
    if environ.get("MAIL_FROM"):
        config["MAIL_FROM"] = environ["MAIL_FROM"]
    if environ.get("PUBLIC_BASE_URL"):
        config["PUBLIC_BASE_URL"] = environ["PUBLIC_BASE_URL"].rstrip("/")
    if "WEBHOOK_ALLOW_PRIVATE_URLS" in environ:
        config["WEBHOOK_ALLOW_PRIVATE_URLS"] = _as_bool(environ["WEBHOOK_ALLOW_PRIVATE_URLS"])
    if environ.get("WEBHOOK_RETRY_SCHEDULE"):
        config["WEBHOOK_RETRY_SCHEDULE"] = environ["WEBHOOK_RETRY_SCHEDULE"]
    for name, (kind, least, what) in NUMBERS.items():
        if environ.get(name):
            config[name] = _number(name, environ[name], kind, least, what)
    return config


def finalise(config: dict[str, Any], instance_path: Path) -> None:
    """Fill in what depends on other settings, and refuse unsafe production setups."""
    config["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])
    if not config.get("RATELIMIT_STORAGE_URI"):
        config["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"] or "memory://"
        if config["REDIS_URL"]:
            config.setdefault("RATELIMIT_STORAGE_OPTIONS", {
                "socket_timeout": config["REDIS_SOCKET_TIMEOUT"],
                "socket_connect_timeout": config["REDIS_CONNECT_TIMEOUT"],
            })
    config["WEBHOOK_RETRY_DELAYS"] = parse_retry_schedule(config["WEBHOOK_RETRY_SCHEDULE"])
    if not 0 <= int(config["DIGEST_HOUR"]) <= 23:
        raise ConfigError(f"DIGEST_HOUR must be an hour of the day, 0 to 23; it is {config['DIGEST_HOUR']!r}.")
    positive, negative = config["SENTIMENT_POSITIVE_THRESHOLD"], config["SENTIMENT_NEGATIVE_THRESHOLD"]
    if not -1 <= negative <= positive <= 1:
        raise ConfigError(f"SENTIMENT_NEGATIVE_THRESHOLD ({negative}) must not be above SENTIMENT_POSITIVE_THRESHOLD "
                          f"({positive}), both between -1 and 1 (VADER's own: -0.05 and 0.05).")
    if not config.get("SECRET_KEY"):
        if config["ENV_NAME"] == "production":
            raise ConfigError(
                "SECRET_KEY is not set. Production refuses to start without one: "
                "set SECRET_KEY to a long random string (python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')."
            )
        config["SECRET_KEY"] = _development_secret_key(instance_path)
    elif config["ENV_NAME"] == "production" and len(config["SECRET_KEY"]) < SECRET_KEY_MIN_LENGTH:
        # It signs sessions, edit tokens and email links: a short one can be guessed offline.
        raise ConfigError(
            f"SECRET_KEY is {len(config['SECRET_KEY'])} characters; production needs at least "
            f"{SECRET_KEY_MIN_LENGTH}: python -c 'import secrets; print(secrets.token_urlsafe(48))'."
        )


def parse_retry_schedule(schedule: str | list | tuple) -> list[float]:
    """``"5,300,1800"`` (or a list) as the seconds to wait before each retry of a webhook."""
    parts = schedule.split(",") if isinstance(schedule, str) else list(schedule)
    try:
        delays = [float(part) for part in parts if str(part).strip()]
    except (TypeError, ValueError):
        delays = []
    if not delays or any(not 0 <= delay <= 7 * 24 * 3600 for delay in delays):
        raise ConfigError(
            f"WEBHOOK_RETRY_SCHEDULE={schedule!r} is not a list of seconds: use comma-separated "
            f"numbers from 0 to 604800, e.g. {DEFAULT_WEBHOOK_RETRY_SCHEDULE!r}."
        )
    return delays


def _development_secret_key(instance_path: Path) -> str:
    """A key generated once into instance/, so sessions survive restarts in development."""
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()
