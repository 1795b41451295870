"""Retries, backoff and giving up: a receiver that fails, throttles, redirects, hangs or is away."""

from __future__ import annotations

import statistics
from datetime import timedelta

import pytest
from sqlalchemy import select

from feedback_service import create_app
from feedback_service.config import ConfigError
from feedback_service.extensions import db
from feedback_service.models import Event, OutboundEmail, WebhookEndpoint, utcnow
from feedback_service.webhooks.delivery import RETRY_AFTER_MAX_SECONDS, Claim, retry_delay
from feedback_service.webhooks.transport import Outcome
from tests.helpers.webhooks import (
    Answer,
    Receiver,
    deliveries,
    endpoint_row,
    free_port,
    make_due,
    retry_until_settled,
    subscribe,
    sweep,
    webhook_app_config,
)


@pytest.fixture
def client(webhook_app):
    return webhook_app.test_client()


@pytest.fixture
def touchpoint_key(org, make_touchpoint) -> str:
    return make_touchpoint(org)[1]


def answer(client, pk: str, score: int = 4) -> None:
    assert client.post(f"/w/{pk}/responses", json={"score": score}).status_code == 201


def seconds_until(moment) -> float:
    return (moment - utcnow()).total_seconds()


def test_a_failing_receiver_is_retried_with_the_same_webhook_id_until_it_answers(webhook_app, client, org,
                                                                                 touchpoint_key, receiver):
    endpoint = subscribe(client, org, receiver.url())
    receiver.answer(Answer(500, body=b"oops"), Answer(503))

    answer(client, touchpoint_key)
    [delivery] = deliveries(webhook_app)
    settled = retry_until_settled(webhook_app, delivery.id)

    assert (settled.status, settled.attempts) == ("succeeded", 3)
    requests = receiver.wait_for(3)
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    for request in requests:
        request.verify(endpoint["secret"])
    log = client.get(f"/api/v1/webhook-deliveries/{delivery.id}", headers=org.headers).get_json()["log"]
    assert [(a["attempt"], a["status"], a["response_status_code"]) for a in log] == [
        (1, "failed", 500), (2, "failed", 503), (3, "succeeded", 200)]
    assert log[0]["response_body"] == "oops"


def test_a_delivery_fails_for_good_when_the_schedule_runs_out(webhook_app, client, org, touchpoint_key, receiver):
    subscribe(client, org, receiver.url())
    receiver.answer(*[Answer(500)] * 10)

    answer(client, touchpoint_key)
    [delivery] = deliveries(webhook_app)
    settled = retry_until_settled(webhook_app, delivery.id)

    # The shortened schedule has three waits: four attempts in all.
    assert (settled.status, settled.attempts, settled.next_attempt_at) == ("failed", 4, None)
    assert len(receiver.requests) == 4
    assert sweep(webhook_app) == 0  # nothing more is due


def test_each_retry_waits_its_step_of_the_schedule_with_jitter(app_config, org, make_touchpoint, receiver):
    app = create_app(webhook_app_config(app_config, WEBHOOK_RETRY_SCHEDULE="5,300,1800,7200,18000,36000,36000"))
    try:
        client = app.test_client()
        _, pk = make_touchpoint(org)
        subscribe(client, org, receiver.url())
        receiver.answer(Answer(500), Answer(500))

        answer(client, pk)
        [first] = deliveries(app)
        make_due(app, first.id)
        sweep(app)
        [second] = deliveries(app)
    finally:
        with app.app_context():
            db.engine.dispose()

    assert 5 * 0.8 - 1 <= seconds_until(first.next_attempt_at) <= 5 * 1.2
    assert 300 * 0.8 - 1 <= seconds_until(second.next_attempt_at) <= 300 * 1.2
    assert (first.max_attempts, second.attempts) == (8, 2)


def test_the_jitter_spreads_retries_by_up_to_a_fifth_either_way():
    claim = Claim(1, 1, 1, attempt=2, max_attempts=8, url="", signing_secrets=(), message_id="evt_1", body=b"")
    delays = [retry_delay(claim, Outcome(status_code=500), [5, 300, 1800]) for _ in range(2000)]

    assert 240 <= min(delays) < 250 and 350 < max(delays) <= 360
    assert 295 < statistics.mean(delays) < 305


def test_a_410_disables_the_endpoint_and_tells_the_admins(webhook_app, client, org, touchpoint_key, receiver):
    endpoint = subscribe(client, org, receiver.url())
    watcher = subscribe(client, org, receiver.url("/watcher"), ["webhook_endpoint.disabled"])
    receiver.answer(Answer(410, body=b"gone"))

    answer(client, touchpoint_key)

    [delivery] = deliveries(webhook_app, endpoint_id=endpoint["id"])
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 410)
    shown = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=org.headers).get_json()
    assert (shown["enabled"], shown["disabled_reason"]) == (False, "gone")
    disabled = client.get("/api/v1/events?type=webhook_endpoint.disabled", headers=org.headers).get_json()["data"]
    assert [e["data"]["webhook_endpoint"]["id"] for e in disabled] == [endpoint["id"]]
    assert disabled[0]["data"]["reason"] == "gone"
    notice = [r for r in receiver.wait_for(2) if r.path == "/watcher"]
    assert notice[0].verify(watcher["secret"])["type"] == "webhook_endpoint.disabled"
    with webhook_app.app_context():
        emails = db.session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "webhook_disabled")).all()
        assert [e.to_address for e in emails] == [org.admin_email]
        assert receiver.url() in emails[0].body
    answer(client, touchpoint_key)  # a disabled endpoint is sent nothing more
    assert len([r for r in receiver.requests if r.path == "/hook"]) == 1


@pytest.mark.parametrize("retry_after, at_least, at_most", [
    (None, 60, 60 * 1.2 + 1),
    ("120", 120, 121),
    ("999999", RETRY_AFTER_MAX_SECONDS - 1, RETRY_AFTER_MAX_SECONDS + 1),
    ("Wed, 21 Oct 2015 07:28:00 GMT", 60, 60 * 1.2 + 1),  # a date in the past: no sooner than 60 s
])
def test_a_429_waits_at_least_a_minute_and_honours_retry_after_within_limits(
        webhook_app, client, org, touchpoint_key, receiver, retry_after, at_least, at_most):
    endpoint = subscribe(client, org, receiver.url())
    receiver.answer(Answer(429, headers={"Retry-After": retry_after} if retry_after else {}))

    answer(client, touchpoint_key)

    [delivery] = deliveries(webhook_app)
    assert (delivery.status, delivery.last_status_code) == ("pending", 429)
    assert at_least - 1 <= seconds_until(delivery.next_attempt_at) <= at_most
    make_due(webhook_app, delivery.id)
    sweep(webhook_app)
    [delivery] = deliveries(webhook_app)
    assert delivery.status == "succeeded"
    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    second.verify(endpoint["secret"])


def test_a_redirect_is_not_followed_and_counts_as_a_failure(webhook_app, client, org, touchpoint_key, receiver):
    subscribe(client, org, receiver.url())
    receiver.answer(Answer(302, headers={"Location": receiver.url("/elsewhere")}), Answer(307, headers={
        "Location": receiver.url("/elsewhere")}))

    answer(client, touchpoint_key)
    [delivery] = deliveries(webhook_app)
    settled = retry_until_settled(webhook_app, delivery.id)

    assert [r.path for r in receiver.requests] == ["/hook", "/hook", "/hook"]
    assert (settled.status, settled.attempts) == ("succeeded", 3)
    entries = webhook_app.test_client().get(f"/api/v1/webhook-deliveries/{delivery.id}",
                                            headers=org.headers).get_json()["log"]
    assert [e["response_status_code"] for e in entries] == [302, 307, 200]
    assert [e["status"] for e in entries] == ["failed", "failed", "succeeded"]


def test_a_receiver_that_hangs_times_out_and_waits_at_least_a_minute(webhook_app, client, org, touchpoint_key,
                                                                      receiver):
    endpoint = subscribe(client, org, receiver.url())
    receiver.answer(Answer(200, delay=3))  # far past the test's 0.5 s limit

    answer(client, touchpoint_key)

    [delivery] = deliveries(webhook_app)
    log = client.get(f"/api/v1/webhook-deliveries/{delivery.id}", headers=org.headers).get_json()["log"]
    assert delivery.status == "pending" and "timed out" in delivery.last_error
    assert log[0]["response_status_code"] is None and 400 <= log[0]["duration_ms"] < 2000
    assert seconds_until(delivery.next_attempt_at) >= 59
    make_due(webhook_app, delivery.id)
    sweep(webhook_app)
    [delivery] = deliveries(webhook_app)
    first, second = receiver.wait_for(2)
    assert delivery.status == "succeeded" and first.headers["webhook-id"] == second.headers["webhook-id"]
    second.verify(endpoint["secret"])


def test_deliveries_arrive_after_the_receiver_comes_back(webhook_app, client, org, touchpoint_key):
    port = free_port()
    down = Receiver(port)  # bound, not yet serving: first shut it, so the port refuses
    down.server.server_close()
    endpoint = subscribe(client, org, f"http://127.0.0.1:{port}/hook")

    answer(client, touchpoint_key)
    answer(client, touchpoint_key, score=2)
    pending = deliveries(webhook_app)
    assert [d.status for d in pending] == ["pending", "pending"]
    assert all("connect" in d.last_error for d in pending)

    back = Receiver(port).start()
    try:
        for delivery in pending:
            make_due(webhook_app, delivery.id)
        assert sweep(webhook_app) == 2
        received = back.wait_for(2)
    finally:
        back.stop()

    assert [d.status for d in deliveries(webhook_app)] == ["succeeded", "succeeded"]
    assert sorted(r.verify(endpoint["secret"])["data"]["response"]["score"] for r in received) == [2, 4]
    with webhook_app.app_context():
        event_ids = db.session.scalars(select(Event.id).where(Event.type == "response.created")
                                      .order_by(Event.id)).all()
    assert sorted(r.headers["webhook-id"] for r in received) == [f"evt_{i}" for i in event_ids]


def test_five_days_of_failures_disable_the_endpoint(webhook_app, client, org, touchpoint_key, receiver):
    endpoint = subscribe(client, org, receiver.url())
    receiver.answer(Answer(500))
    answer(client, touchpoint_key)
    assert endpoint_row(webhook_app, endpoint["id"]).failing_since is not None
    with webhook_app.app_context():
        db.session.get(WebhookEndpoint, endpoint["id"]).failing_since = utcnow() - timedelta(days=5, seconds=1)
        db.session.commit()
    receiver.answer(Answer(500))

    answer(client, touchpoint_key)

    row = endpoint_row(webhook_app, endpoint["id"])
    assert (row.enabled, row.disabled_reason) == (False, "failing")
    disabled = client.get("/api/v1/events?type=webhook_endpoint.disabled", headers=org.headers).get_json()["data"]
    assert [e["data"]["reason"] for e in disabled] == ["failing"]
    with webhook_app.app_context():
        kinds = db.session.scalars(select(OutboundEmail.kind)).all()
    assert "webhook_disabled" in kinds
    # Pending retries of a disabled endpoint fail instead of going out.
    for delivery in deliveries(webhook_app, status="pending"):
        make_due(webhook_app, delivery.id)
    sweep(webhook_app)
    assert {d.status for d in deliveries(webhook_app)} == {"failed"}
    assert len(receiver.requests) == 2


def test_a_success_clears_the_failure_state(webhook_app, client, org, touchpoint_key, receiver):
    endpoint = subscribe(client, org, receiver.url())
    receiver.answer(Answer(500))
    answer(client, touchpoint_key)
    assert endpoint_row(webhook_app, endpoint["id"]).failing_since is not None

    answer(client, touchpoint_key)

    assert endpoint_row(webhook_app, endpoint["id"]).failing_since is None


def test_enabling_an_endpoint_again_clears_its_failure_state(webhook_app, client, org, touchpoint_key, receiver):
    endpoint = subscribe(client, org, receiver.url())
    receiver.answer(Answer(410))
    answer(client, touchpoint_key)

    enabled = client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=org.headers,
                           json={"enabled": True}).get_json()

    assert (enabled["enabled"], enabled["disabled_reason"], enabled["failing_since"]) == (True, None, None)


def test_one_delivery_is_redelivered_with_the_same_webhook_id(webhook_app, client, org, touchpoint_key, receiver):
    endpoint = subscribe(client, org, receiver.url())
    answer(client, touchpoint_key)
    [delivery] = deliveries(webhook_app)

    again = client.post(f"/api/v1/webhook-deliveries/{delivery.id}/redeliver", headers=org.headers)

    # Accepted: due again now, and sent once the answer is out (in-process here).
    assert again.status_code == 202 and again.get_json()["status"] == "pending"
    [delivery] = deliveries(webhook_app)
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert second.verify(endpoint["secret"]) == first.verify(endpoint["secret"])


def test_a_redelivery_that_fails_is_not_retried_on_the_schedule(webhook_app, client, org, touchpoint_key, receiver):
    subscribe(client, org, receiver.url())
    answer(client, touchpoint_key)
    [delivery] = deliveries(webhook_app)
    receiver.answer(Answer(500))

    client.post(f"/api/v1/webhook-deliveries/{delivery.id}/redeliver", headers=org.headers)

    [again] = deliveries(webhook_app)
    assert (again.status, again.attempts) == ("failed", 2)


def test_every_failed_delivery_since_a_time_is_redelivered(webhook_app, client, org, touchpoint_key, receiver):
    endpoint = subscribe(client, org, receiver.url())
    receiver.answer(*[Answer(500)] * 20)
    for score in (1, 2, 3):
        answer(client, touchpoint_key, score=score)
    for delivery in deliveries(webhook_app):
        retry_until_settled(webhook_app, delivery.id)
    old, *recent = deliveries(webhook_app)
    since = utcnow() - timedelta(hours=1)
    with webhook_app.app_context():
        from feedback_service.models import WebhookDelivery

        db.session.get(WebhookDelivery, old.id).created_at = since - timedelta(days=1)
        db.session.commit()
    receiver.requests.clear()
    receiver.script.clear()

    result = client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/redeliver-failed", headers=org.headers,
                         json={"since": since.isoformat()})

    assert result.status_code == 202 and result.get_json() == {"redelivered": 2}
    assert sorted(r.json["data"]["response"]["score"] for r in receiver.wait_for(2)) == [2, 3]
    assert [d.status for d in deliveries(webhook_app)] == ["failed", "succeeded", "succeeded"]


def test_redelivering_to_a_disabled_endpoint_is_a_conflict(webhook_app, client, org, touchpoint_key, receiver):
    endpoint = subscribe(client, org, receiver.url())
    receiver.answer(Answer(410))
    answer(client, touchpoint_key)
    [delivery] = deliveries(webhook_app)

    one = client.post(f"/api/v1/webhook-deliveries/{delivery.id}/redeliver", headers=org.headers)
    every = client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/redeliver-failed", headers=org.headers,
                        json={"since": "2020-01-01T00:00:00+00:00"})

    assert one.status_code == 409 and every.status_code == 409


def test_redeliver_failed_needs_an_aware_since(client, org, receiver):
    endpoint = subscribe(client, org, receiver.url())

    naive = client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/redeliver-failed", headers=org.headers,
                        json={"since": "2020-01-01T00:00:00"})

    assert naive.status_code == 422 and "since" in naive.get_json()["errors"]


@pytest.mark.parametrize("schedule", ["", "soon", "5,-1", "5,,x", "nan"])
def test_a_bad_retry_schedule_is_refused_at_start(app_config, schedule):
    with pytest.raises(ConfigError, match="WEBHOOK_RETRY_SCHEDULE"):
        create_app({**app_config, "WEBHOOK_RETRY_SCHEDULE": schedule, "RATELIMIT_STORAGE_URI": "memory://"})


def test_the_default_retry_schedule_is_the_contracts(app):
    # CONTRACT.md: WEBHOOK_RETRY_SCHEDULE defaults to 5,300,1800,7200,18000,36000,36000 (Svix's).
    assert app.config["WEBHOOK_RETRY_DELAYS"] == [5, 300, 1800, 7200, 18000, 36000, 36000]
