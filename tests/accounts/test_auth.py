"""Secret API keys: who may call the management API, and with which role."""

from __future__ import annotations

import hashlib
import threading

import pytest
from sqlalchemy import select

from feedback_service.core.security import generate_api_key
from feedback_service.extensions import db
from feedback_service.models import ApiKey, Journey
from tests.helpers.assertions import assert_error, row_counts


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_a_request_without_a_key_is_401_in_the_contract_shape(client):
    response = client.get("/api/v1/journeys")

    body = assert_error(response, 401)
    assert "Bearer" in body["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", [
    "Bearer",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "sk_only_the_key_without_a_scheme",
    "Bearer not-a-key",
    "Bearer pk_thisIsAPublishableKeyNotASecret",
    "Bearer sk_short",
])
def test_a_garbled_authorization_header_is_401(client, org, header):
    assert_error(client.get("/api/v1/journeys", headers={"Authorization": header}), 401)


def test_a_key_with_one_character_changed_fails_its_checksum(client, org):
    tampered = org.api_key[:-1] + ("A" if org.api_key[-1] != "A" else "B")

    body = assert_error(client.get("/api/v1/journeys", headers=bearer(tampered)), 401)
    assert "not a valid API key" in body["message"]


def test_a_well_formed_key_that_was_never_issued_is_401(client, org):
    never_issued, _, _ = generate_api_key()

    body = assert_error(client.get("/api/v1/journeys", headers=bearer(never_issued)), 401)
    assert body["message"] == "Unknown API key."


def test_a_valid_key_is_accepted_with_any_case_of_bearer(client, org):
    response = client.get("/api/v1/journeys", headers={"Authorization": f"bearer {org.api_key}"})

    assert response.status_code == 200
    assert response.get_json() == {"data": [], "next_cursor": None}


def test_keys_are_stored_only_as_a_hash_and_a_lookup_prefix(app, org):
    with app.app_context():
        rows = db.session.execute(select(ApiKey.__table__)).mappings().all()
        db.session.remove()

    assert len(rows) == 1
    row = rows[0]
    assert row["key_hash"] == hashlib.sha256(org.api_key.encode()).hexdigest()
    assert org.api_key.startswith(row["prefix"]) and len(row["prefix"]) < len(org.api_key) / 2
    stored_text = " ".join(str(value) for value in row.values())
    assert org.api_key not in stored_text
    assert org.api_key[len(row["prefix"]):] not in stored_text  # not even the secret part


def test_a_viewer_key_can_read(client, org, make_key, make_journey):
    journey_id = make_journey(org)
    viewer = make_key(org, "viewer")

    assert client.get("/api/v1/journeys", headers=viewer).status_code == 200
    assert client.get(f"/api/v1/journeys/{journey_id}", headers=viewer).status_code == 200
    assert client.get("/api/v1/touchpoints", headers=viewer).status_code == 200
    assert client.get("/api/v1/responses", headers=viewer).status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/api/v1/journeys", {"name": "Sneaky"}),
    ("PATCH", "/api/v1/journeys/{journey_id}", {"name": "Renamed"}),
    ("DELETE", "/api/v1/journeys/{journey_id}", None),
    ("POST", "/api/v1/teams", {"name": "Sneaky team"}),
    ("POST", "/api/v1/api-keys", {"name": "escalate", "role": "admin"}),
])
def test_a_viewer_key_cannot_write(app, client, org, make_key, make_journey, method, path, body):
    journey_id = make_journey(org, name="Original")
    viewer = make_key(org, "viewer")
    before = row_counts(app)

    response = client.open(path.format(journey_id=journey_id), method=method, json=body, headers=viewer)

    assert "viewer" in assert_error(response, 403)["message"]
    assert row_counts(app) == before
    with app.app_context():
        assert db.session.get(Journey, journey_id).name == "Original"


def test_an_agent_key_can_read_journeys_but_not_create_them(app, client, org, make_key):
    agent = make_key(org, "agent")

    assert client.get("/api/v1/journeys", headers=agent).status_code == 200
    body = assert_error(client.post("/api/v1/journeys", json={"name": "Agent's journey"}, headers=agent), 403)
    assert "admin" in body["message"]
    assert row_counts(app)["journey"] == 0


def test_an_agent_key_cannot_manage_api_keys(client, org, make_key):
    agent = make_key(org, "agent")

    assert_error(client.get("/api/v1/api-keys", headers=agent), 403)
    assert_error(client.post("/api/v1/api-keys", json={"name": "mine"}, headers=agent), 403)


def test_a_new_key_is_shown_once_when_created(client, org):
    response = client.post("/api/v1/api-keys", json={"name": "CI export", "role": "viewer"}, headers=org.headers)

    assert response.status_code == 201
    created = response.get_json()
    assert created["key"].startswith("sk_")
    assert created["key"].startswith(created["prefix"])
    assert (created["name"], created["role"], created["revoked_at"]) == ("CI export", "viewer", None)
    assert client.get("/api/v1/journeys", headers=bearer(created["key"])).status_code == 200


def test_listing_keys_never_shows_a_secret(client, org):
    new_key = client.post("/api/v1/api-keys", json={"name": "CI export"}, headers=org.headers).get_json()["key"]

    response = client.get("/api/v1/api-keys", headers=org.headers)

    assert response.status_code == 200
    listed = response.get_json()["data"]
    assert [k["name"] for k in listed] == ["Created with the organisation", "CI export"]
    assert all("key" not in k and "key_hash" not in k for k in listed)
    text = response.get_data(as_text=True)
    assert new_key not in text and org.api_key not in text


def test_a_revoked_key_is_refused_from_then_on(client, org):
    created = client.post("/api/v1/api-keys", json={"name": "leaked"}, headers=org.headers).get_json()
    assert client.get("/api/v1/journeys", headers=bearer(created["key"])).status_code == 200

    revoked = client.delete(f"/api/v1/api-keys/{created['id']}", headers=org.headers)

    assert revoked.status_code == 200
    assert revoked.get_json()["revoked_at"] is not None
    body = assert_error(client.get("/api/v1/journeys", headers=bearer(created["key"])), 401)
    assert "revoked" in body["message"]


def test_revoking_one_key_leaves_the_others_working(client, org):
    created = client.post("/api/v1/api-keys", json={"name": "second"}, headers=org.headers).get_json()

    client.delete(f"/api/v1/api-keys/{created['id']}", headers=org.headers)

    assert client.get("/api/v1/journeys", headers=org.headers).status_code == 200


def test_revoking_an_unknown_key_is_404(client, org):
    assert_error(client.delete("/api/v1/api-keys/999999", headers=org.headers), 404)


def test_an_organisation_can_hold_several_working_keys(client, org, make_key):
    keys = [org.headers, make_key(org, "admin"), make_key(org, "agent"),
            bearer(client.post("/api/v1/api-keys", json={"name": "third"}, headers=org.headers).get_json()["key"])]

    assert len({k["Authorization"] for k in keys}) == 4
    assert [client.get("/api/v1/journeys", headers=k).status_code for k in keys] == [200, 200, 200, 200]
    assert len(client.get("/api/v1/api-keys", headers=org.headers).get_json()["data"]) == 4


def test_a_read_succeeds_while_another_request_holds_the_write_lock(app, client, org, make_journey):
    # The first read of a key in a minute records when it was used. On SQLite that write
    # cannot wait for a writer in progress (it is refused at once), and must not fail the read.
    make_journey(org, "Buying")
    writing, done = threading.Event(), threading.Event()

    def hold_the_write_lock():
        with app.app_context(), org.scope():
            db.session.get(Journey, db.session.scalar(select(Journey.id))).description = "being edited"
            db.session.flush()
            writing.set()
            done.wait(10)
            db.session.rollback()
            db.session.remove()

    writer = threading.Thread(target=hold_the_write_lock)
    writer.start()
    try:
        assert writing.wait(10)
        response = client.get("/api/v1/journeys", headers=org.headers)
    finally:
        done.set()
        writer.join(10)

    assert response.status_code == 200
    assert [j["name"] for j in response.get_json()["data"]] == ["Buying"]
