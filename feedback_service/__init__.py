"""feedback_service: customer feedback at every touchpoint, with the loop closed.

``create_app`` is the composition root: the one place that knows every package.
Below it, imports run one way (adapters → features → core → models); see
docs/architecture.md.

May import: every package (and nothing imports it but ``wsgi.py``, the tests and the benches).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_smorest import abort

from . import config as config_module

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides the environment, which overrides defaults."""
    app = Flask(__name__, instance_relative_config=True)
    instance_path = Path(app.instance_path)
    settings = config_module.defaults(instance_path)
    settings.update(config_module.from_environ(os.environ))
    settings.update(config or {})
    config_module.finalise(settings, instance_path)
    app.config.update(settings)
    app.json.sort_keys = False  # keep fields in schema order: id first, timestamps last
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        instance_path.mkdir(parents=True, exist_ok=True)

    _configure_logging(app)
    _init_extensions(app)
    _register_adapters(app)
    _install_request_hooks(app)
    if app.config["TRUSTED_PROXY_COUNT"]:
        # Behind a reverse proxy every request comes from the proxy: the client's address (for the
        # per-IP rate limits) and scheme (for our own origin) come from the hops we trust.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


def _init_extensions(app: Flask) -> None:
    from .backlog import intake  # noqa: F401  (hears audit.submitted: its findings join the backlog)
    from .core import tenancy  # noqa: F401  (installs the tenant filter on every session)
    from .core.database import init_database, render_migration_type
    from .core.errors import register_error_handlers
    from .core.http.rate_limit import limiter
    from .extensions import db, migrate
    from .webhooks import fanout  # noqa: F401  (hears every recorded event: the deliveries it owes)

    init_database(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True,
                     compare_type=True, render_item=_render_item(render_migration_type))
    limiter.init_app(app)
    register_error_handlers(app)


def _register_adapters(app: Flask) -> None:
    from .api import register_api
    from .cli import register_cli
    from .console import register_console
    from .web import register_web

    register_api(app)
    register_web(app)
    register_console(app)
    register_cli(app)


def _render_item(render_type):
    def render_item(kind, obj, autogen_context):
        return render_type(obj, None, autogen_context) if kind == "type" else False

    return render_item


def _install_request_hooks(app: Flask) -> None:
    from .core.tenancy import restore_request_tenant

    @app.before_request
    def _require_json_bodies():
        # Without this, a form-encoded body would surface as "missing field"
        # errors; saying what is wrong with the request is kinder.
        if request.method not in ("POST", "PUT", "PATCH") or not request.path.startswith(("/api/", "/w/")):
            return
        has_body = bool(request.content_length) or "chunked" in request.environ.get("HTTP_TRANSFER_ENCODING", "")
        if has_body and not request.is_json:
            abort(415)

    @app.teardown_request
    def _forget_tenant(exc):
        restore_request_tenant()


def _configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
