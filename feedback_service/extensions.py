"""Extension objects, created unbound here and bound to an app in ``create_app``."""

from __future__ import annotations

from functools import partial

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from .api.base import Api

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
api = Api()


class RouteLimiter(Limiter):
    """Flask-Limiter, for limits declared on routes (``@limiter.limit``) only.

    Flask-Limiter also checks before every request for default, application
    and blueprint limits. This app declares none, and that check costs as much
    as the limit itself on the busiest route, so it is skipped; ``init_app``
    refuses a configuration that would need it.

    Its after-request hook adds the ``X-RateLimit-*`` headers and makes
    ``deduct_when`` deductions. With the headers off (``RATELIMIT_HEADERS_ENABLED``,
    the default here) and no ``deduct_when`` (``limit`` refuses one) it has
    nothing to do, so it is not installed: every response would pay for it.
    """

    def init_app(self, app) -> None:
        for setting in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION"):
            if app.config.get(setting):
                raise RuntimeError(f"{setting} needs Flask-Limiter's per-request check; declare the limit on "
                                   "the routes instead (feedback_service.extensions.RouteLimiter)")
        super().init_app(app)
        if not self._headers_enabled:
            app.after_request_funcs[None] = [hook for hook in app.after_request_funcs.get(None, [])
                                             if not self._is_header_hook(hook)]

    def _is_header_hook(self, hook) -> bool:
        return (isinstance(hook, partial) and hook.func is getattr(Limiter, "_Limiter__inject_headers")
                and hook.args[:1] == (self,))

    def limit(self, *args, **kwargs):
        if kwargs.get("deduct_when") is not None:
            raise TypeError("RouteLimiter runs no after-request hook: deduct_when would never deduct")
        return super().limit(*args, **kwargs)

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if not in_middleware:
            super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)


# Storage comes from config (Redis when REDIS_URL is set); see config.finalise.
limiter = RouteLimiter(key_func=get_remote_address)
