"""Journeys through the management API: CRUD, and their touchpoints in order."""

from __future__ import annotations

from tests.helpers.assertions import assert_error, row_counts


def test_creating_a_journey_returns_it_with_no_touchpoints(client, org):
    response = client.post("/api/v1/journeys", json={"name": "Buying shoes online",
                                                      "description": "From the advert to a return."},
                           headers=org.headers)

    assert response.status_code == 201
    journey = response.get_json()
    assert isinstance(journey["id"], int)
    assert (journey["name"], journey["description"], journey["touchpoints"]) == (
        "Buying shoes online", "From the advert to a return.", [])
    assert journey["created_at"].endswith("+00:00")


def test_description_defaults_to_empty(client, org):
    journey = client.post("/api/v1/journeys", json={"name": "Returns"}, headers=org.headers).get_json()

    assert journey["description"] == ""


def test_journeys_are_listed_in_creation_order(client, org, make_journey):
    ids = [make_journey(org, name=name) for name in ("Buying", "Returning", "Complaining")]

    listed = client.get("/api/v1/journeys", headers=org.headers).get_json()

    assert [j["id"] for j in listed["data"]] == ids
    assert listed["next_cursor"] is None


def test_journey_lists_are_paged_with_a_cursor(client, org, make_journey):
    ids = [make_journey(org, name=f"Journey {i}") for i in range(5)]

    first = client.get("/api/v1/journeys?limit=2", headers=org.headers).get_json()
    second = client.get(f"/api/v1/journeys?limit=2&cursor={first['next_cursor']}", headers=org.headers).get_json()
    third = client.get(f"/api/v1/journeys?limit=2&cursor={second['next_cursor']}", headers=org.headers).get_json()

    assert [j["id"] for page in (first, second, third) for j in page["data"]] == ids
    assert third["next_cursor"] is None


def test_getting_one_journey_includes_its_touchpoints_in_position_order(client, org, make_journey, make_touchpoint):
    journey_id = make_journey(org)
    for name in ("Browse", "Checkout", "Delivery"):
        make_touchpoint(org, journey_id, name=name)
    make_touchpoint(org, journey_id, name="Advertisement", position=1)

    journey = client.get(f"/api/v1/journeys/{journey_id}", headers=org.headers).get_json()

    assert [(t["position"], t["name"]) for t in journey["touchpoints"]] == [
        (1, "Advertisement"), (2, "Browse"), (3, "Checkout"), (4, "Delivery")]
    assert all(t["publishable_key"].startswith("pk_") for t in journey["touchpoints"])


def test_a_journey_omits_archived_touchpoints(client, org, make_journey, make_touchpoint):
    journey_id = make_journey(org)
    kept, _ = make_touchpoint(org, journey_id, name="Checkout")
    archived, _ = make_touchpoint(org, journey_id, name="Old survey")

    client.delete(f"/api/v1/touchpoints/{archived}", headers=org.headers)

    journey = client.get(f"/api/v1/journeys/{journey_id}", headers=org.headers).get_json()
    assert [t["id"] for t in journey["touchpoints"]] == [kept]


def test_patching_a_journey_changes_only_the_given_fields(client, org):
    created = client.post("/api/v1/journeys", json={"name": "Buying", "description": "Online"},
                          headers=org.headers).get_json()

    patched = client.patch(f"/api/v1/journeys/{created['id']}", json={"name": "Buying shoes"}, headers=org.headers)

    assert patched.status_code == 200
    assert (patched.get_json()["name"], patched.get_json()["description"]) == ("Buying shoes", "Online")
    fetched = client.get(f"/api/v1/journeys/{created['id']}", headers=org.headers).get_json()
    assert fetched["name"] == "Buying shoes"


def test_deleting_an_empty_journey_removes_it(client, org, make_journey):
    journey_id = make_journey(org)

    response = client.delete(f"/api/v1/journeys/{journey_id}", headers=org.headers)

    assert response.status_code == 204
    assert_error(client.get(f"/api/v1/journeys/{journey_id}", headers=org.headers), 404)


def test_deleting_a_journey_with_touchpoints_is_409_and_keeps_it(app, client, org, make_touchpoint):
    touchpoint_id, _ = make_touchpoint(org)
    journey_id = client.get(f"/api/v1/touchpoints/{touchpoint_id}", headers=org.headers).get_json()["journey_id"]
    before = row_counts(app)

    body = assert_error(client.delete(f"/api/v1/journeys/{journey_id}", headers=org.headers), 409)

    assert "touchpoint" in body["message"]
    assert row_counts(app) == before
    assert client.get(f"/api/v1/journeys/{journey_id}", headers=org.headers).status_code == 200


def test_a_journey_whose_touchpoints_were_archived_is_kept_for_their_responses(client, org, make_touchpoint,
                                                                               make_response):
    touchpoint_id, _ = make_touchpoint(org)
    make_response(org, touchpoint_id)
    journey_id = client.get(f"/api/v1/touchpoints/{touchpoint_id}", headers=org.headers).get_json()["journey_id"]
    client.delete(f"/api/v1/touchpoints/{touchpoint_id}", headers=org.headers)

    assert_error(client.delete(f"/api/v1/journeys/{journey_id}", headers=org.headers), 409)
    assert len(client.get("/api/v1/responses", headers=org.headers).get_json()["data"]) == 1


def test_an_unknown_journey_is_404(client, org):
    body = assert_error(client.get("/api/v1/journeys/424242", headers=org.headers), 404)

    assert "424242" in body["message"]
