"""Who is signed in to the console: checking a password, and the session's user.

The session holds the user's id and a fingerprint of their password hash, so
changing a password or deactivating someone ends their sessions on the next
request. Staff emails are unique per organisation, not globally: the same
address may sign in to whichever organisation its password belongs to.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from flask_login import LoginManager
from sqlalchemy import select

from ..accounts.roles import role_at_least
from ..core import security
from ..core.tenancy import tenant_scope
from ..extensions import db
from ..models import Organization, User, utcnow

log = logging.getLogger(__name__)

login_manager = LoginManager()
login_manager.login_view = "console.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified when nobody has the email, so a miss takes as long as a wrong
    # password and timing does not tell which addresses have accounts.
    return security.hash_password("no such user; this only spends the same time")


@dataclass(frozen=True)
class StaffMember:
    """The signed-in user as the console sees them: a snapshot, not an ORM row."""

    id: int
    organization_id: int
    organization_name: str
    email: str
    name: str
    role: str
    fingerprint: str

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.fingerprint}"

    def can(self, role: str) -> bool:
        """Is this user's role at least ``role``?"""
        return role_at_least(self.role, role)

    @property
    def display_name(self) -> str:
        return self.name or self.email


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: a user, or the reason there is none."""

    user: User | None
    error: str | None = None


WRONG_CREDENTIALS = "Wrong email or password."
DEACTIVATED = "This account has been deactivated. Ask an admin of your organisation to reactivate it."


def authenticate(email: str, password: str) -> SignIn:
    """The staff member with this email whose password matches, in any organisation."""
    email = email.strip().lower()
    candidates = db.session.scalars(
        select(User).where(User.email == email).order_by(User.last_login_at.desc().nulls_last(), User.id)
    ).all()
    if not candidates:
        security.verify_password(password, _dummy_hash())
        return SignIn(None, WRONG_CREDENTIALS)
    matching = [user for user in candidates if security.verify_password(password, user.password_hash)]
    if not matching:
        return SignIn(None, WRONG_CREDENTIALS)
    active = [user for user in matching if user.is_active]
    if not active:
        # They know the password, so saying the account exists reveals nothing new.
        return SignIn(None, DEACTIVATED)
    return SignIn(active[0])


def record_sign_in(user: User) -> None:
    with tenant_scope(user.organization_id):
        user.last_login_at = utcnow()
        db.session.flush()
    log.info("user %s of organisation %s signed in to the console", user.id, user.organization_id)


def staff_member(user: User) -> StaffMember:
    organization = db.session.get(Organization, user.organization_id)
    return StaffMember(
        id=user.id,
        organization_id=user.organization_id,
        organization_name=organization.name if organization else "",
        email=user.email,
        name=user.name,
        role=user.role,
        fingerprint=_fingerprint(user.password_hash),
    )


def _fingerprint(password_hash: str | None) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, (password_hash or "").encode(), hashlib.sha256).hexdigest()[:20]


@login_manager.user_loader
def load_staff_member(session_id: str) -> StaffMember | None:
    """Called before the tenant is set: looks the user up by primary key across tenants."""
    user_id, _, fingerprint = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(fingerprint, _fingerprint(user.password_hash)):
        return None
    return staff_member(user)
