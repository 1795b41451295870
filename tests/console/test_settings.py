"""``/settings``: teams, staff and API keys; only admins create and revoke keys."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from feedback_service.extensions import db
from feedback_service.models import ApiKey
from tests.helpers.console import PASSWORD, csrf_token, page_text, post_form, sign_in

KEY = re.compile(r"sk_[0-9A-Za-z]{10}_[0-9A-Za-z]{38}")


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_settings_lists_teams_with_members_and_staff_with_roles(admin_client, org, make_team, make_staff):
    make_team(org, "Support", members=2)
    make_staff(org, role="viewer", email="vera@org.example")

    page = page_text(admin_client.get("/settings"))

    assert '<th scope="row" data-label="Team">Support</th>' in page
    assert '<li class="chip">Support 0</li>' in page and '<li class="chip">Support 1</li>' in page
    assert "vera@org.example" in page
    role_cell = r'</td>\s*<td data-label="Role"><span class="badge role-{0}">{1}</span>'
    assert re.search(re.escape("vera@org.example") + role_cell.format("viewer", "Viewer"), page)
    assert re.search(re.escape(org.admin_email) + role_cell.format("admin", "Admin"), page)


def test_settings_lists_api_keys_without_the_secret(admin_client, org):
    page = page_text(admin_client.get("/settings"))

    assert "Created with the organisation" in page
    assert f"<code>{org.api_key[:13]}…</code>" in page
    assert org.api_key not in page
    assert not KEY.search(page)


def test_an_admin_creates_a_key_that_is_shown_once_and_works(admin_client, client, app, org):
    response = post_form(admin_client, "/settings", "/settings/api-keys", {"name": "CRM sync", "role": "viewer"})

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    shown = KEY.findall(page_text(response))
    assert len(shown) == 1
    key = shown[0]
    assert client.get("/api/v1/journeys", headers=bearer(key)).status_code == 200
    assert client.post("/api/v1/journeys", json={"name": "x"}, headers=bearer(key)).status_code == 403  # viewer
    again = page_text(admin_client.get("/settings"))
    assert key not in again and "CRM sync" in again
    with app.app_context(), org.scope():
        created = db.session.scalar(select(ApiKey).where(ApiKey.name == "CRM sync"))
        assert (created.role, created.created_by_id is not None) == ("viewer", True)


def test_a_key_needs_a_name(admin_client):
    response = post_form(admin_client, "/settings", "/settings/api-keys", {"name": "", "role": "admin"})

    assert response.status_code == 422
    assert not KEY.search(page_text(response))


def test_a_key_with_an_unknown_role_is_refused(admin_client):
    response = post_form(admin_client, "/settings", "/settings/api-keys", {"name": "x", "role": "owner"})

    assert response.status_code == 422


def test_revoking_a_key_makes_the_api_answer_401(app, admin_client, client, org):
    assert client.get("/api/v1/journeys", headers=org.headers).status_code == 200
    with app.app_context(), org.scope():
        key_id = db.session.scalar(select(ApiKey.id))

    response = post_form(admin_client, "/settings", f"/settings/api-keys/{key_id}/revoke")

    assert response.status_code == 302
    assert client.get("/api/v1/journeys", headers=org.headers).status_code == 401
    page = page_text(admin_client.get("/settings"))
    assert "is revoked" in page and "Revoked" in page
    assert f'action="/settings/api-keys/{key_id}/revoke"' not in page


def test_creating_or_revoking_a_key_without_the_csrf_token_is_400(app, admin_client, client, org):
    with app.app_context(), org.scope():
        key_id = db.session.scalar(select(ApiKey.id))

    assert admin_client.post("/settings/api-keys", data={"name": "x", "role": "admin"}).status_code == 400
    assert admin_client.post(f"/settings/api-keys/{key_id}/revoke").status_code == 400
    assert client.get("/api/v1/journeys", headers=org.headers).status_code == 200


@pytest.mark.parametrize("role", ["viewer", "agent"])
def test_only_admins_create_or_revoke_keys(app, client, org, make_staff, role):
    make_staff(org, role=role)
    sign_in(client, f"{role}@org{org.id}.example", PASSWORD)
    with app.app_context(), org.scope():
        key_id = db.session.scalar(select(ApiKey.id))

    page = page_text(client.get("/settings"))
    token = csrf_token(page)
    created = client.post("/settings/api-keys", data={"name": "x", "role": "admin", "csrf_token": token})
    revoked = client.post(f"/settings/api-keys/{key_id}/revoke", data={"csrf_token": token})

    assert "Created with the organisation" in page  # the list is there, read-only
    assert 'action="/settings/api-keys"' not in page and "/revoke" not in page
    assert (created.status_code, revoked.status_code) == (403, 403)
    assert not KEY.search(page_text(created))
    assert client.get("/api/v1/journeys", headers=org.headers).status_code == 200


def test_another_organisations_key_cannot_be_revoked(app, admin_client, client, make_org):
    other = make_org("Other")
    with app.app_context(), other.scope():
        their_key_id = db.session.scalar(select(ApiKey.id))

    response = post_form(admin_client, "/settings", f"/settings/api-keys/{their_key_id}/revoke")

    assert response.status_code == 404
    assert client.get("/api/v1/journeys", headers=other.headers).status_code == 200


def test_settings_shows_only_this_organisations_people_and_keys(admin_client, make_org):
    other = make_org("Other")

    page = page_text(admin_client.get("/settings"))

    assert other.admin_email not in page
    assert other.api_key[:13] not in page
