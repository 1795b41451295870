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



@pytest.fixture
def touchpoint(org, make_touchpoint):
    _, pk = make_touchpoint(org, name="Checkout")
    return {"pk": pk}


def _submit(client, pk, **kwargs):
    return client.post(f"/w/{pk}/responses", json={"score": 5}, **kwargs)


def test_the_widget_routes_limits_take_the_plain_path(app, client, touchpoint, monkeypatch):
    monkeypatch.setitem(app.config, "WIDGET_SUBMIT_LIMIT", "30/minute;300/hour")
    assert _submit(client, touchpoint["pk"]).status_code == 201
    plain = [limits for (name, strings), limits in limiter._plain_limits.items()
             if name.startswith("feedback_service.api.widget.Responses.") and strings == ("30/minute;300/hour",)]
    assert plain and [str(limit.limit) for limit in plain[0]] == ["30 per 1 minute", "300 per 1 hour"]


def test_the_longer_window_refuses_too_and_retry_after_waits_for_it(app, client, touchpoint, monkeypatch):
    monkeypatch.setitem(app.config, "WIDGET_SUBMIT_LIMIT", "100/minute;3/hour")
    statuses = [_submit(client, touchpoint["pk"]).status_code for _ in range(4)]
    refused = _submit(client, touchpoint["pk"])
    assert statuses == [201, 201, 201, 429]
    assert refused.status_code == 429 and 60 < int(refused.headers["Retry-After"]) <= 3600


def test_limits_count_per_touchpoint_and_address(app, client, org, make_touchpoint, touchpoint, monkeypatch):
    monkeypatch.setitem(app.config, "WIDGET_SUBMIT_LIMIT", "2/minute")
    _, other_pk = make_touchpoint(org, name="Delivery")
    first = [_submit(client, touchpoint["pk"]).status_code for _ in range(3)]
    elsewhere = _submit(client, other_pk).status_code
    other_address = _submit(client, touchpoint["pk"], environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code
    assert first == [201, 201, 429] and elsewhere == 201 and other_address == 201


def test_a_changed_limit_string_is_read_on_the_next_request(app, client, touchpoint, monkeypatch):
    monkeypatch.setitem(app.config, "WIDGET_SUBMIT_LIMIT", "5/minute")
    assert [_submit(client, touchpoint["pk"]).status_code for _ in range(2)] == [201, 201]
    # A window's count is kept under a key that names its size, as Flask-Limiter keeps it.
    monkeypatch.setitem(app.config, "WIDGET_SUBMIT_LIMIT", "2/minute")
    assert [_submit(client, touchpoint["pk"]).status_code for _ in range(3)] == [201, 201, 429]


def test_limits_with_an_exemption_go_through_flask_limiters_own_evaluation(app):
    exempt = limiter.limit("1/minute", exempt_when=lambda: True)
    name = "tests.test_request_hooks.exempt_view"
    exempt_view = exempt(_view_named(name))
    with app.test_request_context("/", method="POST"):
        assert limiter._plain_route_limits(name) is None
        assert exempt_view() == "ok" and exempt_view() == "ok"  # never limited


def _view_named(qualified: str):
    def view():
        return "ok"

    view.__module__, view.__qualname__ = qualified.rsplit(".", 1)
    return view


LIMITER_ON_REDIS = """
import json, sys
from feedback_service import create_app
config = json.loads(sys.argv[1])
app = create_app({**config, "REDIS_URL": sys.argv[3], "WIDGET_SUBMIT_LIMIT": "100/minute;3/hour"})
client = app.test_client()
import redis.connection
trips = []  # what each write to Redis carried
send = redis.connection.AbstractConnection.send_packed_command
redis.connection.AbstractConnection.send_packed_command = (
    lambda self, command, *a, **k: trips.append(b"".join(command) if isinstance(command, list) else command)
    or send(self, command, *a, **k))
answers, round_trips = [], []
for _ in range(5):
    trips.clear()
    answers.append(client.post(sys.argv[2], json={"score": 4}))
    round_trips.append([trip.decode(errors="replace") for trip in trips])
print(json.dumps({"statuses": [a.status_code for a in answers], "round_trips": round_trips,
                  "retry_after": answers[-1].headers.get("Retry-After")}))
"""


@pytest.mark.redis
def test_both_windows_are_counted_in_redis_in_one_round_trip(app_config, redis_url, touchpoint):
    """In a process of its own: the limiter's storage belongs to the process-wide extension."""
    import json
    import subprocess
    import sys

    import redis

    server = redis.Redis.from_url(redis_url)
    server.script_flush()  # as after a restart: the first answer has to load the window script again
    config = {key: value for key, value in app_config.items() if key != "RATELIMIT_STORAGE_URI"}
    result = subprocess.run([sys.executable, "-c", LIMITER_ON_REDIS, json.dumps(config),
                             f"/w/{touchpoint['pk']}/responses", redis_url], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    counts = {key.decode().rsplit("/", 3)[-1]: int(server.get(key)) for key in server.keys("*feedback-limits*")}
    assert outcome["statuses"] == [201, 201, 201, 429, 429]
    assert 60 < int(outcome["retry_after"]) <= 3600
    # Both windows in one round trip: the hour counts the answers it refused too.
    assert counts == {"minute": 5, "hour": 5}
    # After the first (which loads the script again), one write an answer, both windows in it.
    for trip in outcome["round_trips"][1:3]:
        assert len(trip) == 1 and trip[0].count("EVALSHA") == 2, outcome["round_trips"]


def test_the_app_remembers_plain_functions_weakly_and_asks_again_of_anything_else(app):
    import gc
    import weakref

    class View:
        def dispatch(self):
            return "ok"

    def make_hook():
        def hook():
            return "ok"

        return hook

    hook = make_hook()
    assert app.ensure_sync(hook) is hook and hook in app._plain_functions
    bound = View().dispatch
    assert app.ensure_sync(bound) is bound and View.dispatch in app._plain_functions
    gone = weakref.ref(hook)
    del hook
    gc.collect()
    assert gone() is None  # a request's closure goes with it: remembering it does not keep it

    async def coroutine():
        return "ok"

    with pytest.raises(RuntimeError):  # Flask's own answer: async needs flask[async]
        app.ensure_sync(coroutine)
    assert coroutine not in app._plain_functions


def test_a_request_without_cookies_opens_an_empty_session_and_answers_without_one(app, client, touchpoint):
    with app.test_request_context("/", environ_base={}):
        from flask import request

        opened = app.session_interface.open_session(app, request)
    answer = _submit(client, touchpoint["pk"])
    assert opened is not None and dict(opened) == {} and not opened.modified
    assert "Set-Cookie" not in answer.headers and "Cookie" not in answer.headers.get("Vary", "")


def test_a_session_written_without_a_cookie_sent_is_still_saved(app_config):
    from flask import session

    from feedback_service import create_app

    app = create_app(app_config)

    @app.get("/_test/remember")
    def remember():
        session["seen"] = True
        return "ok"

    @app.get("/_test/recall")
    def recall():
        return "yes" if session.get("seen") else "no"

    client = app.test_client()
    first = client.get("/_test/remember")
    assert "Set-Cookie" in first.headers and client.get("/_test/recall").get_data(as_text=True) == "yes"


def test_the_limiters_before_request_check_is_not_installed(app):
    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])
