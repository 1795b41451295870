"""The staff console: signing in and out, who sees what, and the headers every page sends."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from feedback_service.accounts import staff
from feedback_service.core.database import commit
from feedback_service.core.tenancy import tenant_scope
from feedback_service.extensions import db
from feedback_service.models import Customer, Touchpoint, User
from tests.helpers.console import PASSWORD, csrf_token, page_text, post_form, post_forms, sign_in

CONSOLE_PAGES = ["/inbox", "/journeys", "/metrics", "/settings", "/outbox"]


# ---- The login form -------------------------------------------------------

def test_the_login_page_is_a_form_with_email_password_and_a_sign_in_button(client):
    page = page_text(client.get("/login"))

    form = post_forms(page)[0]
    assert re.search(r'<input[^>]*name="email"', form)
    assert re.search(r'<input[^>]*name="password"[^>]*type="password"', form)
    assert re.search(r'<button type="submit"[^>]*>Sign in</button>', form)
    assert 'name="csrf_token"' in form
    assert '<label class="label" for="email">Email</label>' in form


def test_the_right_password_signs_in_and_opens_the_inbox(client, org):
    response = sign_in(client, org.admin_email, org.admin_password)

    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox"
    page = client.get("/inbox")
    assert page.status_code == 200
    assert "Administrator" in page_text(page)


def test_a_sign_in_records_when_it_happened(app, client, org):
    sign_in(client, org.admin_email, org.admin_password)

    with app.app_context(), org.scope():
        assert db.session.scalar(select(User.last_login_at).where(User.email == org.admin_email)) is not None


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(client, org):
    wrong_password = sign_in(client, org.admin_email, "not-the-password")
    unknown_email = sign_in(client, "nobody@nowhere.example", "not-the-password")

    assert wrong_password.status_code == unknown_email.status_code == 401
    for response in (wrong_password, unknown_email):
        assert "Wrong email or password." in page_text(response)
    assert client.get("/journeys").status_code == 302


def test_an_inactive_user_cannot_sign_in(client, org, make_staff):
    make_staff(org, role="agent", email="gone@org.example", is_active=False)

    response = sign_in(client, "gone@org.example", PASSWORD)

    assert response.status_code == 401
    assert "deactivated" in page_text(response)
    assert client.get("/journeys").status_code == 302


def test_the_same_email_in_two_organisations_signs_into_the_one_whose_password_matches(
        client, make_org, make_staff):
    first, second = make_org("First"), make_org("Second")
    make_staff(first, email="shared@staff.example", password="password-of-first")
    make_staff(second, email="shared@staff.example", password="password-of-second")

    assert sign_in(client, "shared@staff.example", "password-of-second").status_code == 302

    assert "Second" in page_text(client.get("/settings"))
    assert "First" not in page_text(client.get("/settings"))


def test_email_case_and_surrounding_spaces_do_not_matter(client, org):
    assert sign_in(client, f"  {org.admin_email.upper()} ", org.admin_password).status_code == 302


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_login_without_a_valid_csrf_token_is_400(client, org, token):
    client.get("/login")  # a session exists, so only the token is at fault
    data = {"email": org.admin_email, "password": org.admin_password}
    if token is not None:
        data["csrf_token"] = token

    response = client.post("/login", data=data)

    assert response.status_code == 400
    assert client.get("/journeys").status_code == 302


def test_an_expired_login_form_is_a_400_that_offers_a_fresh_form(client, org):
    client.get("/login")
    response = client.post("/login", data={"email": org.admin_email, "password": org.admin_password,
                                           "csrf_token": "expired"})

    assert response.status_code == 400
    assert "This sign-in form had expired. Please sign in again." in page_text(response)
    fresh = csrf_token(page_text(response))
    assert client.post("/login", data={"email": org.admin_email, "password": org.admin_password,
                                       "csrf_token": fresh}).status_code == 302


def test_a_login_with_empty_fields_asks_again(client):
    response = client.post("/login", data={"email": "", "password": "",
                                           "csrf_token": csrf_token(page_text(client.get("/login")))})

    assert response.status_code == 422
    assert "This field is required." in page_text(response)


# ---- Where people are sent ------------------------------------------------

@pytest.mark.parametrize("path", ["/inbox", "/follow-ups/1", "/journeys", "/journeys/1", "/touchpoints/1",
                                  "/customers/1", "/settings", "/outbox", "/metrics"])
def test_signed_out_console_pages_redirect_to_login_with_next(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={path.replace('/', '%2F')}"


def test_the_root_sends_signed_out_visitors_to_login_and_staff_to_the_inbox(client, org):
    assert client.get("/").headers["Location"] == "/login"

    sign_in(client, org.admin_email, org.admin_password)

    assert client.get("/").headers["Location"] == "/inbox"


def test_sign_in_returns_to_the_page_asked_for(client, org):
    response = sign_in(client, org.admin_email, org.admin_password, next_url="/settings")

    assert response.headers["Location"] == "/settings"


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/phish", "/\\evil.example",
                                    "javascript:alert(1)", "settings"])
def test_sign_in_ignores_a_next_that_leaves_the_site(client, org, target):
    page = page_text(client.get("/login", query_string={"next": target}))
    response = client.post("/login", data={"email": org.admin_email, "password": org.admin_password,
                                           "next": target, "csrf_token": csrf_token(page)})

    assert response.headers["Location"] == "/inbox"


def test_a_signed_in_visit_to_login_goes_to_the_inbox(admin_client):
    assert admin_client.get("/login").headers["Location"] == "/inbox"


# ---- Signing out ------------------------------------------------------------

def test_sign_out_ends_the_session(admin_client):
    response = post_form(admin_client, "/journeys", "/logout")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert admin_client.get("/journeys").status_code == 302


def test_sign_out_without_the_csrf_token_is_400_and_keeps_the_session(admin_client):
    assert admin_client.post("/logout").status_code == 400
    assert admin_client.get("/journeys").status_code == 200


def test_sign_out_is_not_a_get(admin_client):
    assert admin_client.get("/logout").status_code == 405
    assert admin_client.get("/journeys").status_code == 200


def test_a_password_change_ends_existing_sessions(app, admin_client, org):
    with app.app_context(), org.scope():
        admin_id = db.session.scalar(select(User.id).where(User.email == org.admin_email))
        staff.update_user(admin_id, {"password": "a-brand-new-password"})
        commit()

    assert admin_client.get("/journeys").status_code == 302


def test_deactivating_a_user_ends_their_session(app, client, org, make_staff):
    user_id = make_staff(org, role="agent")
    sign_in(client, f"agent@org{org.id}.example", PASSWORD)
    assert client.get("/journeys").status_code == 200

    with app.app_context(), org.scope():
        staff.update_user(user_id, {"is_active": False})
        commit()

    assert client.get("/journeys").status_code == 302


# ---- Tenancy ---------------------------------------------------------------

def test_another_organisations_journey_touchpoint_and_customer_are_404(
        app, admin_client, make_org, make_touchpoint, make_response):
    other = make_org("Someone else")
    touchpoint_id, _ = make_touchpoint(other, name="Their checkout")
    make_response(other, touchpoint_id, score=1, comment="Their secret",
                  customer={"external_id": "their-customer", "email": None})
    with app.app_context(), tenant_scope(other.id):
        customer_id = db.session.scalar(select(Customer.id))
        journey_id = db.session.get(Touchpoint, touchpoint_id).journey_id

    for path in (f"/journeys/{journey_id}", f"/touchpoints/{touchpoint_id}", f"/customers/{customer_id}"):
        response = admin_client.get(path)
        assert response.status_code == 404, path
        assert "Their" not in page_text(response)
        assert response.mimetype == "text/html"
    assert "Their checkout" not in page_text(admin_client.get("/journeys"))


def test_an_unknown_id_is_a_404_page(admin_client):
    response = admin_client.get("/journeys/999999")

    assert response.status_code == 404
    assert "No journey with id 999999." in page_text(response)


# ---- Every page --------------------------------------------------------------

@pytest.mark.parametrize("path", CONSOLE_PAGES)
def test_every_console_page_has_the_navigation(admin_client, org, path):
    page = page_text(admin_client.get(path))

    nav = re.search(r'<nav class="mainnav" aria-label="Main">(.*?)</nav>', page, re.S).group(1)
    assert ">Inbox</a>" in nav and ">Journeys</a>" in nav and ">Settings</a>" in nav
    assert "Administrator" in page
    assert re.search(r'<form method="post" action="/logout">', page)
    assert ">Sign out</button>" in page


@pytest.mark.parametrize("path", ["/login", *CONSOLE_PAGES])
def test_every_post_form_carries_a_csrf_token(admin_client, path):
    if path == "/login":
        admin_client.post("/logout", data={"csrf_token": csrf_token(page_text(admin_client.get("/journeys")))})
    forms = post_forms(page_text(admin_client.get(path)))

    assert forms
    for form in forms:
        assert re.search(r'name="csrf_token"[^>]*value="[^"]+"', form), form


@pytest.mark.parametrize("path", ["/login", *CONSOLE_PAGES])
def test_console_pages_send_a_strict_content_security_policy_and_are_not_cached(admin_client, path):
    response = admin_client.get(path, follow_redirects=False)

    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'self'")
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["Cache-Control"] == "no-store"


def test_console_pages_have_no_inline_script_or_style(admin_client):
    for path in CONSOLE_PAGES:
        page = page_text(admin_client.get(path))
        assert "<script" not in page
        assert "style=" not in page
        assert "<style" not in page


def test_the_session_cookie_is_http_only_and_same_site_lax(client, org):
    response = sign_in(client, org.admin_email, org.admin_password)

    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
