"""Another organisation's key sees nothing, and cannot reach anything by id."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from feedback_service.core.tenancy import CrossTenantWrite, tenant_scope
from feedback_service.extensions import db
from feedback_service.models import ApiKey, Journey, Response, Team, User
from tests.helpers.assertions import assert_error, row_counts


@dataclass
class World:
    """Organisation A's rows, and organisation B that should see none of them."""

    a: object
    b: object
    team_id: int
    user_id: int
    journey_id: int
    touchpoint_id: int
    response_id: int
    customer_id: int


@pytest.fixture
def world(app, make_org, make_team, make_touchpoint, make_response) -> World:
    a, b = make_org("Org A"), make_org("Org B")
    team_id = make_team(a, name="Support", members=1)
    touchpoint_id, _ = make_touchpoint(a, team_id=team_id)
    response_id = make_response(a, touchpoint_id, score=2, comment="Too slow",
                                customer={"external_id": "cust-1", "email": "ada@example.com"})
    with app.app_context(), a.scope():
        user_id = db.session.scalar(select(User.id).where(User.email == "support0@staff.example"))
        journey_id = db.session.scalar(select(Journey.id))
        customer_id = db.session.get(Response, response_id).customer_id
        db.session.remove()
    return World(a, b, team_id, user_id, journey_id, touchpoint_id, response_id, customer_id)


@pytest.mark.parametrize(("path", "attribute"), [
    ("/api/v1/teams/{}", "team_id"),
    ("/api/v1/users/{}", "user_id"),
    ("/api/v1/journeys/{}", "journey_id"),
    ("/api/v1/touchpoints/{}", "touchpoint_id"),
    ("/api/v1/responses/{}", "response_id"),
    ("/api/v1/customers/{}", "customer_id"),
])
def test_another_organisations_id_is_404(client, world, path, attribute):
    url = path.format(getattr(world, attribute))
    assert client.get(url, headers=world.a.headers).status_code == 200  # it exists, for its owner

    assert_error(client.get(url, headers=world.b.headers), 404)


@pytest.mark.parametrize("path", [
    "/api/v1/teams", "/api/v1/journeys", "/api/v1/touchpoints", "/api/v1/responses", "/api/v1/customers",
    "/api/v1/customers?email=ada@example.com", "/api/v1/responses?touchpoint_id={touchpoint_id}",
    "/api/v1/responses?customer_id={customer_id}", "/api/v1/touchpoints?journey_id={journey_id}",
])
def test_another_organisations_lists_are_empty(client, world, path):
    url = path.format(**vars(world))
    assert client.get(url, headers=world.a.headers).get_json()["data"] != []

    assert client.get(url, headers=world.b.headers).get_json() == {"data": [], "next_cursor": None}


def test_staff_and_key_lists_show_only_the_callers_own(client, world):
    users = client.get("/api/v1/users", headers=world.b.headers).get_json()["data"]
    keys = client.get("/api/v1/api-keys", headers=world.b.headers).get_json()["data"]

    assert [u["email"] for u in users] == [world.b.admin_email]
    assert len(keys) == 1 and world.b.api_key.startswith(keys[0]["prefix"])


def test_another_organisations_key_cannot_be_revoked(app, client, world):
    with app.app_context(), world.a.scope():
        a_key_id = db.session.scalar(select(ApiKey.id))
        db.session.remove()

    assert_error(client.delete(f"/api/v1/api-keys/{a_key_id}", headers=world.b.headers), 404)
    assert client.get("/api/v1/journeys", headers=world.a.headers).status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), [
    ("PATCH", "/api/v1/journeys/{journey_id}", {"name": "Hijacked"}),
    ("DELETE", "/api/v1/journeys/{journey_id}", None),
    ("PATCH", "/api/v1/touchpoints/{touchpoint_id}", {"name": "Hijacked"}),
    ("DELETE", "/api/v1/touchpoints/{touchpoint_id}", None),
    ("PATCH", "/api/v1/teams/{team_id}", {"name": "Hijacked"}),
    ("DELETE", "/api/v1/teams/{team_id}", None),
    ("PATCH", "/api/v1/users/{user_id}", {"name": "Hijacked"}),
])
def test_another_organisations_rows_cannot_be_changed(app, client, world, method, path, body):
    before = row_counts(app)
    url = path.format(**vars(world))

    assert_error(client.open(url, method=method, json=body, headers=world.b.headers), 404)

    assert row_counts(app) == before
    with app.app_context():
        assert db.session.get(Journey, world.journey_id).name == "Buying shoes online"
        assert db.session.get(Team, world.team_id).name == "Support"


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/v1/touchpoints", {"journey_id": "{journey_id}", "name": "Stolen"}, "journey_id"),
    ("/api/v1/touchpoints", {"journey_id": "{own_journey_id}", "name": "Stolen", "team_id": "{team_id}"},
     "team_id"),
    ("/api/v1/teams", {"name": "Ours", "member_ids": ["{user_id}"]}, "member_ids"),
    ("/api/v1/teams", {"name": "Ours", "lead_id": "{user_id}"}, "lead_id"),
    ("/api/v1/users", {"email": "new@b.example", "team_ids": ["{team_id}"]}, "team_ids"),
])
def test_referencing_another_organisations_rows_is_422_and_creates_nothing(
        app, client, world, make_journey, path, body, field):
    ids = {**vars(world), "own_journey_id": make_journey(world.b, name="B's journey")}
    before = row_counts(app)

    response = client.post(path, json=_fill(body, ids), headers=world.b.headers)

    message = assert_error(response, 422, field)["errors"][field][0]
    assert "in this organisation" in message
    assert row_counts(app) == before


def test_moving_a_touchpoint_into_another_organisations_journey_is_422(client, world, make_touchpoint):
    own_touchpoint_id, _ = make_touchpoint(world.b)

    response = client.patch(f"/api/v1/touchpoints/{own_touchpoint_id}", json={"journey_id": world.journey_id},
                            headers=world.b.headers)

    assert_error(response, 422, "journey_id")
    assert client.get(f"/api/v1/journeys/{world.journey_id}", headers=world.a.headers).get_json()[
        "touchpoints"][0]["id"] == world.touchpoint_id


def test_new_rows_are_stamped_with_the_current_organisation(app, world):
    with app.app_context():
        with tenant_scope(world.b.id):
            journey = Journey(name="Stamped")
            db.session.add(journey)
            db.session.flush()
            assert journey.organization_id == world.b.id
        db.session.rollback()


def test_reading_inside_a_tenant_scope_sees_only_that_tenant(app, world, make_journey):
    make_journey(world.b, name="B's journey")
    with app.app_context():
        with tenant_scope(world.b.id):
            names = db.session.scalars(select(Journey.name)).all()
            assert db.session.get(Journey, world.journey_id) is None
        assert sorted(db.session.scalars(select(Journey.name)).all()) == ["B's journey", "Buying shoes online"]
        db.session.remove()
    assert names == ["B's journey"]


def test_writing_another_organisations_row_is_refused(app, world):
    with app.app_context():
        foreign = db.session.get(Journey, world.journey_id)  # loaded without a tenant, as a job might
        with tenant_scope(world.b.id), pytest.raises(CrossTenantWrite):
            foreign.name = "Hijacked"
            db.session.flush()
        db.session.rollback()
        assert db.session.get(Journey, world.journey_id).name == "Buying shoes online"
        db.session.remove()


def test_adding_a_row_for_another_organisation_is_refused(app, world):
    with app.app_context():
        with tenant_scope(world.b.id), pytest.raises(CrossTenantWrite):
            db.session.add(Journey(name="Planted", organization_id=world.a.id))
            db.session.flush()
        db.session.rollback()
        db.session.remove()
    assert row_counts(app)["journey"] == 1


def _fill(body, ids):
    """Substitute ``"{name}"`` placeholders with ids, keeping them integers."""
    if isinstance(body, dict):
        return {key: _fill(value, ids) for key, value in body.items()}
    if isinstance(body, list):
        return [_fill(value, ids) for value in body]
    if isinstance(body, str) and body.startswith("{") and body.endswith("}"):
        return ids[body[1:-1]]
    return body
