"""``/``, ``/login`` and ``/logout``."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..core.database import commit
from ..core.http.rate_limit import limiter
from .blueprint import bp
from .forms import LoginForm, LogoutForm, check_csrf, csrf_failed
from .identity import authenticate, record_sign_in, staff_member

log = logging.getLogger(__name__)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site; anything absolute or odd is ignored."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(char) < 32 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _home() -> str:
    return url_for("console.inbox")


@bp.get("/")
def index():
    return redirect(_home() if current_user.is_authenticated else url_for("console.login"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("CONSOLE_LOGIN_LIMIT", "10/minute"), methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
        if current_user.is_authenticated:
            return redirect(form.next.data or _home())
    error = None
    if form.validate_on_submit():
        outcome = authenticate(form.email.data, form.password.data)
        if outcome.user is not None:
            record_sign_in(outcome.user)
            member = staff_member(outcome.user)
            commit()
            session.clear()  # nothing from before the sign-in carries over
            login_user(member)
            return redirect(safe_next(form.next.data) or _home())
        error = outcome.error
        log.warning("console sign-in refused from %s: %s", request.remote_addr, error)
    elif csrf_failed(form):
        # A login page left open past the token's lifetime: ask again, kindly, as a 400.
        form.csrf_token.errors = []
        return render_template("console/login.html", form=form,
                               error="This sign-in form had expired. Please sign in again."), 400
    status = 401 if error else (422 if form.errors else 200)
    return render_template("console/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    check_csrf(LogoutForm())
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("console.login"))
