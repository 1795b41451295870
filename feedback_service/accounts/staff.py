"""Teams and the staff in them."""

from __future__ import annotations

from sqlalchemy import func, select

from ..core import security
from ..core.errors import Conflict, Invalid
from ..core.lookup import get_or_404, resolve_reference, resolve_references
from ..core.pagination import Page, paginate
from ..extensions import db
from ..models import Team, Touchpoint, User


def list_teams(*, limit: int | None = None, cursor: str | None = None) -> Page:
    return paginate(select(Team), [(Team.id, int)], descending=False, limit=limit, cursor=cursor)


def list_users(*, limit: int | None = None, cursor: str | None = None) -> Page:
    return paginate(select(User), [(User.id, int)], descending=False, limit=limit, cursor=cursor)


def _ensure_unique_team_name(name: str, *, exclude_id: int | None = None) -> None:
    query = select(Team.id).where(func.lower(Team.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Team.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise Invalid("name", f"A team named {name!r} already exists.")


def create_team(*, name: str, assignment: str = "round_robin", member_ids: list[int] | None = None,
                lead_id: int | None = None) -> Team:
    _ensure_unique_team_name(name)
    # The people first: looking them up while the new team hung off one of them flushed it half-made.
    members = resolve_references(User, member_ids, "member_ids") if member_ids else []
    lead = resolve_reference(User, lead_id, "lead_id") if lead_id is not None else None
    team = Team(name=name, assignment=assignment, members=members, lead=lead)
    db.session.add(team)
    db.session.flush()
    return team


def update_team(team_id: int, changes: dict) -> Team:
    team = get_or_404(Team, team_id, what="team")
    if "name" in changes:
        _ensure_unique_team_name(changes["name"], exclude_id=team.id)
        team.name = changes["name"]
    if "assignment" in changes:
        team.assignment = changes["assignment"]
    if "member_ids" in changes:
        team.members = resolve_references(User, changes["member_ids"], "member_ids")
    if "lead_id" in changes:
        lead_id = changes["lead_id"]
        team.lead = None if lead_id is None else resolve_reference(User, lead_id, "lead_id")
    db.session.flush()
    return team


def delete_team(team_id: int) -> None:
    team = get_or_404(Team, team_id, what="team")
    owned = db.session.scalar(
        select(func.count()).select_from(Touchpoint).where(
            Touchpoint.team_id == team.id, Touchpoint.archived_at.is_(None)
        )
    )
    if owned:
        raise Conflict(
            f"Team {team.name!r} owns {owned} touchpoint(s); give them to another team first "
            "(PATCH /api/v1/touchpoints/{id} with team_id)."
        )
    db.session.delete(team)
    db.session.flush()


def _ensure_unique_email(email: str, *, exclude_id: int | None = None) -> None:
    query = select(User.id).where(User.email == email)
    if exclude_id is not None:
        query = query.where(User.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise Invalid("email", f"A member of staff with email {email} already exists.")


def create_user(*, email: str, name: str = "", role: str = "agent", team_ids: list[int] | None = None,
                password: str | None = None, is_active: bool = True, digest_enabled: bool = True) -> User:
    email = email.strip().lower()
    _ensure_unique_email(email)
    user = User(email=email, name=name, role=role, is_active=is_active, digest_enabled=digest_enabled,
                password_hash=security.hash_password(password) if password else None)
    if team_ids:
        user.teams = resolve_references(Team, team_ids, "team_ids")
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user_id: int, changes: dict) -> User:
    user = get_or_404(User, user_id, what="user")
    if "email" in changes:
        email = changes["email"].strip().lower()
        _ensure_unique_email(email, exclude_id=user.id)
        user.email = email
    for field in ("name", "role", "is_active", "digest_enabled"):
        if field in changes:
            setattr(user, field, changes[field])
    if "team_ids" in changes:
        user.teams = resolve_references(Team, changes["team_ids"], "team_ids")
    if changes.get("password"):
        user.password_hash = security.hash_password(changes["password"])
    if user.role != "admin" or not user.is_active:
        _ensure_an_admin_remains(user)
    db.session.flush()
    return user


def set_digest_preference(user_id: int, enabled: bool) -> User:
    """Opt a member of staff in to (or out of) the daily digest; the console lets anyone set their own."""
    user = get_or_404(User, user_id, what="user")
    user.digest_enabled = enabled
    db.session.flush()
    return user


def _ensure_an_admin_remains(user: User) -> None:
    others = db.session.scalar(
        select(func.count()).select_from(User).where(
            User.role == "admin", User.is_active.is_(True), User.id != user.id
        )
    )
    if not others:
        raise Conflict("This is the organisation's last active admin; make someone else admin first.")
