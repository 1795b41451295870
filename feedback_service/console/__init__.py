"""The staff console: server-rendered pages behind a session login.

Routes are thin: they read a form or an id, call a feature's function, render
a template under ``templates/console/``. Everything here is scoped to the
signed-in user's organisation by ``blueprint`` (see ``core.tenancy``).

May import: features, core, models, extensions, config.
"""

from __future__ import annotations

from flask import Flask


def register_console(app: Flask) -> None:
    """Bind the login manager and mount the console's pages on ``app``."""
    from . import (  # noqa: F401  (they add routes to bp)
        alerts,
        audits,
        backlog,
        customers,
        follow_ups,
        inbox,
        journeys,
        metrics,
        outbox,
        settings,
        sign_in,
        touchpoints,
    )
    from .blueprint import bp
    from .identity import login_manager

    # The session cookie carries the login: no script may read it, and other
    # sites' forms cannot send it. Over HTTPS it is sent only over HTTPS.
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    if str(app.config.get("PUBLIC_BASE_URL", "")).startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    login_manager.init_app(app)
    app.register_blueprint(bp)
