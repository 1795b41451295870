"""The console's Alerts page and a touchpoint's alerts: what is in breach, what ended, the rules,
and an admin adding, switching off and deleting one through forms with CSRF tokens."""

from __future__ import annotations

import html
from datetime import timedelta

from feedback_service.models import utcnow
from tests.helpers.console import csrf_token, page_text, post_form, signed_in_as

from .conftest import alert_rows


def test_the_alerts_page_lists_open_and_ended_alerts_and_the_rules(app, admin_client, org, shop, answers, look,
                                                                    make_rule):
    checkout, support = shop.touchpoints["Cart & checkout"], shop.touchpoints["Contact support"]
    make_rule(org, checkout, threshold=60, min_n=20)
    make_rule(org, support, "negative_surge", threshold=40, min_n=20)
    answers(org, checkout, [1] * 30)
    answers(org, support, [2] * 20, sentiments=["negative"] * 20)
    now = utcnow()
    assert look(now + timedelta(minutes=10)) == 2
    answers(org, support, [5] * 40, sentiments=["positive"] * 40)
    look(now + timedelta(minutes=20))

    page = admin_client.get("/alerts")
    assert page.status_code == 200
    text = html.unescape(page_text(page))
    assert 'aria-current="page">Alerts</a>' in text
    open_section = text.split('id="open-title"')[1].split('id="rules-title"')[0]
    assert "Cart & checkout" in open_section and "Contact support" not in open_section
    assert "<strong>0%</strong>" in open_section and "n = 30" in open_section
    assert "Procurement" in open_section and "step before" in open_section
    ended = text.split('id="ended-title"')[1]
    assert "Contact support" in ended and "recovered at" in ended
    rules = text.split('id="rules-title"')[1].split('id="ended-title"')[0]
    assert "In breach" in rules and "Armed" in rules and "Switch off" in rules
    assert "CSAT over the last 24 h below 60%" in rules


def test_an_admin_adds_a_rule_through_the_form(app, admin_client, org, shop):
    checkout = shop.touchpoints["Cart & checkout"]
    answer = post_form(admin_client, "/alerts", "/alerts/rules", {
        "touchpoint_id": str(checkout), "kind": "drop", "threshold": "12.5", "window_hours": "48", "min_n": "25"})
    assert answer.status_code == 302
    listed = admin_client.get("/api/v1/alert-rules", headers=org.headers).get_json()["data"]
    assert [(r["touchpoint_id"], r["kind"], r["threshold"], r["window_hours"], r["min_n"]) for r in listed] == [
        (checkout, "drop", 12.5, 48, 25)]
    assert "Rule added on Cart &amp; checkout" in page_text(admin_client.get("/alerts"))


def test_a_threshold_the_metric_cannot_reach_is_refused_next_to_its_field(app, admin_client, org, shop):
    answer = post_form(admin_client, "/alerts", "/alerts/rules", {
        "touchpoint_id": str(shop.touchpoints["Cart & checkout"]), "kind": "below_threshold", "threshold": "140",
        "window_hours": "24", "min_n": "20"})
    assert answer.status_code == 422
    text = page_text(answer)
    assert 'class="field has-error"' in text and "at most 100" in text
    missing = post_form(admin_client, "/alerts", "/alerts/rules", {
        "touchpoint_id": str(shop.touchpoints["Cart & checkout"]), "kind": "drop", "threshold": "",
        "window_hours": "0", "min_n": "20"})
    assert missing.status_code == 422
    assert "Enter the threshold." in page_text(missing) and "From 1 to 2160 hours." in page_text(missing)
    assert admin_client.get("/api/v1/alert-rules", headers=org.headers).get_json()["data"] == []


def test_a_form_without_its_csrf_token_is_refused(app, admin_client, org, shop, make_rule):
    rule_id = make_rule(org, shop.touchpoints["Cart & checkout"])
    assert admin_client.post("/alerts/rules", data={"touchpoint_id": "1", "kind": "drop", "threshold": "5",
                                                   "window_hours": "24", "min_n": "5"}).status_code == 400
    assert admin_client.post(f"/alerts/rules/{rule_id}/disable").status_code == 400
    assert admin_client.post(f"/alerts/rules/{rule_id}/delete", data={"csrf_token": "forged"}).status_code == 400


def test_an_admin_switches_a_rule_off_and_on_and_deletes_it(app, admin_client, org, shop, answers, make_rule):
    checkout = shop.touchpoints["Cart & checkout"]
    answers(org, checkout, [1] * 30)
    rule_id = make_rule(org, checkout)  # in breach as saved
    assert post_form(admin_client, "/alerts", f"/alerts/rules/{rule_id}/disable").status_code == 302
    assert alert_rows(app, org)[0].end_reason == "rule_disabled"
    assert "Switch on" in page_text(admin_client.get("/alerts"))
    assert post_form(admin_client, "/alerts", f"/alerts/rules/{rule_id}/enable").status_code == 302
    assert len(alert_rows(app, org)) == 2  # looked at once on again: still in breach, a new alert
    assert post_form(admin_client, "/alerts", f"/alerts/rules/{rule_id}/delete").status_code == 302
    assert admin_client.get("/api/v1/alert-rules", headers=org.headers).get_json()["data"] == []
    assert [a.rule_id for a in alert_rows(app, org)] == [None, None]
    assert admin_client.post(f"/alerts/rules/{rule_id}/delete",
                             data={"csrf_token": csrf_token(page_text(admin_client.get("/alerts")))}).status_code == 404


def test_agents_read_the_page_but_change_nothing(app, client, org, shop, make_staff, make_rule):
    rule_id = make_rule(org, shop.touchpoints["Cart & checkout"])
    signed_in_as(client, org, make_staff, "agent")
    text = page_text(client.get("/alerts"))
    assert "Switch off" not in text and "Add rule" not in text and "Admins add and change rules" in text
    # The sign-out form's token is a valid one: the role, not the token, refuses it.
    token = csrf_token(text)
    assert client.post(f"/alerts/rules/{rule_id}/disable", data={"csrf_token": token}).status_code == 403
    assert client.post("/alerts/rules", data={"csrf_token": token}).status_code == 403


def test_the_touchpoint_page_shows_its_rules_and_latest_alerts(app, admin_client, org, shop, answers, make_rule):
    checkout = shop.touchpoints["Cart & checkout"]
    answers(org, checkout, [1] * 30)
    make_rule(org, checkout)
    text = html.unescape(page_text(admin_client.get(f"/touchpoints/{checkout}")))
    section = text.split('id="alerts-title"')[1].split('id="settings-title"')[0]
    assert "In breach" in section and "CSAT over the last 24 h below 60%" in section and "still in breach" in section
    quiet = html.unescape(page_text(admin_client.get(f"/touchpoints/{shop.touchpoints['Delivery']}")))
    assert "No rule watches Delivery." in quiet and f"/alerts?touchpoint={shop.touchpoints['Delivery']}" in quiet


def test_the_new_rule_form_starts_on_the_touchpoint_it_came_from(admin_client, shop):
    delivery = shop.touchpoints["Delivery"]
    text = page_text(admin_client.get(f"/alerts?touchpoint={delivery}"))
    assert f'<option selected value="{delivery}">' in text or f'value="{delivery}" selected' in text
