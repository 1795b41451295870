"""Helpers the console tests share: signing in through the real form, reading tokens off pages.

CSRF stays on in tests (only ``WTF_CSRF_ENABLED = False`` would turn it off), so
every POST here carries the token the page rendered, as a browser would.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from feedback_service.accounts import staff
from feedback_service.core.database import commit
from feedback_service.extensions import db
from feedback_service.loop import opening
from feedback_service.models import Response, utcnow

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


@pytest.fixture
def make_follow_up(app, make_response):
    """A customer's answer and the follow-up it opens (routed as in production), then adjusted:
    ``age`` back-dates both, ``priority``, ``status`` and ``due_in`` (from now) override.
    Returns the follow-up's id."""

    def make(tenant, touchpoint_id: int, *, score: int = 2, comment: str | None = "Slow.",
             customer: dict | None = None, age: timedelta = timedelta(0), priority: str | None = None,
             status: str | None = None, due_in: timedelta | None = None) -> int:
        created = utcnow() - age
        response_id = make_response(tenant, touchpoint_id, score=score, comment=comment, customer=customer,
                                    created_at=created)
        with app.app_context(), tenant.scope():
            follow_up = opening.open_for_response(db.session.get(Response, response_id))
            assert follow_up is not None, "this answer opens no follow-up"
            follow_up.created_at = created
            if priority:
                follow_up.priority = priority
            if status:
                follow_up.status = status
            follow_up.due_at = (utcnow() + due_in) if due_in is not None else created + timedelta(days=3)
            commit()
            return follow_up.id

    return make


def signed_in_as(client, tenant, make_staff, role: str):
    """Sign ``client`` in as a new member of staff with ``role``; returns their user id."""
    user_id = make_staff(tenant, role=role)
    response = sign_in(client, f"{role}@org{tenant.id}.example", PASSWORD)
    assert response.status_code == 302, page_text(response)
    return user_id
