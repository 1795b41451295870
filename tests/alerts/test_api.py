"""/api/v1/alert-rules and /api/v1/alerts: CRUD, validation naming the field, roles, tenant isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from feedback_service.models import utcnow
from tests.helpers.assertions import assert_error

from .conftest import alert_rows, logged

RULE = {"kind": "below_threshold", "threshold": 60, "window_hours": 24, "min_n": 20}


def create(client, org, touchpoint_id, **body):
    return client.post("/api/v1/alert-rules", headers=org.headers, json={"touchpoint_id": touchpoint_id,
                                                                         **RULE, **body})


def test_a_rule_is_created_read_listed_changed_and_deleted(client, org, shop):
    checkout = shop.touchpoints["Cart & checkout"]
    created = create(client, org, checkout)
    assert created.status_code == 201, created.get_json()
    rule = created.get_json()
    assert {k: rule[k] for k in ("touchpoint_id", "kind", "threshold", "window_hours", "min_n", "enabled")} == {
        "touchpoint_id": checkout, **RULE, "enabled": True}
    assert rule["state"] == "armed" and rule["open_alert_id"] is None
    assert rule["description"].startswith("CSAT over the last 24 h below 60%")

    assert client.get(f"/api/v1/alert-rules/{rule['id']}", headers=org.headers).get_json()["id"] == rule["id"]
    listed = client.get(f"/api/v1/alert-rules?touchpoint_id={checkout}", headers=org.headers).get_json()
    assert [r["id"] for r in listed["data"]] == [rule["id"]] and listed["next_cursor"] is None
    other = client.get(f"/api/v1/alert-rules?touchpoint_id={shop.touchpoints['Delivery']}", headers=org.headers)
    assert other.get_json()["data"] == []

    changed = client.patch(f"/api/v1/alert-rules/{rule['id']}", headers=org.headers,
                           json={"threshold": 70.5, "window_hours": 48})
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["threshold"], changed.get_json()["window_hours"]) == (70.5, 48)

    assert client.delete(f"/api/v1/alert-rules/{rule['id']}", headers=org.headers).status_code == 204
    assert_error(client.get(f"/api/v1/alert-rules/{rule['id']}", headers=org.headers), 404)


def test_min_n_and_enabled_have_defaults(client, org, shop):
    body = {"touchpoint_id": shop.touchpoints["Delivery"], "kind": "negative_surge", "threshold": 25,
            "window_hours": 72}
    rule = client.post("/api/v1/alert-rules", headers=org.headers, json=body).get_json()
    assert (rule["min_n"], rule["enabled"]) == (30, True)


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "sideways"}, "kind"),
    ({"kind": None}, "kind"),
    ({"threshold": None}, "threshold"),
    ({"threshold": "lots"}, "threshold"),
    ({"threshold": True}, "threshold"),
    ({"threshold": 150}, "threshold"),
    ({"threshold": 0}, "threshold"),
    ({"threshold": -10}, "threshold"),  # a CSAT line below 0 %
    ({"kind": "drop", "threshold": 0}, "threshold"),
    ({"kind": "negative_surge", "threshold": 100.5}, "threshold"),
    ({"window_hours": 0}, "window_hours"),
    ({"window_hours": 2161}, "window_hours"),
    ({"window_hours": 1.5}, "window_hours"),
    ({"window_hours": "24"}, "window_hours"),
    ({"min_n": 0}, "min_n"),
    ({"touchpoint_id": "one"}, "touchpoint_id"),
    ({"touchpoint_id": 10**12}, "touchpoint_id"),
    ({"touchpoint_id": 99999}, "touchpoint_id"),
    ({"enabled": "maybe"}, "enabled"),
    ({"colour": "red"}, "colour"),
])
def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(client, org, shop, body, field):
    answer = client.post("/api/v1/alert-rules", headers=org.headers,
                         json={"touchpoint_id": shop.touchpoints["Cart & checkout"], **RULE, **body})
    assert_error(answer, 422, field)
    assert client.get("/api/v1/alert-rules", headers=org.headers).get_json()["data"] == []


@pytest.mark.parametrize("missing", ["touchpoint_id", "kind", "threshold", "window_hours"])
def test_required_fields_are_named_when_missing(client, org, shop, missing):
    body = {"touchpoint_id": shop.touchpoints["Cart & checkout"], **RULE}
    del body[missing]
    assert_error(client.post("/api/v1/alert-rules", headers=org.headers, json=body), 422, missing)


def test_the_threshold_is_checked_against_the_touchpoints_metric(client, org, shop):
    delivery = shop.touchpoints["Delivery"]  # NPS, −100 to 100
    assert create(client, org, delivery, threshold=-20).status_code == 201
    assert create(client, org, delivery, kind="drop", threshold=150).status_code == 201
    assert_error(create(client, org, shop.touchpoints["Cart & checkout"], kind="drop", threshold=150), 422,
                 "threshold")


def test_a_patch_is_checked_as_a_whole(client, org, shop):
    rule = create(client, org, shop.touchpoints["Cart & checkout"]).get_json()
    assert_error(client.patch(f"/api/v1/alert-rules/{rule['id']}", headers=org.headers,
                              json={"threshold": 101}), 422, "threshold")
    assert_error(client.patch(f"/api/v1/alert-rules/{rule['id']}", headers=org.headers,
                              json={"window_hours": -1}), 422, "window_hours")
    assert_error(client.patch(f"/api/v1/alert-rules/{rule['id']}", headers=org.headers,
                              json={"id": 5}), 422, "id")
    assert_error(client.patch("/api/v1/alert-rules/999", headers=org.headers, json={"min_n": 5}), 404)
    unchanged = client.get(f"/api/v1/alert-rules/{rule['id']}", headers=org.headers).get_json()
    assert unchanged["threshold"] == 60 and unchanged["window_hours"] == 24


def test_only_admins_change_rules_and_everyone_reads_them(client, org, shop, make_key):
    rule = create(client, org, shop.touchpoints["Cart & checkout"]).get_json()
    for role in ("viewer", "agent"):
        headers = make_key(org, role)
        assert_error(client.post("/api/v1/alert-rules", headers=headers,
                                 json={"touchpoint_id": shop.touchpoints["Delivery"], **RULE}), 403)
        assert_error(client.patch(f"/api/v1/alert-rules/{rule['id']}", headers=headers, json={"min_n": 5}), 403)
        assert_error(client.delete(f"/api/v1/alert-rules/{rule['id']}", headers=headers), 403)
        assert client.get("/api/v1/alert-rules", headers=headers).status_code == 200
        assert client.get("/api/v1/alerts", headers=headers).status_code == 200
    assert_error(client.get("/api/v1/alert-rules"), 401)


def test_another_organisations_rules_touchpoints_and_alerts_are_out_of_reach(
        app, client, org, make_org, make_touchpoint, shop, answers, look):
    other = make_org("Other shop")
    theirs, _ = make_touchpoint(other, name="Their checkout")
    assert_error(create(client, org, theirs), 422, "touchpoint_id")

    their_rule = create(client, other, theirs).get_json()
    answers(other, theirs, [1] * 30)
    assert look(utcnow() + timedelta(minutes=10)) == 1
    [their_alert] = alert_rows(app, other)

    assert_error(client.get(f"/api/v1/alert-rules/{their_rule['id']}", headers=org.headers), 404)
    assert_error(client.patch(f"/api/v1/alert-rules/{their_rule['id']}", headers=org.headers,
                              json={"enabled": False}), 404)
    assert_error(client.delete(f"/api/v1/alert-rules/{their_rule['id']}", headers=org.headers), 404)
    assert_error(client.get(f"/api/v1/alerts/{their_alert.id}", headers=org.headers), 404)
    assert client.get("/api/v1/alert-rules", headers=org.headers).get_json()["data"] == []
    assert client.get("/api/v1/alerts", headers=org.headers).get_json()["data"] == []
    assert client.get(f"/api/v1/alerts?touchpoint_id={theirs}", headers=org.headers).get_json()["data"] == []
    # Ours is untouched by theirs, and theirs still stands.
    ours = create(client, org, shop.touchpoints["Cart & checkout"], threshold=75).get_json()
    mine = client.patch(f"/api/v1/alert-rules/{ours['id']}", headers=org.headers,
                        json={"touchpoint_id": theirs})
    assert_error(mine, 422, "touchpoint_id")
    assert client.get(f"/api/v1/alert-rules/{their_rule['id']}", headers=other.headers).status_code == 200


def test_alerts_list_newest_first_with_filters_and_cursor(app, client, org, shop, answers, look):
    checkout, support = shop.touchpoints["Cart & checkout"], shop.touchpoints["Contact support"]
    for touchpoint in (checkout, support):
        create(client, org, touchpoint)
        answers(org, touchpoint, [1] * 30)
    now = utcnow()
    assert look(now + timedelta(minutes=10)) == 2
    answers(org, support, [5] * 200)
    look(now + timedelta(minutes=20))  # support recovers

    listed = client.get("/api/v1/alerts", headers=org.headers).get_json()
    assert len(listed["data"]) == 2 and listed["next_cursor"] is None
    newest = listed["data"][0]
    assert set(newest) >= {"id", "rule_id", "touchpoint_id", "kind", "value", "fired_at", "recovered_at"}
    assert [a["id"] for a in listed["data"]] == sorted((a["id"] for a in listed["data"]), reverse=True)

    open_ = client.get("/api/v1/alerts?open=true", headers=org.headers).get_json()["data"]
    assert [(a["touchpoint_id"], a["recovered_at"]) for a in open_] == [(checkout, None)]
    ended = client.get("/api/v1/alerts?open=false", headers=org.headers).get_json()["data"]
    assert [a["touchpoint_id"] for a in ended] == [support] and ended[0]["end_reason"] == "recovered"
    only = client.get(f"/api/v1/alerts?touchpoint_id={support}", headers=org.headers).get_json()["data"]
    assert [a["touchpoint_id"] for a in only] == [support]
    assert only[0]["notified"][0]["relation"] == "owner"

    first = client.get("/api/v1/alerts?limit=1", headers=org.headers).get_json()
    second = client.get(f"/api/v1/alerts?limit=1&cursor={first['next_cursor']}", headers=org.headers).get_json()
    assert [a["id"] for a in first["data"] + second["data"]] == [a["id"] for a in listed["data"]]
    assert second["next_cursor"] is None
    one = client.get(f"/api/v1/alerts/{newest['id']}", headers=org.headers).get_json()
    assert one == newest

    assert_error(client.get("/api/v1/alerts?opne=true", headers=org.headers), 422, "opne")
    assert_error(client.get("/api/v1/alerts?open=perhaps", headers=org.headers), 422, "open")
    assert_error(client.get("/api/v1/alerts?cursor=nonsense", headers=org.headers), 422, "cursor")


def test_disabling_or_deleting_a_rule_ends_its_open_alert_and_keeps_the_history(
        app, client, org, shop, answers):
    checkout = shop.touchpoints["Cart & checkout"]
    answers(org, checkout, [1] * 30)
    rule = create(client, org, checkout).get_json()  # fires as it is saved
    shown = client.get(f"/api/v1/alert-rules/{rule['id']}", headers=org.headers).get_json()
    assert shown["state"] == "in_breach" and shown["open_alert_id"] is not None

    off = client.patch(f"/api/v1/alert-rules/{rule['id']}", headers=org.headers, json={"enabled": False}).get_json()
    assert off["state"] == "disabled" and off["open_alert_id"] is None
    [alert] = client.get("/api/v1/alerts", headers=org.headers).get_json()["data"]
    assert alert["end_reason"] == "rule_disabled" and alert["recovered_at"] is not None

    on = client.patch(f"/api/v1/alert-rules/{rule['id']}", headers=org.headers, json={"enabled": True}).get_json()
    assert on["enabled"] is True
    assert client.get(f"/api/v1/alert-rules/{rule['id']}", headers=org.headers).get_json()["state"] == "in_breach"

    assert client.delete(f"/api/v1/alert-rules/{rule['id']}", headers=org.headers).status_code == 204
    history = client.get("/api/v1/alerts", headers=org.headers).get_json()["data"]
    assert [(a["rule_id"], a["end_reason"]) for a in history] == [(None, "rule_deleted"), (None, "rule_disabled")]
    assert [e["alert"]["end_reason"] for e in logged(app, org, "alert.recovered")] == ["rule_disabled",
                                                                                      "rule_deleted"]


def test_changing_a_rules_kind_ends_its_alert_and_judges_afresh(client, org, shop, answers):
    checkout = shop.touchpoints["Cart & checkout"]
    answers(org, checkout, [1] * 30)
    rule = create(client, org, checkout).get_json()
    changed = client.patch(f"/api/v1/alert-rules/{rule['id']}", headers=org.headers,
                           json={"kind": "negative_surge", "threshold": 30}).get_json()
    assert changed["kind"] == "negative_surge" and changed["state"] == "armed"  # no comments at all
    [alert] = client.get("/api/v1/alerts", headers=org.headers).get_json()["data"]
    assert alert["kind"] == "below_threshold" and alert["end_reason"] == "rule_changed"


def test_the_openapi_document_describes_the_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/alert-rules", "/api/v1/alert-rules/{rule_id}", "/api/v1/alerts",
            "/api/v1/alerts/{alert_id}"} <= set(spec["paths"])


def test_starter_rules_put_three_rules_on_each_live_step_at_its_metrics_hurting_line(app, client, org, shop):
    from feedback_service.alerts.rules import create_starter_rules
    from feedback_service.core.database import commit
    from feedback_service.extensions import db
    from feedback_service.journeys import touchpoints

    with app.app_context(), org.scope():
        touchpoints.archive_touchpoint(shop.touchpoints["Contact support"])
        made = create_starter_rules(shop.journey_id)
        commit()
        assert len(made) == 12
        db.session.remove()
    listed = client.get("/api/v1/alert-rules?limit=200", headers=org.headers).get_json()["data"]
    lines = {(r["touchpoint_id"], r["kind"]): r["threshold"] for r in listed}
    assert lines[(shop.touchpoints["Cart & checkout"], "below_threshold")] == 60  # CSAT's hurting line
    assert lines[(shop.touchpoints["Delivery"], "below_threshold")] == 0  # NPS's
    assert lines[(shop.touchpoints["Delivery"], "drop")] == 15
    assert lines[(shop.touchpoints["Advertisement"], "negative_surge")] == 40
    assert {r["window_hours"] for r in listed} == {720} and {r["min_n"] for r in listed} == {20}
    assert shop.touchpoints["Contact support"] not in {r["touchpoint_id"] for r in listed}



def test_a_rule_can_be_switched_off_after_its_touchpoint_moved_to_another_metric(app, client, org, shop):
    delivery = shop.touchpoints["Delivery"]  # NPS: a line below zero is fair
    rule = create(client, org, delivery, threshold=-20).get_json()
    moved = client.patch(f"/api/v1/touchpoints/{delivery}", headers=org.headers, json={"survey": {"metric": "csat"}})
    assert moved.status_code == 200, moved.get_json()

    switched_off = client.patch(f"/api/v1/alert-rules/{rule['id']}", headers=org.headers, json={"enabled": False})

    assert switched_off.status_code == 200, switched_off.get_json()
    assert switched_off.get_json()["enabled"] is False
    # Changing what it watches is still judged on the metric asked now: -20 is no CSAT line.
    assert_error(client.patch(f"/api/v1/alert-rules/{rule['id']}", headers=org.headers, json={"min_n": 10}),
                 422, "threshold")
