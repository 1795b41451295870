"""Extension objects, created unbound here and bound to an app in ``create_app``."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from flask import request
from flask_limiter import Limiter, RateLimitExceeded, RequestLimit
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter
from redis.exceptions import NoScriptError
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from .core.http.smorest import Api

if TYPE_CHECKING:
    from flask_limiter._limits import RuntimeLimit

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
    as the limit itself on the busiest route, so it is not installed; ``init_app``
    refuses a configuration that would need it.

    Its after-request hook adds the ``X-RateLimit-*`` headers and makes
    ``deduct_when`` deductions. With the headers off (``RATELIMIT_HEADERS_ENABLED``,
    the default here) and no ``deduct_when`` (``limit`` refuses one) it has
    nothing to do, so it is not installed: every response would pay for it.

    A route's own limits are checked by ``_hit`` when they are plain windows (no
    meta limits, exemptions, callbacks or dynamic costs): the same hits, keys,
    429 and ``current_limits`` as Flask-Limiter's evaluation, without resolving
    the limits anew on each request, which cost a widget answer as much as its
    Redis round trips. On Redis with the fixed-window strategy, all of a route's
    windows go in one round trip (``_passes_in_one_round_trip``). The storage, its
    in-memory fallback and every other case stay Flask-Limiter's.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._plain_limits: dict[tuple, list[RuntimeLimit]] = {}

    def init_app(self, app) -> None:
        for setting in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION"):
            if app.config.get(setting):
                raise RuntimeError(f"{setting} needs Flask-Limiter's per-request check; declare the limit on "
                                   "the routes instead (feedback_service.extensions.RouteLimiter)")
        super().init_app(app)
        # Its before-request check is for default and application limits, refused above: on
        # every request it would only return.
        app.before_request_funcs[None] = [hook for hook in app.before_request_funcs.get(None, [])
                                          if hook != self._check_request_limit]
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
        if in_middleware:
            return
        limits = self._plain_route_limits(callable_name)
        if limits is None:
            super()._check_request_limit(callable_name=callable_name, in_middleware=False)
            return
        try:
            self._hit(limits)
        except RateLimitExceeded:
            raise
        except Exception:
            # The storage failed: Flask-Limiter's own path marks it dead and counts from memory
            # (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED), or swallows the error, as configured.
            if not (self._in_memory_fallback_enabled and not self._storage_dead):
                raise
            self.logger.warning("Rate limit storage unreachable - falling back to in-memory storage")
            self._storage_dead = True
            self.context.seen_limits.clear()
            super()._check_request_limit(callable_name=callable_name, in_middleware=False)

    def _plain_route_limits(self, callable_name: str | None) -> list[RuntimeLimit] | None:
        """The route's limits, when checking them is only hitting each window in turn; else None.

        Flask-Limiter resolves a route's limits on every request: it calls each limit's
        provider, parses the string, builds its runtime limits and weighs exemptions, meta
        limits, blueprint limits and hints. For a route whose limits use none of those
        the result is the same for the same limit strings, so it is kept per route and
        strings. Anything else (or a dead storage, whose fallback limits Flask-Limiter
        picks) goes through Flask-Limiter's own evaluation, unchanged.
        """
        manager = self.limit_manager
        groups = manager._decorated_limits.get(callable_name or "")
        if (not groups or not (self.enabled and self.initialized) or self._storage_dead
                or self._request_filters or self._meta_limits or not self._fail_on_first_breach
                or manager._route_exemptions or manager._blueprint_limits or manager._endpoint_hints):
            return None
        strings = tuple(group.limit_provider() if callable(group.limit_provider) else group.limit_provider
                        for group in groups)
        key = (callable_name, strings)
        limits = self._plain_limits.get(key)
        if limits is None:
            if any(group.meta_limits or group.exempt_when or group.deduct_when or group.on_breach
                   or callable(group.cost) or callable(group.scope) for group in groups):
                return None
            limits = sorted((limit for group in groups for limit in group), key=lambda limit: limit.limit)
            self._plain_limits[key] = limits
        return limits

    def _hit(self, limits: list[RuntimeLimit]) -> None:
        """What Flask-Limiter's evaluation does for plain limits: hit each window, stop at the first breach."""
        endpoint = self.identify_request()
        method = request.method
        context = self.context
        keys: dict = {}  # the windows of a route share their key function: it runs once
        windows = []
        for limit in limits:
            if limit.method_exempt:
                continue
            key = keys.get(limit.key_func)
            if key is None:
                key = keys[limit.key_func] = limit.key_func()
            scope = limit.scope_for(endpoint, method)
            if not (key and scope):
                self.logger.error(f"Skipping limit: {limit.limit}. Empty value found in parameters.")
                continue
            args = [self._key_prefix, key, scope] if self._key_prefix else [key, scope]
            windows.append((limit, RequestLimit(self, limit.limit, args, False, limit.shared)))
        for (limit, checked), passed in zip(windows, self._passes(windows)):
            context.view_rate_limits.append(checked)
            if not passed:
                self.logger.info("ratelimit %s (%s) exceeded at endpoint: %s", limit.limit, *checked.request_args[-2:])
                checked.breached = True
                context.view_rate_limit = checked
                raise RateLimitExceeded(limit)
        if context.view_rate_limits:
            explicit = [limit for limit in context.view_rate_limits if not limit.shared]
            context.view_rate_limit = explicit[0] if explicit else context.view_rate_limits[0]

    def _passes(self, windows: list[tuple[RuntimeLimit, RequestLimit]]) -> Iterator[bool]:
        """Whether each window takes this hit, one window at a time (stopping where the caller stops)."""
        if len(windows) > 1:
            passes = self._passes_in_one_round_trip(windows)
            if passes is not None:
                yield from passes
                return
        for limit, checked in windows:
            yield self.limiter.hit(limit.limit, *checked.request_args, cost=limit.deduction_amount)

    def _passes_in_one_round_trip(self, windows: list[tuple[RuntimeLimit, RequestLimit]]) -> list[bool] | None:
        """Every window's hit in one Redis round trip: what ``FixedWindowRateLimiter.hit`` sends for each.

        The default ``30/minute;300/hour`` is two windows, and Flask-Limiter sends each its
        own round trip. Batched, the hour also counts an answer the minute refuses (one
        at a time, the first breach stops the count). Other strategies and storages
        (and a Redis that lost its scripts, which the one-at-a-time path loads again)
        go one window at a time.
        """
        storage = self._storage
        if type(self.limiter) is not FixedWindowRateLimiter or type(storage) is not RedisStorage:
            return None
        sha = storage.lua_incr_expire.sha
        commands = [("EVALSHA", sha, 1, storage.prefixed_key(checked.key), limit.limit.get_expiry(),
                     limit.deduction_amount) for limit, checked in windows]
        try:
            counts = _send_together(storage.get_connection().connection_pool, commands)
        except NoScriptError:
            return None
        return [int(count) <= limit.limit.amount for count, (limit, _) in zip(counts, windows)]


def _send_together(pool, commands: list[tuple]) -> list:
    """The commands' replies, sent in one write on one of the pool's connections.

    What a redis-py pipeline does, without its machinery (command stack, retries, callbacks),
    which cost a widget answer more than the round trip itself: 233K instructions against 149K.
    A connection that failed, or that still holds replies unread behind an error, is
    disconnected before it goes back to the pool.
    """
    try:
        connection = pool.get_connection()
    except TypeError:  # redis-py before 5.3 names the command it takes a connection for
        connection = pool.get_connection(commands[0][0])
    try:
        connection.send_packed_command(connection.pack_commands(commands))
        return [connection.read_response() for _ in commands]
    except BaseException:
        connection.disconnect()
        raise
    finally:
        pool.release(connection)


# Storage comes from config (Redis when REDIS_URL is set); see config.finalise.
limiter = RouteLimiter(key_func=get_remote_address)
