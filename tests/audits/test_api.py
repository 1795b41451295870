"""/api/v1/audits and their findings: a walk of the six-step journey, validation naming the field,
roles, tenant isolation, the freeze after submit."""

from __future__ import annotations

import pytest

from tests.helpers.assertions import assert_error

from .conftest import logged


def start(client, org, shop, **body):
    return client.post("/api/v1/audits", headers=org.headers, json={
        "journey_id": shop.journey_id, "auditor_id": shop.auditor_id,
        "scenario": "Buy shoes with the holiday code, then ask about shipping", **body})


def find(client, org, audit_id, touchpoint_id, **body):
    return client.post(f"/api/v1/audits/{audit_id}/findings", headers=org.headers,
                       json={"touchpoint_id": touchpoint_id, **body})


def test_a_walk_of_the_journey_is_recorded_and_submitted(app, client, org, shop):
    created = start(client, org, shop, notes="On a phone")
    assert created.status_code == 201, created.get_json()
    audit = created.get_json()
    assert audit["status"] == "in_progress" and audit["submitted_at"] is None
    assert audit["channels"] == ["social", "web", "phone", "email"]  # the journey's, by default
    assert audit["shopper_name"] is None and audit["auditor_id"] == shop.auditor_id
    tp = shop.touchpoints
    bodies = [
        (tp["Advertisement"], {"expectation": "as_expected", "note": "Code on the banner"}),
        (tp["Browse the shop"], {"expectation": "as_expected"}),
        (tp["Cart & checkout"], {"expectation": "worse_than_expected", "severity": "really_bad", "effort": "days",
                                 "note": "FREESHIP refused three times"}),
        (tp["Contact support"], {"expectation": "worse_than_expected", "severity": "really_bad",
                                 "effort": "project", "minutes": 15, "note": "15 minutes on hold"}),
        (tp["Contact support"], {"expectation": "better_than_expected", "note": "A great agent"}),
        (tp["Delivery"], {"expectation": "as_expected"}),
        (tp["Returns"], {"reached": False, "note": "The returns page 404s"}),
    ]
    for touchpoint_id, body in reversed(bodies):  # listed in journey order whatever the order recorded
        answer = find(client, org, audit["id"], touchpoint_id, **body)
        assert answer.status_code == 201, answer.get_json()
    findings = client.get(f"/api/v1/audits/{audit['id']}/findings", headers=org.headers).get_json()
    assert [f["touchpoint_id"] for f in findings["data"]] == [t for t, _ in bodies]
    assert findings["next_cursor"] is None
    hold = next(f for f in findings["data"] if f["note"] == "15 minutes on hold")
    assert (hold["minutes"], hold["severity"], hold["effort"], hold["team_id"]) == (
        15, "really_bad", "project", shop.teams["Support"])  # the touchpoint's team by default
    broke = findings["data"][-1]
    assert (broke["reached"], broke["expectation"], broke["severity"]) == (
        False, "worse_than_expected", "really_bad")

    changed = client.patch(f"/api/v1/audits/{audit['id']}/findings/{findings['data'][1]['id']}",  # browsing
                           headers=org.headers, json={"expectation": "worse_than_expected", "severity": "inconvenient",
                                                      "team_id": shop.teams["Web"]})
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["severity"], changed.get_json()["team_id"]) == ("inconvenient", shop.teams["Web"])
    gone = client.delete(f"/api/v1/audits/{audit['id']}/findings/{findings['data'][5]['id']}", headers=org.headers)
    assert gone.status_code == 204

    submitted = client.patch(f"/api/v1/audits/{audit['id']}", headers=org.headers, json={"status": "submitted"})
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["status"] == "submitted" and submitted.get_json()["submitted_at"]
    [event] = logged(app, org, "audit.submitted")
    assert event["audit"]["id"] == audit["id"] and event["journey"]["name"] == "Buying shoes online"
    assert len(event["findings"]) == 6
    assert event["findings"][2]["touchpoint"]["name"] == "Cart & checkout"

    listed = client.get(f"/api/v1/audits?journey_id={shop.journey_id}&status=submitted", headers=org.headers)
    assert [a["id"] for a in listed.get_json()["data"]] == [audit["id"]]
    in_events = client.get("/api/v1/events?type=audit.submitted", headers=org.headers).get_json()["data"]
    assert [e["data"]["audit"]["id"] for e in in_events] == [audit["id"]]


def test_a_submitted_audit_and_its_findings_are_frozen(client, org, shop):
    audit = start(client, org, shop).get_json()
    finding = find(client, org, audit["id"], shop.ids[0], expectation="as_expected").get_json()
    assert client.patch(f"/api/v1/audits/{audit['id']}", headers=org.headers,
                        json={"status": "submitted"}).status_code == 200
    base = f"/api/v1/audits/{audit['id']}"
    assert_error(find(client, org, audit["id"], shop.ids[1], expectation="as_expected"), 409)
    assert_error(client.patch(f"{base}/findings/{finding['id']}", headers=org.headers, json={"note": "x"}), 409)
    assert_error(client.delete(f"{base}/findings/{finding['id']}", headers=org.headers), 409)
    assert_error(client.patch(base, headers=org.headers, json={"notes": "later"}), 409)
    assert_error(client.patch(base, headers=org.headers, json={"status": "in_progress"}), 409)


def test_a_shopper_walks_an_audit_without_an_auditor(client, org, shop):
    created = start(client, org, shop, auditor_id=None, shopper_name="Sam Shopper", channels=["web"])
    assert created.status_code == 201, created.get_json()
    assert (created.get_json()["shopper_name"], created.get_json()["auditor_id"]) == ("Sam Shopper", None)


@pytest.mark.parametrize(("body", "field"), [
    ({"journey_id": 999}, "journey_id"),
    ({"journey_id": "one"}, "journey_id"),
    ({"auditor_id": None}, "auditor_id"),
    ({"auditor_id": 999}, "auditor_id"),
    ({"shopper_name": "Sam"}, "shopper_name"),  # with an auditor too
    ({"channels": ["fax"]}, "channels"),
    ({"scenario": "x" * 2001}, "scenario"),
    ({"status": "submitted"}, "status"),  # not on create
    ({"started_at": "yesterday"}, "started_at"),
])
def test_a_bad_audit_is_refused_naming_the_field(client, org, shop, body, field):
    assert_error(start(client, org, shop, **body), 422, field)


@pytest.mark.parametrize(("body", "field"), [
    ({"expectation": "meh"}, "expectation"),
    ({}, "expectation"),
    ({"expectation": "worse_than_expected"}, "severity"),
    ({"expectation": "as_expected", "severity": "bad"}, "severity"),
    ({"expectation": "as_expected", "effort": "quick"}, "effort"),
    ({"expectation": "worse_than_expected", "severity": "awful"}, "severity"),
    ({"expectation": "worse_than_expected", "severity": "bad", "effort": "forever"}, "effort"),
    ({"expectation": "as_expected", "minutes": -1}, "minutes"),
    ({"expectation": "as_expected", "minutes": "5"}, "minutes"),
    ({"expectation": "as_expected", "team_id": 999}, "team_id"),
    ({"expectation": "as_expected", "reached": False}, "expectation"),
    ({"expectation": "as_expected", "note": "x" * 5001}, "note"),
    ({"expectation": "as_expected", "surprise": 1}, "surprise"),
])
def test_a_bad_finding_is_refused_naming_the_field(client, org, shop, body, field):
    audit = start(client, org, shop).get_json()
    assert_error(find(client, org, audit["id"], shop.ids[0], **body), 422, field)


def test_a_finding_must_be_at_a_touchpoint_of_the_audits_journey(client, org, shop, make_touchpoint):
    audit = start(client, org, shop).get_json()
    elsewhere, _ = make_touchpoint(org, name="Another journey's step")
    assert_error(find(client, org, audit["id"], elsewhere, expectation="as_expected"), 422, "touchpoint_id")
    assert_error(find(client, org, audit["id"], 999, expectation="as_expected"), 422, "touchpoint_id")


def test_viewers_read_agents_record_admins_make_links(client, org, shop, make_key):
    viewer, agent = make_key(org, "viewer"), make_key(org, "agent")
    audit = start(client, org, shop).get_json()
    assert client.get(f"/api/v1/audits/{audit['id']}", headers=viewer).status_code == 200
    assert client.get(f"/api/v1/audits/{audit['id']}/findings", headers=viewer).status_code == 200
    assert client.get(f"/api/v1/journeys/{shop.journey_id}/audit-comparison", headers=viewer).status_code == 200
    assert_error(client.post("/api/v1/audits", headers=viewer,
                             json={"journey_id": shop.journey_id, "shopper_name": "Sam"}), 403)
    assert_error(client.post(f"/api/v1/audits/{audit['id']}/findings", headers=viewer,
                             json={"touchpoint_id": shop.ids[0], "expectation": "as_expected"}), 403)
    by_agent = client.post("/api/v1/audits", headers=agent, json={"journey_id": shop.journey_id, "shopper_name": "Sam"})
    assert by_agent.status_code == 201
    assert client.post(f"/api/v1/audits/{audit['id']}/findings", headers=agent,
                       json={"touchpoint_id": shop.ids[0], "expectation": "as_expected"}).status_code == 201
    assert client.patch(f"/api/v1/audits/{audit['id']}", headers=agent, json={"notes": "n"}).status_code == 200
    link = {"audit_id": audit["id"], "expires_at": "2099-01-01T00:00:00+00:00"}
    assert_error(client.post("/api/v1/audit-links", headers=agent, json=link), 403)
    assert_error(client.post("/api/v1/audit-links", headers=viewer, json=link), 403)


def test_another_organisations_audits_are_not_found(client, org, shop, make_org, make_shop):
    other = make_org("Other shop")
    theirs = make_shop(other, suffix="-other")
    their_audit = start(client, other, theirs).get_json()
    their_finding = find(client, other, their_audit["id"], theirs.ids[0], expectation="as_expected").get_json()
    base = f"/api/v1/audits/{their_audit['id']}"
    assert_error(client.get(base, headers=org.headers), 404)
    assert_error(client.patch(base, headers=org.headers, json={"notes": "x"}), 404)
    assert_error(client.get(f"{base}/findings", headers=org.headers), 404)
    assert_error(client.post(f"{base}/findings", headers=org.headers,
                             json={"touchpoint_id": shop.ids[0], "expectation": "as_expected"}), 404)
    assert_error(client.patch(f"{base}/findings/{their_finding['id']}", headers=org.headers, json={"note": "x"}), 404)
    assert_error(client.delete(f"{base}/findings/{their_finding['id']}", headers=org.headers), 404)
    assert_error(client.get(f"/api/v1/journeys/{theirs.journey_id}/audit-comparison", headers=org.headers), 404)
    assert client.get("/api/v1/audits", headers=org.headers).get_json()["data"] == []
    # Their ids in our bodies are refused by name; our finding in their audit's URL is not found.
    assert_error(start(client, org, shop, journey_id=theirs.journey_id), 422, "journey_id")
    assert_error(start(client, org, shop, auditor_id=theirs.auditor_id), 422, "auditor_id")
    ours = start(client, org, shop).get_json()
    assert_error(find(client, org, ours["id"], theirs.ids[0], expectation="as_expected"), 422, "touchpoint_id")
    assert_error(find(client, org, ours["id"], shop.ids[0], expectation="as_expected",
                      team_id=theirs.teams["Web"]), 422, "team_id")
    assert_error(client.post("/api/v1/audit-links", headers=org.headers,
                             json={"audit_id": their_audit["id"], "expires_at": "2099-01-01T00:00:00+00:00"}),
                 422, "audit_id")
    # A finding of one of our audits, addressed through another of our audits, is not found either.
    mine = find(client, org, ours["id"], shop.ids[0], expectation="as_expected").get_json()
    second = start(client, org, shop).get_json()
    assert_error(client.get(f"/api/v1/audits/{second['id']}/findings/{mine['id']}", headers=org.headers), 404)
