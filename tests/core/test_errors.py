"""Bad input, route by route: a 4xx in the contract's shape, the field named, nothing changed.

Each row is one thing a client can get wrong. The same table is then replayed
in one go to show that none of it, nor a few hostile extras, ever makes a 5xx.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from feedback_service.extensions import db
from feedback_service.models import ApiKey, Journey, User
from tests.helpers.assertions import assert_error, row_counts


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    path: str
    status: int
    field: str | None = None
    json: object = None
    data: str | bytes | None = None
    content_type: str | None = None
    query: dict = dataclasses.field(default_factory=dict)
    auth: bool = True


CASES = [
    # teams
    Case("team without a name", "POST", "/api/v1/teams", 422, "name", json={}),
    Case("team with an empty name", "POST", "/api/v1/teams", 422, "name", json={"name": ""}),
    Case("team name too long", "POST", "/api/v1/teams", 422, "name", json={"name": "x" * 201}),
    Case("team name is a number", "POST", "/api/v1/teams", 422, "name", json={"name": 7}),
    Case("team with a duplicate name", "POST", "/api/v1/teams", 422, "name", json={"name": "support"}),
    Case("unknown assignment strategy", "POST", "/api/v1/teams", 422, "assignment",
         json={"name": "Ops", "assignment": "random"}),
    Case("member_ids not a list", "POST", "/api/v1/teams", 422, "member_ids", json={"name": "Ops", "member_ids": 1}),
    Case("member id is a string", "POST", "/api/v1/teams", 422, "member_ids",
         json={"name": "Ops", "member_ids": ["1"]}),
    Case("member id is a boolean", "POST", "/api/v1/teams", 422, "member_ids",
         json={"name": "Ops", "member_ids": [True]}),
    Case("member who does not exist", "POST", "/api/v1/teams", 422, "member_ids",
         json={"name": "Ops", "member_ids": [987654]}),
    Case("lead who does not exist", "POST", "/api/v1/teams", 422, "lead_id", json={"name": "Ops", "lead_id": 987654}),
    Case("team name only spaces", "POST", "/api/v1/teams", 422, "name", json={"name": "   "}),
    Case("team renamed to null", "PATCH", "/api/v1/teams/{team_id}", 422, "name", json={"name": None}),
    # users
    Case("user without an email", "POST", "/api/v1/users", 422, "email", json={"name": "Sam"}),
    Case("user with a bad email", "POST", "/api/v1/users", 422, "email", json={"email": "not-an-email"}),
    Case("user email null", "POST", "/api/v1/users", 422, "email", json={"email": None}),
    Case("user email too long", "POST", "/api/v1/users", 422, "email",
         json={"email": "a" * 64 + "@" + ("b" * 60 + ".") * 5 + "example"}),
    Case("user with a duplicate email", "POST", "/api/v1/users", 422, "email",
         json={"email": "SUPPORT0@staff.example"}),
    Case("user with an unknown role", "POST", "/api/v1/users", 422, "role",
         json={"email": "new@staff.example", "role": "owner"}),
    Case("user password too short", "POST", "/api/v1/users", 422, "password",
         json={"email": "new@staff.example", "password": "short"}),
    Case("user in a team that does not exist", "POST", "/api/v1/users", 422, "team_ids",
         json={"email": "new@staff.example", "team_ids": [987654]}),
    Case("user is_active not a boolean", "PATCH", "/api/v1/users/{user_id}", 422, "is_active",
         json={"is_active": "sometimes"}),
    Case("user with an unknown field", "POST", "/api/v1/users", 422, "phone",
         json={"email": "new@staff.example", "phone": "555-0100"}),
    # journeys
    Case("journey without a body", "POST", "/api/v1/journeys", 422, "name"),
    Case("journey name null", "POST", "/api/v1/journeys", 422, "name", json={"name": None}),
    Case("journey name a list", "POST", "/api/v1/journeys", 422, "name", json={"name": ["Buying"]}),
    Case("journey description too long", "POST", "/api/v1/journeys", 422, "description",
         json={"name": "Buying", "description": "x" * 2001}),
    Case("journey with an unknown field", "POST", "/api/v1/journeys", 422, "colour",
         json={"name": "Buying", "colour": "red"}),
    Case("journey body is a list", "POST", "/api/v1/journeys", 422, json=[{"name": "Buying"}]),
    Case("journey renamed to whitespace", "PATCH", "/api/v1/journeys/{journey_id}", 422, "name",
         json={"name": "\t \n"}),
    Case("journey renamed to empty", "PATCH", "/api/v1/journeys/{journey_id}", 422, "name", json={"name": ""}),
    Case("journey with touchpoints deleted", "DELETE", "/api/v1/journeys/{journey_id}", 409),
    # touchpoints
    Case("touchpoint without a journey", "POST", "/api/v1/touchpoints", 422, "journey_id", json={"name": "Checkout"}),
    Case("touchpoint journey_id is a string", "POST", "/api/v1/touchpoints", 422, "journey_id",
         json={"journey_id": "{journey_id}", "name": "Checkout"}),
    Case("touchpoint in a journey that does not exist", "POST", "/api/v1/touchpoints", 422, "journey_id",
         json={"journey_id": 987654, "name": "Checkout"}),
    Case("touchpoint without a name", "POST", "/api/v1/touchpoints", 422, "name", json={"journey_id": 1}),
    Case("touchpoint at position 0", "POST", "/api/v1/touchpoints", 422, "position",
         json={"journey_id": 1, "name": "Checkout", "position": 0}),
    Case("touchpoint at a negative position", "POST", "/api/v1/touchpoints", 422, "position",
         json={"journey_id": 1, "name": "Checkout", "position": -2}),
    Case("touchpoint moved to position 0", "PATCH", "/api/v1/touchpoints/{touchpoint_id}", 422, "position",
         json={"position": 0}),
    Case("touchpoint on an unknown channel", "POST", "/api/v1/touchpoints", 422, "channel",
         json={"journey_id": 1, "name": "Checkout", "channel": "fax"}),
    Case("touchpoint owned by a team that does not exist", "POST", "/api/v1/touchpoints", 422, "team_id",
         json={"journey_id": 1, "name": "Checkout", "team_id": 987654}),
    Case("touchpoint with an unknown metric", "POST", "/api/v1/touchpoints", 422, "survey",
         json={"journey_id": 1, "name": "Checkout", "survey": {"metric": "stars"}}),
    Case("touchpoint fatigue_days over a year", "POST", "/api/v1/touchpoints", 422, "survey",
         json={"journey_id": 1, "name": "Checkout", "survey": {"fatigue_days": 366}}),
    Case("touchpoint fatigue_days negative", "PATCH", "/api/v1/touchpoints/{touchpoint_id}", 422, "survey",
         json={"survey": {"fatigue_days": -1}}),
    Case("touchpoint fatigue_days a string", "POST", "/api/v1/touchpoints", 422, "survey",
         json={"journey_id": 1, "name": "Checkout", "survey": {"fatigue_days": "30"}}),
    Case("touchpoint survey language not a code", "POST", "/api/v1/touchpoints", 422, "survey",
         json={"journey_id": 1, "name": "Checkout", "survey": {"language": "German"}}),
    Case("touchpoint survey question too long", "POST", "/api/v1/touchpoints", 422, "survey",
         json={"journey_id": 1, "name": "Checkout", "survey": {"question": "?" * 501}}),
    Case("touchpoint survey not an object", "POST", "/api/v1/touchpoints", 422, "survey",
         json={"journey_id": 1, "name": "Checkout", "survey": "csat"}),
    Case("touchpoint scale label off the scale", "POST", "/api/v1/touchpoints", 422, "survey.scale_labels",
         json={"journey_id": 1, "name": "Checkout", "survey": {"metric": "csat", "scale_labels": {"7": "Seven"}}}),
    Case("touchpoint origin with a path", "POST", "/api/v1/touchpoints", 422, "allowed_origins",
         json={"journey_id": 1, "name": "Checkout", "allowed_origins": ["https://shop.example.com/cart"]}),
    Case("touchpoint origins not a list", "PATCH", "/api/v1/touchpoints/{touchpoint_id}", 422, "allowed_origins",
         json={"allowed_origins": "https://shop.example.com"}),
    Case("touchpoint trigger mode unknown", "POST", "/api/v1/touchpoints", 422, "trigger",
         json={"journey_id": 1, "name": "Checkout", "trigger": {"mode": "always"}}),
    Case("touchpoint with an unknown follow-up policy", "POST", "/api/v1/touchpoints", 422, "follow_up_policy",
         json={"journey_id": 1, "name": "Checkout", "follow_up_policy": "everything"}),
    Case("touchpoint follow-up policy null on edit", "PATCH", "/api/v1/touchpoints/{touchpoint_id}", 422,
         "follow_up_policy", json={"follow_up_policy": None}),
    Case("touchpoint name null on edit", "PATCH", "/api/v1/touchpoints/{touchpoint_id}", 422, "name",
         json={"name": None}),
    # root causes
    Case("root cause with a blank name", "POST", "/api/v1/root-causes", 422, "name", json={"name": "  "}),
    Case("root cause without a name", "POST", "/api/v1/root-causes", 422, "name", json={}),
    Case("root cause name too long once trimmed", "POST", "/api/v1/root-causes", 422, "name",
         json={"name": " " + "x" * 201 + " "}),
    # api keys
    Case("api key without a name", "POST", "/api/v1/api-keys", 422, "name", json={"role": "viewer"}),
    Case("api key with an unknown role", "POST", "/api/v1/api-keys", 422, "role", json={"name": "CI", "role": "root"}),
    Case("api key that does not exist revoked", "DELETE", "/api/v1/api-keys/987654", 404),
    # responses and customers: query arguments
    Case("responses limit over 200", "GET", "/api/v1/responses", 422, "limit", query={"limit": "201"}),
    Case("responses limit zero", "GET", "/api/v1/responses", 422, "limit", query={"limit": "0"}),
    Case("responses garbage cursor", "GET", "/api/v1/responses", 422, "cursor", query={"cursor": "bm9wZQ"}),
    Case("responses updated_after without a timezone", "GET", "/api/v1/responses", 422, "updated_after",
         query={"updated_after": "2026-03-01T12:00:00"}),
    Case("responses touchpoint_id not a number", "GET", "/api/v1/responses", 422, "touchpoint_id",
         query={"touchpoint_id": "checkout"}),
    Case("responses customer_id negative", "GET", "/api/v1/responses", 422, "customer_id",
         query={"customer_id": "-3"}),
    Case("customers email too long", "GET", "/api/v1/customers", 422, "email", query={"email": "a" * 321}),
    Case("follow-ups with an unknown status", "GET", "/api/v1/follow-ups", 422, "status", query={"status": "open"}),
    Case("follow-ups owner filter not a number", "GET", "/api/v1/follow-ups", 422, "owner_id",
         query={"owner_id": "me"}),
    Case("follow-ups overdue filter not a boolean", "GET", "/api/v1/follow-ups", 422, "overdue",
         query={"overdue": "sometimes"}),
    Case("metrics grouped by something unknown", "GET", "/api/v1/follow-ups/metrics", 422, "group_by",
         query={"group_by": "journey"}),
    Case("touchpoints journey filter negative", "GET", "/api/v1/touchpoints", 422, "journey_id",
         query={"journey_id": "-1"}),
    Case("responses filter misspelt", "GET", "/api/v1/responses", 422, "touchpointid", query={"touchpointid": "1"}),
    Case("follow-ups with an unknown parameter", "GET", "/api/v1/follow-ups", 422, "assignee",
         query={"assignee": "1"}),
    Case("events with an unknown parameter", "GET", "/api/v1/events", 422, "since", query={"since": "2026-01-01"}),
    Case("journeys with a page number", "GET", "/api/v1/journeys", 422, "page", query={"page": "2"}),
    Case("events cursor that is not one", "GET", "/api/v1/events", 422, "cursor", query={"cursor": "bm9wZQ"}),
    Case("events limit over 200", "GET", "/api/v1/events", 422, "limit", query={"limit": "500"}),
    Case("journeys cursor from another list's shape", "GET", "/api/v1/journeys", 422, "cursor",
         query={"cursor": "WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgMV0"}),
    # routes, methods, bodies
    Case("unknown API route", "GET", "/api/v1/surveys", 404),
    Case("unknown route outside the API", "GET", "/no/such/page", 404, auth=False),
    Case("unknown journey", "GET", "/api/v1/journeys/987654", 404),
    Case("id that is not a number", "GET", "/api/v1/responses/latest", 404),
    Case("PUT on a collection", "PUT", "/api/v1/journeys", 405, json={"name": "Buying"}),
    Case("DELETE on a collection", "DELETE", "/api/v1/teams", 405),
    Case("POST on an item", "POST", "/api/v1/journeys/{journey_id}", 405, json={"name": "Buying"}),
    Case("PATCH on responses, which are read-only", "PATCH", "/api/v1/responses/{response_id}", 405,
         json={"score": 5}),
    Case("form-encoded body", "POST", "/api/v1/journeys", 415, data="name=Buying",
         content_type="application/x-www-form-urlencoded"),
    Case("plain-text body", "POST", "/api/v1/teams", 415, data="Ops", content_type="text/plain"),
    Case("malformed JSON", "POST", "/api/v1/journeys", 400, data='{"name": "Buying",', content_type="application/json"),
    Case("JSON with a trailing comma", "PATCH", "/api/v1/teams/{team_id}", 400, data='{"name": "Ops",}',
         content_type="application/json"),
    Case("body over MAX_CONTENT_LENGTH", "POST", "/api/v1/journeys", 413,
         data='{"name": "Buying", "description": "' + "x" * (1024 * 1024 + 10) + '"}',
         content_type="application/json"),
]


@dataclass
class World:
    headers: dict
    ids: dict


@pytest.fixture
def world(app, org, make_team, make_touchpoint, make_response) -> World:
    team_id = make_team(org, name="Support", members=1)
    touchpoint_id, _ = make_touchpoint(org, team_id=team_id)
    response_id = make_response(org, touchpoint_id, comment="Slow", customer={"external_id": "c1", "email": None})
    with app.app_context(), org.scope():
        ids = {
            "team_id": team_id,
            "touchpoint_id": touchpoint_id,
            "response_id": response_id,
            "journey_id": db.session.scalar(select(Journey.id)),
            "user_id": db.session.scalar(select(User.id).where(User.email == "support0@staff.example")),
            "api_key_id": db.session.scalar(select(ApiKey.id)),
        }
        db.session.remove()
    return World(org.headers, ids)


def send(client, world: World, case: Case):
    kwargs = {"method": case.method, "query_string": case.query}
    if case.json is not None:
        kwargs["json"] = _fill(case.json, world.ids)
    elif case.data is not None:
        kwargs["data"] = case.data
        kwargs["content_type"] = case.content_type
    headers = world.headers if case.auth else {}
    return client.open(case.path.format(**world.ids), headers=headers, **kwargs)


def _fill(body, ids):
    """``"{journey_id}"`` strings become the id as a string (that case tests strings);
    a bare journey_id of 1 becomes the world's journey, so only the named field is wrong."""
    if isinstance(body, dict):
        return {key: (ids["journey_id"] if key == "journey_id" and value == 1 else _fill(value, ids))
                for key, value in body.items()}
    if isinstance(body, list):
        return [_fill(value, ids) for value in body]
    if isinstance(body, str) and body.startswith("{") and body.endswith("}"):
        return str(ids[body[1:-1]])
    return body


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_a_4xx_naming_the_field_and_changes_nothing(app, client, world, case):
    before = row_counts(app)

    response = send(client, world, case)

    body = assert_error(response, case.status, case.field)
    assert 400 <= body["code"] < 500
    if case.field is not None:
        assert all(isinstance(messages, (list, dict)) and messages for messages in body["errors"].values())
    assert row_counts(app) == before


def test_the_table_covers_every_route_family():
    families = {case.path.split("/")[3] if case.path.startswith("/api/v1/") else "other" for case in CASES}

    assert {"teams", "users", "journeys", "touchpoints", "api-keys", "responses", "customers", "follow-ups",
            "root-causes", "events", "other"} <= families
    assert len(CASES) >= 25


def test_a_wrong_method_says_which_methods_are_allowed(client, world):
    response = client.put("/api/v1/journeys", json={"name": "Buying"}, headers=world.headers)

    assert_error(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


HOSTILE = [
    Case("id beyond 32 bits in the path", "GET", "/api/v1/journeys/9999999999", 404),
    Case("id beyond 64 bits in the path", "GET", "/api/v1/touchpoints/99999999999999999999999", 404),
    Case("id beyond 64 bits to delete", "DELETE", "/api/v1/api-keys/99999999999999999999999", 404),
    Case("journey_id beyond 32 bits", "POST", "/api/v1/touchpoints", 422, "journey_id",
         json={"journey_id": 2 ** 40, "name": "Checkout"}),
    Case("member id beyond 64 bits", "POST", "/api/v1/teams", 422, "member_ids",
         json={"name": "Ops", "member_ids": [2 ** 70]}),
    Case("team_id beyond 32 bits on edit", "PATCH", "/api/v1/touchpoints/{touchpoint_id}", 422, "team_id",
         json={"team_id": 2 ** 35}),
    Case("touchpoint filter beyond 32 bits", "GET", "/api/v1/responses", 422, "touchpoint_id",
         query={"touchpoint_id": str(2 ** 40)}),
    Case("cursor holding an id beyond 64 bits", "GET", "/api/v1/journeys", 422, "cursor",
         query={"cursor": "WzEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MF0"}),
    Case("updated_after at the very start of time", "GET", "/api/v1/responses", 422, "updated_after",
         query={"updated_after": "0001-01-01T00:00:00+14:00"}),
    Case("updated_after at the very end of time", "GET", "/api/v1/responses", 422, "updated_after",
         query={"updated_after": "9999-12-31T23:59:59-14:00"}),
    Case("follow-ups updated_after at the very start of time", "GET", "/api/v1/follow-ups", 422, "updated_after",
         query={"updated_after": "0001-01-01T00:00:00+14:00"}),
    Case("follow-ups updated_after at the very end of time", "GET", "/api/v1/follow-ups", 422, "updated_after",
         query={"updated_after": "9999-12-31T23:59:59-14:00"}),
    Case("metrics since the very start of time", "GET", "/api/v1/follow-ups/metrics", 422, "since",
         query={"since": "0001-01-01T00:00:00+14:00"}),
    Case("metrics since the very end of time", "GET", "/api/v1/follow-ups/metrics", 422, "since",
         query={"since": "9999-12-31T23:59:59-14:00"}),
    Case("follow-ups owner filter beyond 32 bits", "GET", "/api/v1/follow-ups", 422, "owner_id",
         query={"owner_id": "99999999999"}),
    Case("follow-ups team filter beyond 32 bits", "GET", "/api/v1/follow-ups", 422, "team_id",
         query={"team_id": "99999999999"}),
    Case("follow-ups touchpoint filter beyond 32 bits", "GET", "/api/v1/follow-ups", 422, "touchpoint_id",
         query={"touchpoint_id": "99999999999"}),
    Case("touchpoints journey filter beyond 32 bits", "GET", "/api/v1/touchpoints", 422, "journey_id",
         query={"journey_id": "99999999999"}),
    Case("webhook redelivery since the very start of time", "POST",
         "/api/v1/webhook-endpoints/987654/redeliver-failed", 422, "since",
         json={"since": "0001-01-01T00:00:00+14:00"}),
    Case("a NUL character in a name", "POST", "/api/v1/journeys", 422, "name", json={"name": "Buy\u0000ing"}),
    Case("a NUL character in a nested survey text", "POST", "/api/v1/touchpoints", 422, "survey",
         json={"journey_id": 1, "name": "Checkout", "survey": {"question": "Why\u0000?"}}),
    Case("a NUL character in a query filter", "GET", "/api/v1/customers", 422, "email",
         query={"email": "ada\u0000@example.com"}),
    Case("a lone surrogate in a name", "POST", "/api/v1/teams", 422, "name",
         data='{"name": "Ops \\ud800"}', content_type="application/json"),
    Case("JSON null as the whole body", "POST", "/api/v1/journeys", 422, data="null", content_type="application/json"),
    Case("NaN, which JSON does not have", "POST", "/api/v1/journeys", 400,
         data='{"name": "x", "description": NaN}', content_type="application/json"),
    Case("a number too big for a float", "PATCH", "/api/v1/organization", 400,
         data='{"survey_cap_days": 1e400}', content_type="application/json"),
    Case("a deeply nested body", "POST", "/api/v1/journeys", 400,
         data='{"name": "x", "description": ' + "[" * 5000 + "]" * 5000 + "}", content_type="application/json"),
]


@pytest.mark.parametrize("case", HOSTILE, ids=[c.id for c in HOSTILE])
def test_hostile_input_is_a_4xx_naming_the_field_and_changes_nothing(app, client, world, case):
    before = row_counts(app)

    response = send(client, world, case)

    assert_error(response, case.status, case.field)
    assert row_counts(app) == before


def test_no_input_in_the_tables_ever_makes_a_5xx(app, world):
    # Without TESTING an unhandled error answers 500 rather than raising into
    # the test, which is what a client would see.
    app.config["TESTING"], app.config["PROPAGATE_EXCEPTIONS"] = False, False
    try:
        client = app.test_client()
        answers = {case.id: send(client, world, case) for case in CASES + HOSTILE}
    finally:
        app.config["TESTING"], app.config["PROPAGATE_EXCEPTIONS"] = True, None

    server_errors = {name: r.status_code for name, r in answers.items() if r.status_code >= 500}
    assert server_errors == {}
    assert all(r.is_json and {"code", "status", "message"} <= set(r.get_json()) for r in answers.values())


@pytest.mark.parametrize("method,path", [
    ("GET", "/w/pk_%00/survey"), ("POST", "/w/a%00b/responses"), ("POST", "/w/%00/displays"),
    ("PATCH", "/w/pk_%00/responses/1"), ("OPTIONS", "/w/pk_%00/responses"),
    ("GET", "/s/pk_%00"), ("POST", "/s/pk_%00"), ("GET", "/s/pk_%00/qr.svg"), ("GET", "/s/pk_%00/qr.png"),
])
def test_a_key_in_no_shape_we_issue_is_unknown_not_a_crash(client, method, path):
    # PostgreSQL refuses a NUL inside text with an error; the key's shape is checked first.
    answer = client.open(path, method=method, json={"score": 4} if method in ("POST", "PATCH") else None,
                         headers={"Origin": "https://shop.example"})
    assert answer.status_code == 404, answer.get_data(as_text=True)


def test_a_forged_api_key_with_a_good_checksum_but_odd_characters_is_401(client):
    from feedback_service.core.security import _checksum

    body = "sk_" + "\x00" * 10 + "_" + "A" * 32
    answer = client.get("/api/v1/journeys", headers={"Authorization": f"Bearer {body}{_checksum(body)}"})
    assert answer.status_code == 401
