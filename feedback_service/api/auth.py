"""Who is calling: API keys for the management API, roles for what they may do.

Authentication sets the tenant (see ``tenancy``), so everything after it sees
only that organisation's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import g, request
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from ..accounts.roles import role_at_least
from ..core import security
from ..core.tenancy import set_tenant
from ..extensions import db
from ..models import ApiKey, utcnow

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Principal:
    organization_id: int
    role: str
    api_key_id: int | None = None
    user_id: int | None = None

    @property
    def label(self) -> str:
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return f"api_key:{self.api_key_id}"


def current_principal() -> Principal:
    return g.principal


def _unauthorized(message: str):
    abort(401, message=message, headers={"WWW-Authenticate": 'Bearer realm="api"'})


def authenticate_api_key() -> None:
    """``before_request`` for the management API: a valid, unrevoked ``sk_`` key."""
    if request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        _unauthorized("Send your secret API key as 'Authorization: Bearer sk_…'.")
    key = key.strip()
    prefix = security.parse_api_key(key)
    if prefix is None:
        _unauthorized("That is not a valid API key. Keys start with 'sk_'; check for a copy-paste error.")
    api_key = db.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if api_key is None or not security.api_key_matches(key, api_key.key_hash):
        _unauthorized("Unknown API key.")
    if api_key.revoked_at is not None:
        _unauthorized("This API key has been revoked; create a new one under /settings.")
    g.principal = Principal(organization_id=api_key.organization_id, role=api_key.role, api_key_id=api_key.id)
    set_tenant(api_key.organization_id)
    _touch_last_used(api_key)
    if request.method in WRITE_METHODS and api_key.role == "viewer":
        abort(403, message="This key has the viewer role and can only read.")


def _touch_last_used(api_key: ApiKey) -> None:
    # At most once a minute, so reads do not become writes on every request.
    now = utcnow()
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        api_key.last_used_at = now
        try:
            db.session.commit()
        except OperationalError:
            # SQLite answers "database is locked" at once when a read (a GET's
            # deferred transaction) tries to write while another writer holds the
            # lock. A stale last_used_at is no reason to fail the request.
            db.session.rollback()


def require_role(role: str):
    """Refuse callers below ``role`` with 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if not role_at_least(principal.role, role):
                abort(403, message=f"This needs the {role} role; your key or login is {principal.role}.")
            return view(*args, **kwargs)

        return wrapper

    return decorator
