"""Who hears of an alert: the owning team and the teams of the steps just before and after it (the
silo next door), each once, by email; and everyone else through the event log and webhooks."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from feedback_service.accounts import staff
from feedback_service.core.database import commit
from feedback_service.journeys import touchpoints
from feedback_service.models import utcnow
from tests.helpers.webhooks import deliveries, subscribe

from .conftest import alert_emails, alert_rows, logged

LATER = timedelta(minutes=10)


def _fire(org, touchpoint_id, answers, look, make_rule):
    make_rule(org, touchpoint_id, "below_threshold", threshold=60, min_n=20)
    answers(org, touchpoint_id, [1] * 30)
    assert look(utcnow() + LATER) == 1


def test_the_owning_team_and_the_teams_next_door_are_told_once_each(app, org, shop, answers, look, make_rule):
    _fire(org, shop.touchpoints["Cart & checkout"], answers, look, make_rule)

    emails = alert_emails(app, org)
    by_person = Counter(email.to_address for email in emails)
    # Web owns it (its lead); Procurement (the step before, no lead: both members) and Support (after).
    assert by_person == {"web1@staff.example": 1, "procurement1@staff.example": 1,
                         "procurement2@staff.example": 1, "support1@staff.example": 1}
    owner = next(e for e in emails if e.to_address == "web1@staff.example")
    assert owner.subject.startswith("[Alert] Cart & checkout: CSAT 0%") and owner.status == "outbox"
    assert "Procurement (previous step)" in owner.body and "Support (next step)" in owner.body
    assert "http://feedback.test/touchpoints/" in owner.body
    before = next(e for e in emails if e.to_address == "procurement1@staff.example")
    after = next(e for e in emails if e.to_address == "support1@staff.example")
    assert before.subject == "[Alert] Next door: Cart & checkout (Web) is hurting"
    assert "Customers go on from your Browse the shop straight to Cart & checkout" in before.body
    assert "Customers come to your Contact support straight from Cart & checkout" in after.body

    [alert] = alert_rows(app, org)
    assert [(entry["name"], entry["relation"]) for entry in alert.notified] == [
        ("Web", "owner"), ("Procurement", "previous"), ("Support", "next")]


def test_archived_steps_are_skipped_and_a_team_on_both_sides_hears_once(app, org, shop, answers, look, make_rule):
    with app.app_context(), org.scope():
        touchpoints.archive_touchpoint(shop.touchpoints["Contact support"])  # Delivery is next now
        touchpoints.update_touchpoint(shop.touchpoints["Delivery"], {"team_id": shop.teams["Procurement"]})
        commit()
    _fire(org, shop.touchpoints["Cart & checkout"], answers, look, make_rule)

    by_person = Counter(email.to_address for email in alert_emails(app, org))
    assert by_person == {"web1@staff.example": 1, "procurement1@staff.example": 1, "procurement2@staff.example": 1}
    [alert] = alert_rows(app, org)
    [(name, relation, ids)] = [(e["name"], e["relation"], e["touchpoint_ids"]) for e in alert.notified
                               if e["relation"] != "owner"]
    assert (name, relation, ids) == ("Procurement", "previous",
                                     [shop.touchpoints["Browse the shop"], shop.touchpoints["Delivery"]])
    procurement = next(e for e in alert_emails(app, org) if e.to_address == "procurement1@staff.example")
    assert "your Browse the shop" in procurement.body and "your Delivery" in procurement.body


def test_the_first_step_has_only_a_next_door_and_a_person_in_two_teams_gets_one_email(
        app, org, shop, answers, look, make_rule):
    with app.app_context(), org.scope():
        # Marketing's lead also sits in Procurement (the step after the advert).
        staff.update_user(_user_id("marketing1@staff.example"),
                          {"team_ids": [shop.teams["Marketing"], shop.teams["Procurement"]]})
        commit()
    _fire(org, shop.touchpoints["Advertisement"], answers, look, make_rule)

    by_person = Counter(email.to_address for email in alert_emails(app, org))
    assert by_person == {"marketing1@staff.example": 1, "procurement1@staff.example": 1,
                         "procurement2@staff.example": 1}
    owner = next(e for e in alert_emails(app, org) if e.to_address == "marketing1@staff.example")
    assert owner.subject.startswith("[Alert] Advertisement")


def test_a_touchpoint_without_a_team_is_the_admins(app, org, make_touchpoint, answers, look, make_rule):
    lonely, _ = make_touchpoint(org, name="Kiosk")
    _fire(org, lonely, answers, look, make_rule)
    assert [email.to_address for email in alert_emails(app, org)] == [org.admin_email]


def test_alert_triggered_is_logged_with_the_touchpoint_and_the_teams_told(app, org, shop, answers, look, make_rule):
    checkout = shop.touchpoints["Cart & checkout"]
    _fire(org, checkout, answers, look, make_rule)
    [event] = logged(app, org, "alert.triggered")
    assert event["touchpoint"]["id"] == checkout and event["touchpoint"]["name"] == "Cart & checkout"
    assert event["alert"]["kind"] == "below_threshold" and event["alert"]["value"] == 0.0
    assert event["alert"]["recovered_at"] is None and event["team"]["name"] == "Web"
    assert [t["name"] for t in event["notified"]] == ["Web", "Procurement", "Support"]


def test_alert_triggered_reaches_a_subscribed_webhook_and_respects_its_touchpoint_filter(
        webhook_app, org, shop, answers, make_rule, receiver):
    client = webhook_app.test_client()
    checkout, support = shop.touchpoints["Cart & checkout"], shop.touchpoints["Contact support"]
    hooked = subscribe(client, org, receiver.url("/checkout"), ["alert.triggered"], touchpoint_ids=[checkout])
    subscribe(client, org, receiver.url("/support-only"), ["alert.triggered"], touchpoint_ids=[support])
    subscribe(client, org, receiver.url("/answers"), ["response.created"])

    answers(org, checkout, [1] * 30)
    with webhook_app.app_context():
        from feedback_service.alerts.jobs import evaluate_alert_rules

        make_rule(org, checkout, min_n=20, enabled=False)
        assert evaluate_alert_rules(utcnow()) == 0  # disabled: not looked at
    client.patch(f"/api/v1/alert-rules/{_rule_ids(webhook_app, org)[0]}", json={"enabled": True},
                 headers=org.headers)  # looked at once saved: fires

    [request] = receiver.wait_for(1)
    assert request.path == "/checkout"
    payload = request.verify(hooked["secret"])
    assert payload["type"] == "alert.triggered" and payload["data"]["touchpoint"]["id"] == checkout
    assert len(deliveries(webhook_app)) == 1


def _user_id(email):
    from sqlalchemy import select

    from feedback_service.extensions import db
    from feedback_service.models import User

    return db.session.scalar(select(User.id).where(User.email == email))


def _rule_ids(app, org):
    from sqlalchemy import select

    from feedback_service.extensions import db
    from feedback_service.models import AlertRule

    with app.app_context(), org.scope():
        return list(db.session.scalars(select(AlertRule.id).order_by(AlertRule.id)))


def test_an_endpoint_may_hear_of_recoveries_too(webhook_app, org, shop, answers, receiver):
    from feedback_service.alerts.jobs import evaluate_alert_rules

    client = webhook_app.test_client()
    checkout = shop.touchpoints["Cart & checkout"]
    hooked = subscribe(client, org, receiver.url(), ["alert.recovered"])
    answers(org, checkout, [1] * 30)
    created = client.post("/api/v1/alert-rules", headers=org.headers, json={
        "touchpoint_id": checkout, "kind": "below_threshold", "threshold": 60, "window_hours": 24, "min_n": 20})
    assert created.status_code == 201 and created.get_json()["state"] == "armed"  # looked at after the answer
    assert client.get(f"/api/v1/alert-rules/{created.get_json()['id']}",
                      headers=org.headers).get_json()["state"] == "in_breach"
    answers(org, checkout, [5] * 100)
    with webhook_app.app_context():
        evaluate_alert_rules(utcnow() + LATER)

    [request] = receiver.wait_for(1)
    payload = request.verify(hooked["secret"])
    assert payload["type"] == "alert.recovered" and payload["data"]["alert"]["end_reason"] == "recovered"
