"""The widget routes' rate limits, as a customer (or a script) meets them."""

from __future__ import annotations

import pytest


@pytest.fixture
def touchpoint(org, make_touchpoint):
    _, pk = make_touchpoint(org, name="Checkout")
    return {"pk": pk}


def _submit(client, pk, **kwargs):
    return client.post(f"/w/{pk}/responses", json={"score": 5}, **kwargs)


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

def test_an_answer_sets_no_cookie(client, touchpoint):
    answer = _submit(client, touchpoint["pk"])
    assert answer.status_code == 201 and "Set-Cookie" not in answer.headers


@pytest.mark.redis
def test_with_redis_every_worker_counts_against_the_same_limit(app_config, redis_url, touchpoint):
    from feedback_service import create_app

    config = {**app_config, "REDIS_URL": redis_url, "WIDGET_SUBMIT_LIMIT": "2/minute"}
    config.pop("RATELIMIT_STORAGE_URI", None)
    first, second = create_app(config).test_client(), create_app(config).test_client()
    statuses = [_submit(first, touchpoint["pk"]).status_code, _submit(second, touchpoint["pk"]).status_code,
                _submit(first, touchpoint["pk"]).status_code]
    assert statuses == [201, 201, 429]
