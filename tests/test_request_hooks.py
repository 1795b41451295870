"""What every request pays for: hooks that have nothing to do are not installed, and the ones moved keep working."""

from __future__ import annotations

import pytest

from feedback_service.console.identity import login_manager
from feedback_service.extensions import limiter


def _app_wide_after_hooks(app) -> list:
    return list(app.after_request_funcs.get(None, []))


def test_flask_login_refreshes_its_cookie_on_console_responses_only(app):
    assert login_manager._update_remember_cookie not in _app_wide_after_hooks(app)
    assert any(getattr(hook, "__name__", "") == "_refresh_remember_cookie"
               for hook in app.after_request_funcs.get("console", []))


def test_the_limiters_header_hook_is_not_installed_while_its_headers_are_off(app):
    assert not app.config["RATELIMIT_HEADERS_ENABLED"]
    assert not [hook for hook in _app_wide_after_hooks(app) if limiter._is_header_hook(hook)]


def test_a_limit_that_deducts_after_the_response_is_refused():
    with pytest.raises(TypeError, match="deduct_when"):
        limiter.limit("1/minute", deduct_when=lambda response: True)

