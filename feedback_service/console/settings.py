"""``/settings``: teams, staff and API keys; admins create and revoke keys; everyone
chooses whether they get the daily digest.

A new key is rendered in the answer to the POST that made it, never stored or
put in the session, so it is shown exactly once.
"""

from __future__ import annotations

import logging

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts import organizations, staff
from ..core.database import commit
from ..extensions import db
from ..models import ApiKey, Team, User
from .blueprint import bp, require_role
from .forms import ApiKeyForm, DigestPreferenceForm, RevokeApiKeyForm, check_csrf

log = logging.getLogger(__name__)


def _teams() -> list[Team]:
    return list(db.session.scalars(select(Team).options(selectinload(Team.members)).order_by(Team.name)))


def _staff() -> list[User]:
    return list(db.session.scalars(
        select(User).options(selectinload(User.teams)).order_by(User.is_active.desc(), User.name, User.email)
    ))


def _api_keys() -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())))


def _page(form: ApiKeyForm | None = None, new_key: str | None = None, status: int = 200):
    return render_template(
        "console/settings.html",
        teams=_teams(),
        staff=_staff(),
        api_keys=_api_keys(),
        form=form or ApiKeyForm(formdata=None),
        revoke_form=RevokeApiKeyForm(formdata=None),
        new_key=new_key,
        digest_form=DigestPreferenceForm(formdata=None, digest_enabled=_me().digest_enabled),
        digest_hour=current_app.config["DIGEST_HOUR"],
    ), status


def _me() -> User:
    return db.session.get(User, current_user.id)


@bp.get("/settings")
def settings():
    return _page()


@bp.post("/settings/api-keys")
@require_role("admin")
def create_api_key():
    form = ApiKeyForm()
    if not check_csrf(form):
        return _page(form, status=422)
    key, api_key = organizations.create_api_key(
        current_user.organization_id, name=form.name.data.strip(), role=form.role.data,
        created_by_id=current_user.id,
    )
    commit()
    log.info("user %s created API key %s (%s)", current_user.id, api_key.id, api_key.prefix)
    return _page(new_key=key)


@bp.post("/settings/api-keys/<int:api_key_id>/revoke")
@require_role("admin")
def revoke_api_key(api_key_id: int):
    check_csrf(RevokeApiKeyForm())
    api_key = organizations.revoke_api_key(api_key_id)
    commit()
    log.info("user %s revoked API key %s (%s)", current_user.id, api_key.id, api_key.prefix)
    flash(f"The key “{api_key.name}” ({api_key.prefix}…) is revoked; it stops working at once.", "success")
    return redirect(url_for("console.settings") + "#api-keys")


@bp.post("/settings/notifications")
def update_notifications():
    form = DigestPreferenceForm()
    check_csrf(form)
    user = staff.set_digest_preference(current_user.id, bool(form.digest_enabled.data))
    commit()
    flash("You will get the daily digest of your follow-ups." if user.digest_enabled
          else "You will no longer get the daily digest.", "success")
    return redirect(url_for("console.settings") + "#notifications")
