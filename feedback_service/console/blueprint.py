"""The console blueprint: sign-in required, tenant set, strict headers, HTML errors.

Every console request passes here first. A signed-in user's organisation
becomes the tenant, so every query a page makes is scoped to it (the app
resets the tenant at teardown); anyone else is sent to ``/login?next=…``.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from ..core.errors import ServiceError
from ..core.tenancy import set_tenant
from ..extensions import db
from . import formatting
from .forms import LogoutForm
from .identity import login_manager

bp = Blueprint("console", __name__)

# Reachable signed out; everything else in the console needs a session.
PUBLIC_ENDPOINTS = {"console.index", "console.login"}

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

# Werkzeug's texts are written for developers; these are for staff.
ERROR_MESSAGES = {
    405: "This page cannot be used that way.",
    429: "Too many attempts from your address. Wait a minute, then try again.",
}
ERROR_TITLES = {
    400: "That request could not be used",
    403: "You do not have access to this",
    404: "Not found",
    405: "Not allowed",
    422: "That link could not be used",
    429: "Too many attempts",
}


@bp.before_request
def _require_sign_in():
    if current_user.is_authenticated:
        set_tenant(current_user.organization_id)
    elif request.endpoint not in PUBLIC_ENDPOINTS:
        return login_manager.unauthorized()
    return None


@bp.after_request
def _security_headers(response):
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    # Pages show customer data and, once, new API keys: never from a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def _page_context() -> dict:
    return {"fmt": formatting, "logout_form": LogoutForm(formdata=None)}


def require_role(role: str):
    """Refuse signed-in users below ``role`` with a 403 page."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.can(role):
                abort(403, description=f"This needs the {role} role; you are signed in as {current_user.role}.")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _error_page(code: int, message: str):
    db.session.rollback()
    title = ERROR_TITLES.get(code, "Something went wrong")
    return render_template("console/error.html", code=code, title=title, message=message), code


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    code = error.code or 500
    body, code = _error_page(code, ERROR_MESSAGES.get(code) or error.description or "")
    headers = [(k, v) for k, v in error.get_headers() if k.lower() in {"retry-after", "allow"}]
    return body, code, headers


@bp.errorhandler(ServiceError)
def _service_error(error: ServiceError):
    return _error_page(error.code, error.message)
