"""Webhook endpoints and signed deliveries, received by a real server on loopback."""

from __future__ import annotations

import base64
import json
import socket
from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from feedback_service.core.database import commit
from feedback_service.events import log as events
from feedback_service.extensions import db
from feedback_service.models import WebhookEndpoint, utcnow
from feedback_service.webhooks import ssrf
from feedback_service.webhooks import transport as webhook_transport
from tests.helpers.assertions import assert_error, row_counts
from tests.helpers.webhooks import Answer, deliveries, subscribe

ALL_RESPONSE_EVENTS = ["response.created", "response.scored", "follow_up.created"]


@pytest.fixture
def client(webhook_app):
    return webhook_app.test_client()


def answer(client, pk: str, **body) -> dict:
    response = client.post(f"/w/{pk}/responses", json={"score": 4, **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# --- endpoints ------------------------------------------------------------------------

def test_creating_an_endpoint_shows_its_secret_once(client, org, receiver):
    created = subscribe(client, org, receiver.url(), ["response.created", "follow_up.created"])

    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) >= 24
    assert created["events"] == ["response.created", "follow_up.created"]
    assert created["enabled"] is True and created["touchpoint_ids"] is None
    shown = client.get(f"/api/v1/webhook-endpoints/{created['id']}", headers=org.headers).get_json()
    listed = client.get("/api/v1/webhook-endpoints", headers=org.headers).get_json()
    assert "secret" not in shown and shown["url"] == receiver.url()
    assert [e["id"] for e in listed["data"]] == [created["id"]] and "secret" not in listed["data"][0]


def test_events_must_come_from_the_contracts_list(client, org, receiver):
    unknown = client.post("/api/v1/webhook-endpoints", headers=org.headers,
                          json={"url": receiver.url(), "events": ["response.deleted"]})
    empty = client.post("/api/v1/webhook-endpoints", headers=org.headers, json={"url": receiver.url(), "events": []})

    assert_error(unknown, 422, "events")
    assert_error(empty, 422, "events")


def test_the_touchpoint_filter_must_name_the_organisations_touchpoints(client, org, make_org, make_touchpoint,
                                                                       receiver):
    other = make_org("Other")
    theirs, _ = make_touchpoint(other)

    refused = client.post("/api/v1/webhook-endpoints", headers=org.headers,
                          json={"url": receiver.url(), "events": ["response.created"], "touchpoint_ids": [theirs]})

    assert_error(refused, 422, "touchpoint_ids")


def test_only_admins_manage_endpoints(client, org, make_key, receiver):
    viewer, agent = make_key(org, "viewer"), make_key(org, "agent")
    body = {"url": receiver.url(), "events": ["response.created"]}

    assert client.post("/api/v1/webhook-endpoints", headers=viewer, json=body).status_code == 403
    assert client.post("/api/v1/webhook-endpoints", headers=agent, json=body).status_code == 403
    assert client.get("/api/v1/webhook-endpoints", headers=viewer).status_code == 200


def test_an_endpoint_is_changed_and_deleted_with_its_log(client, org, make_touchpoint, receiver):
    touchpoint_id, pk = make_touchpoint(org)
    endpoint = subscribe(client, org, receiver.url())
    answer(client, pk)

    changed = client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=org.headers,
                           json={"events": ["response.scored"], "touchpoint_ids": [touchpoint_id],
                                 "url": receiver.url("/other")})
    deleted = client.delete(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=org.headers)

    assert changed.status_code == 200
    assert (changed.get_json()["events"], changed.get_json()["touchpoint_ids"]) == (["response.scored"],
                                                                                      [touchpoint_id])
    assert changed.get_json()["url"].endswith("/other")
    assert deleted.status_code == 204
    assert client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=org.headers).status_code == 404
    counts = row_counts(client.application)
    assert counts["webhook_delivery"] == 0 and counts["webhook_attempt"] == 0


# --- signed deliveries ----------------------------------------------------------------

def test_every_delivery_verifies_with_the_standard_webhooks_library(client, org, make_touchpoint, receiver):
    _, pk = make_touchpoint(org, name="Contact support")
    endpoint = subscribe(client, org, receiver.url(), ALL_RESPONSE_EVENTS)

    created = answer(client, pk, score=1, comment="Waited 15 minutes. Awful.", customer={"id": "c-1"})

    received = receiver.wait_for(3)
    payloads = [request.verify(endpoint["secret"]) for request in received]
    assert sorted(p["type"] for p in payloads) == sorted(ALL_RESPONSE_EVENTS)
    by_type = {p["type"]: p for p in payloads}
    first = by_type["response.created"]
    assert set(first) == {"type", "timestamp", "data"}
    assert first["data"]["response"]["id"] == created["id"]
    assert first["data"]["touchpoint"]["name"] == "Contact support"
    assert first["data"]["question"] == "How satisfied are you with your experience?"
    assert by_type["response.scored"]["data"]["response"]["sentiment"]["label"] == "negative"
    logged = client.get("/api/v1/events", headers=org.headers).get_json()["data"]
    assert sorted(r.headers["webhook-id"] for r in received) == sorted(f"evt_{e['id']}" for e in logged)
    for request in received:
        assert request.headers["webhook-signature"].startswith("v1,")
        assert request.headers["content-type"] == "application/json"


def test_a_tampered_body_id_or_timestamp_fails_verification(client, org, make_touchpoint, receiver):
    _, pk = make_touchpoint(org)
    endpoint = subscribe(client, org, receiver.url())
    answer(client, pk, score=5)
    [request] = receiver.wait_for(1)
    webhook = Webhook(endpoint["secret"])
    webhook.verify(request.body, request.headers)  # the genuine message verifies

    tampered_body = request.body.replace(b'"score":5', b'"score":1')
    assert tampered_body != request.body
    with pytest.raises(WebhookVerificationError):
        webhook.verify(tampered_body, request.headers)
    with pytest.raises(WebhookVerificationError):
        webhook.verify(request.body, {**request.headers, "webhook-id": "evt_999999"})
    with pytest.raises(WebhookVerificationError):
        later = str(int(request.headers["webhook-timestamp"]) + 1)
        webhook.verify(request.body, {**request.headers, "webhook-timestamp": later})
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"x" * 24).decode()).verify(request.body, request.headers)


def test_only_the_chosen_events_and_touchpoints_are_delivered(client, org, make_journey, make_touchpoint, receiver):
    journey = make_journey(org)
    checkout, checkout_pk = make_touchpoint(org, journey, name="Checkout")
    _, delivery_pk = make_touchpoint(org, journey, name="Delivery")
    subscribe(client, org, receiver.url(), ["response.created"], touchpoint_ids=[checkout])

    answer(client, delivery_pk, score=2)
    answer(client, checkout_pk, score=1, comment="Card declined twice.")

    received = receiver.wait_for(1)
    assert [(r.json["type"], r.json["data"]["touchpoint"]["id"]) for r in received] == [("response.created", checkout)]


def test_a_disabled_endpoint_gets_nothing(client, org, make_touchpoint, receiver):
    _, pk = make_touchpoint(org)
    endpoint = subscribe(client, org, receiver.url(), enabled=False)

    answer(client, pk)

    assert endpoint["enabled"] is False and endpoint["disabled_reason"] == "manual"
    assert receiver.requests == [] and deliveries(client.application) == []


def test_deliveries_are_written_in_the_transaction_of_the_event(webhook_app, client, org, receiver):
    subscribe(client, org, receiver.url(), ["alert.triggered"])
    with webhook_app.app_context(), org.scope():
        events.record("alert.triggered", {"alert": "rolled back"})
        db.session.flush()
        db.session.rollback()
        events.record("alert.triggered", {"alert": "kept"})
        commit()

    [request] = receiver.wait_for(1)
    assert request.json["data"] == {"alert": "kept"}
    assert len(deliveries(webhook_app)) == 1


def test_the_delivery_log_records_each_attempt(client, org, make_touchpoint, receiver):
    _, pk = make_touchpoint(org)
    endpoint = subscribe(client, org, receiver.url())
    receiver.answer(Answer(status=202, body=b"x" * 5000))

    answer(client, pk)

    log = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=org.headers).get_json()
    [delivery] = log["data"]
    assert (delivery["status"], delivery["attempts"], delivery["event_type"]) == ("succeeded", 1, "response.created")
    assert delivery["webhook_id"] == receiver.requests[0].headers["webhook-id"]
    [attempt] = delivery["log"]
    assert (attempt["attempt"], attempt["status"], attempt["response_status_code"]) == (1, "succeeded", 202)
    assert attempt["response_body"] == "x" * 1024  # a bounded excerpt
    assert attempt["duration_ms"] >= 0 and attempt["error"] is None
    only_failed = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries?status=failed",
                             headers=org.headers).get_json()
    assert only_failed["data"] == []


def test_rotation_signs_with_both_secrets_for_a_day(webhook_app, client, org, make_touchpoint, receiver):
    _, pk = make_touchpoint(org)
    endpoint = subscribe(client, org, receiver.url())
    rotated = client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=org.headers)
    assert rotated.status_code == 200
    new_secret = rotated.get_json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != endpoint["secret"]

    answer(client, pk)
    [during] = receiver.wait_for(1)
    with webhook_app.app_context():
        db.session.get(WebhookEndpoint, endpoint["id"]).previous_secret_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    answer(client, pk)
    _, after = receiver.wait_for(2)

    assert len(during.headers["webhook-signature"].split(" ")) == 2
    during.verify(new_secret)
    during.verify(endpoint["secret"])
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    after.verify(new_secret)
    with pytest.raises(WebhookVerificationError):
        after.verify(endpoint["secret"])


def test_the_connection_goes_to_the_resolved_address_with_the_real_host_name(client, org, make_touchpoint,
                                                                             receiver, monkeypatch):
    real_getaddrinfo = socket.getaddrinfo
    lookups = []

    def fake_getaddrinfo(host, port, *args, **kwargs):
        if host == "hooks.example.test":
            lookups.append(host)
            return real_getaddrinfo("127.0.0.1", port, *args, **kwargs)
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    _, pk = make_touchpoint(org)
    subscribe(client, org, f"http://hooks.example.test:{receiver.port}/in")

    answer(client, pk)

    [request] = receiver.wait_for(1)
    assert request.headers["host"] == f"hooks.example.test:{receiver.port}"
    assert request.path == "/in"
    assert lookups == ["hooks.example.test", "hooks.example.test"]  # at creation, and once at send time


def test_a_url_with_non_ascii_characters_is_stored_percent_encoded_and_delivered(webhook_app, client, org,
                                                                                 make_touchpoint, receiver):
    _, pk = make_touchpoint(org)
    endpoint = subscribe(client, org, receiver.url("/café?q=é&r=%C3%A9"))

    answer(client, pk)

    assert endpoint["url"] == receiver.url("/caf%C3%A9?q=%C3%A9&r=%C3%A9")
    [request] = receiver.wait_for(1)
    assert request.path == "/caf%C3%A9?q=%C3%A9&r=%C3%A9"
    [delivery] = deliveries(webhook_app)
    assert (delivery.status, delivery.last_error) == ("succeeded", None)


def set_stored_url(app, endpoint_id: int, url: str) -> None:
    """As a row saved before URLs were normalised might hold it."""
    with app.app_context():
        db.session.get(WebhookEndpoint, endpoint_id).url = url
        db.session.commit()


def test_a_stored_url_from_before_normalisation_is_sent_percent_encoded(webhook_app, client, org,
                                                                        make_touchpoint, receiver):
    _, pk = make_touchpoint(org)
    endpoint = subscribe(client, org, receiver.url())
    set_stored_url(webhook_app, endpoint["id"], receiver.url("/café"))

    answer(client, pk)

    [request] = receiver.wait_for(1)
    assert request.path == "/caf%C3%A9"
    assert deliveries(webhook_app)[0].status == "succeeded"


def test_a_stored_url_that_cannot_be_sent_is_a_failed_attempt_not_a_crash(webhook_app, client, org,
                                                                         make_touchpoint, receiver, caplog):
    _, pk = make_touchpoint(org)
    endpoint = subscribe(client, org, receiver.url())
    set_stored_url(webhook_app, endpoint["id"], receiver.url("/my hook"))

    with caplog.at_level("ERROR"):
        answer(client, pk)

    [delivery] = deliveries(webhook_app)
    assert delivery.attempts == 1 and delivery.last_error.startswith("refused: Not a valid URL")
    assert receiver.requests == []
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_the_transport_records_a_path_it_cannot_encode_as_a_failure(receiver, caplog):
    target = ssrf.Target("http", "127.0.0.1", receiver.port, "/café", ("127.0.0.1",))

    with caplog.at_level("ERROR"):
        outcome = webhook_transport.post(target, b"{}", {}, timeout=2)

    assert outcome.status_code is None and not outcome.ok
    assert outcome.error.startswith("send:") and "ASCII" in outcome.error
    assert receiver.requests == [] and not caplog.records


# --- tenancy ----------------------------------------------------------------------------

def test_another_organisation_sees_and_touches_none_of_the_endpoints(client, org, make_org, make_touchpoint,
                                                                     receiver):
    _, pk = make_touchpoint(org)
    endpoint = subscribe(client, org, receiver.url())
    answer(client, pk)
    [delivery] = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries",
                            headers=org.headers).get_json()["data"]
    other = make_org("Other")
    theirs = subscribe(client, other, receiver.url("/other"), ["response.created", "follow_up.created"])

    assert client.get("/api/v1/webhook-endpoints", headers=other.headers).get_json()["data"] == [
        {k: v for k, v in theirs.items() if k != "secret"}]
    assert client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=other.headers).status_code == 404
    assert client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=other.headers,
                        json={"enabled": False}).status_code == 404
    assert client.delete(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=other.headers).status_code == 404
    assert client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries",
                      headers=other.headers).status_code == 404
    assert client.get(f"/api/v1/webhook-deliveries/{delivery['id']}", headers=other.headers).status_code == 404
    assert client.post(f"/api/v1/webhook-deliveries/{delivery['id']}/redeliver",
                       headers=other.headers).status_code == 404
    assert client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/rotate-secret",
                       headers=other.headers).status_code == 404
    answer(client, pk)  # the first organisation's event reaches only its own endpoint
    assert [r.path for r in receiver.wait_for(2)] == ["/hook", "/hook"]


def test_the_openapi_document_lists_the_webhook_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert {"/api/v1/webhook-endpoints", "/api/v1/webhook-endpoints/{endpoint_id}",
            "/api/v1/webhook-endpoints/{endpoint_id}/deliveries",
            "/api/v1/webhook-deliveries/{delivery_id}/redeliver"} <= set(paths)
    assert json.dumps(paths["/api/v1/webhook-endpoints"]["post"]).count("secret") >= 1


def test_without_a_worker_the_answer_does_not_wait_for_the_receiver(app_config, org, make_touchpoint, receiver):
    """In-process, the delivery is sent once the customer's answer is out, not before."""
    import threading
    import time
    import urllib.request

    from werkzeug.serving import make_server

    from feedback_service import create_app
    from tests.helpers.webhooks import webhook_app_config

    patient = create_app(webhook_app_config(app_config, WEBHOOK_TIMEOUT_SECONDS=5))
    _, pk = make_touchpoint(org)
    subscribe(patient.test_client(), org, receiver.url())
    receiver.answer(Answer(200, delay=1.5))
    server = make_server("127.0.0.1", 0, patient, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{server.port}/w/{pk}/responses", method="POST",
                                         data=b'{"score": 5}', headers={"Content-Type": "application/json"})
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=10) as answered:
            assert answered.status == 201
            answered.read()
        waited = time.monotonic() - started
        [delivered] = receiver.wait_for(1)
    finally:
        server.shutdown()
    assert waited < 1.0  # the receiver takes 1.5 s to answer
    assert delivered.json["type"] == "response.created"
    deadline = time.monotonic() + 10
    while [d.status for d in deliveries(patient)] != ["succeeded"] and time.monotonic() < deadline:
        time.sleep(0.05)  # the receiver's answer arrives, and the outcome is recorded
    assert [d.status for d in deliveries(patient)] == ["succeeded"]
    with patient.app_context():
        db.engine.dispose()
