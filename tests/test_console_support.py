"""Helpers the console tests share: signing in through the real form, reading tokens off pages.

CSRF stays on in tests (only ``WTF_CSRF_ENABLED = False`` would turn it off), so
every POST here carries the token the page rendered, as a browser would.
"""

from __future__ import annotations

import html
import re

import pytest

from feedback_service.database import commit
from feedback_service.services import staff

PASSWORD = "staff-password-123"

_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
_POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", re.S | re.I)


def csrf_token(page_html: str) -> str:
    """The CSRF token of the first form on a rendered page."""
    match = _CSRF.search(page_html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def post_forms(page_html: str) -> list[str]:
    return _POST_FORM.findall(page_html)


def page_text(response) -> str:
    return response.get_data(as_text=True)


def sign_in(client, email: str, password: str, next_url: str | None = None):
    """Fill in and send the login form; returns the (unfollowed) answer."""
    login_path = "/login" + (f"?next={next_url}" if next_url else "")
    page = page_text(client.get(login_path))
    data = {"email": email, "password": password, "csrf_token": csrf_token(page)}
    hidden_next = re.search(r'name="next"[^>]*value="([^"]*)"', page)
    if hidden_next:
        data["next"] = html.unescape(hidden_next.group(1))
    return client.post("/login", data=data)


def post_form(client, page_path: str, action: str, data: dict | None = None):
    """POST to ``action`` with the CSRF token from the page at ``page_path``."""
    token = csrf_token(page_text(client.get(page_path)))
    return client.post(action, data={**(data or {}), "csrf_token": token})


@pytest.fixture
def make_staff(app):
    """A member of staff with a password, in ``tenant``, with ``role``."""

    def make(tenant, role: str = "agent", email: str | None = None, password: str = PASSWORD,
             is_active: bool = True) -> int:
        with app.app_context(), tenant.scope():
            user = staff.create_user(email=email or f"{role}@org{tenant.id}.example", name=f"{role.title()} User",
                                     role=role, password=password, is_active=is_active)
            commit()
            return user.id

    return make


@pytest.fixture
def admin_client(client, org):
    """A test client signed in as the organisation's admin."""
    response = sign_in(client, org.admin_email, org.admin_password)
    assert response.status_code == 302, page_text(response)
    return client
