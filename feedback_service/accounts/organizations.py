"""Tenants, their API keys and their first admin."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from ..core import security
from ..core.errors import NotFound
from ..core.lookup import is_possible_id
from ..core.pagination import Page, paginate
from ..core.tenancy import tenant_scope
from ..extensions import db
from ..models import ApiKey, Organization, User, utcnow

log = logging.getLogger(__name__)


@dataclass
class NewOrganization:
    organization: Organization
    api_key: str
    admin: User
    admin_password: str

    def as_json(self) -> dict:
        return {
            "organization": {"id": self.organization.id, "name": self.organization.name},
            "api_key": self.api_key,
            "admin": {"email": self.admin.email, "password": self.admin_password},
        }


def create_organization(name: str, admin_email: str, admin_password: str | None = None,
                        *, is_demo: bool = False, api_key_seed: bytes | None = None) -> NewOrganization:
    """An organisation with an admin login and an admin API key."""
    organization = Organization(name=name.strip(), is_demo=is_demo, sla_hours={})
    db.session.add(organization)
    db.session.flush()
    password = admin_password or security.generate_password()
    with tenant_scope(organization.id):
        admin = User(
            organization_id=organization.id,
            email=admin_email.strip().lower(),
            name="Administrator",
            role="admin",
            password_hash=security.hash_password(password),
        )
        db.session.add(admin)
        key, _ = create_api_key(organization.id, name="Created with the organisation", role="admin",
                                seed=api_key_seed)
        db.session.flush()
    log.info("organisation %s created (%s)", organization.id, name)
    return NewOrganization(organization, key, admin, password)


def create_api_key(organization_id: int, *, name: str, role: str = "admin",
                   created_by_id: int | None = None, seed: bytes | None = None) -> tuple[str, ApiKey]:
    """A new secret key. The plaintext is returned here and never again."""
    key, prefix, digest = security.generate_api_key(seed)
    api_key = ApiKey(
        organization_id=organization_id,
        name=name,
        role=role,
        prefix=prefix,
        key_hash=digest,
        created_by_id=created_by_id,
    )
    db.session.add(api_key)
    db.session.flush()
    return key, api_key


def list_api_keys(*, limit: int | None = None, cursor: str | None = None) -> Page:
    return paginate(select(ApiKey), [(ApiKey.id, int)], descending=False, limit=limit, cursor=cursor)


def revoke_api_key(api_key_id: int) -> ApiKey:
    api_key = db.session.get(ApiKey, api_key_id) if is_possible_id(api_key_id) else None
    if api_key is None:
        raise NotFound(f"No API key with id {api_key_id}.")
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
    return api_key



def current_organization(organization_id: int) -> Organization:
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise NotFound("This organisation no longer exists.")
    return organization


def update_settings(organization_id: int, changes: dict) -> Organization:
    """Name, the organisation-wide survey cap and the follow-up SLA hours."""
    organization = current_organization(organization_id)
    if "name" in changes:
        organization.name = changes["name"].strip()
    if "survey_cap_days" in changes:
        organization.survey_cap_days = changes["survey_cap_days"] or None
    if "sla_hours" in changes:
        organization.sla_hours = {**(organization.sla_hours or {}), **changes["sla_hours"]}
    db.session.flush()
    return organization
