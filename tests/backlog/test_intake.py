"""What feeds the backlog: submitted audits (heard from the event log) and recurring root causes,
merged into one item per touchpoint and problem, in the documented order."""

from __future__ import annotations

from feedback_service.backlog import intake
from feedback_service.core.database import commit

from .conftest import logged

HIDDEN = {"expectation": "worse_than_expected", "severity": "bad", "effort": "quick",
          "note": "The phone number is hidden in the small print."}
HOLD = {"expectation": "worse_than_expected", "severity": "really_bad", "effort": "project",
        "note": "15 minutes on hold before anyone answered."}
CODE = {"expectation": "worse_than_expected", "severity": "really_bad", "effort": "days",
        "note": "The code FREESHIP failed three times."}


def items(client, org, **filters):
    answer = client.get("/api/v1/backlog", headers=org.headers, query_string=filters)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["data"]


def test_two_audits_and_a_recurring_root_cause_merge_in_the_documented_order(app, client, org, shop, walk,
                                                                             resolved):
    first = walk(org, shop, [("Cart & checkout", CODE), ("Contact support", HIDDEN), ("Contact support", HOLD),
                             ("Delivery", {"expectation": "as_expected", "note": "On time"})])
    second = walk(org, shop, [("Contact support", {**HOLD, "note": "Still 14 minutes on hold."}),
                              ("Contact support", {**HOLD, "severity": "bad", "effort": "quick",
                                                   "note": "Hold music far too loud"})])
    resolved(org, shop.touchpoints["Cart & checkout"], "coupon code rejected", 6)
    resolved(org, shop.touchpoints["Delivery"], "parcel left outside", 3)  # not recurring enough
    with app.app_context(), org.scope():
        made = intake.merge_recurring_root_causes(min_count=5, days=90)
        assert [i.title for i in made] == ["Coupon code rejected"]
        commit()
    with app.app_context(), org.scope():  # exactly once: a second run makes nothing new
        assert intake.merge_recurring_root_causes(min_count=5, days=90) == []
        commit()

    listed = items(client, org)
    # priority = impact × ease: really bad + days 3×2 and bad + quick 2×3 tie at 6 (same number of
    # sources: the older first); the root cause, bad with no effort said, 2×2; really bad + project 3×1.
    assert [(i["title"], i["impact"], i["ease"], i["priority"]) for i in listed] == [
        ("The code FREESHIP failed three times", 3, 2, 6),
        ("The phone number is hidden in the small print", 2, 3, 6),
        ("Hold music far too loud", 2, 3, 6),
        ("Coupon code rejected", 2, 2, 4),
        ("15 minutes on hold before anyone answered", 3, 1, 3),
    ]
    hold = listed[-1]
    assert [s["kind"] for s in hold["sources"]] == ["finding", "finding"]  # both audits' hold findings
    assert hold["team_id"] == shop.teams["Support"] and hold["touchpoint_id"] == shop.touchpoints["Contact support"]
    cause = listed[3]
    assert cause["sources"][0]["kind"] == "root_cause" and cause["sources"][0]["count"] == 6
    assert len(logged(app, org, "backlog_item.created")) == 5
    # Merging an audit again adds nothing.
    with app.app_context(), org.scope():
        intake.merge_audit(first)
        intake.merge_audit(second)
        commit()
    assert len(items(client, org)) == 5
    assert sum(len(i["sources"]) for i in items(client, org)) == 6


def test_the_same_problem_from_a_root_cause_and_a_finding_is_one_item(app, client, org, shop, walk, resolved):
    walk(org, shop, [("Cart & checkout", {**CODE, "note": "Coupon code rejected at checkout"})])
    resolved(org, shop.touchpoints["Cart & checkout"], "coupon code rejected", 5)
    with app.app_context(), org.scope():
        intake.merge_recurring_root_causes()
        commit()
    [item] = items(client, org)
    assert sorted(s["kind"] for s in item["sources"]) == ["finding", "root_cause"]
    assert (item["impact"], item["ease"]) == (3, 2)  # the strongest severity, the easiest effort


def test_a_finding_merges_into_the_item_named(app, client, org, shop, walk):
    walk(org, shop, [("Contact support", HOLD)])
    [hold] = items(client, org)
    audit_id = client.post("/api/v1/audits", headers=org.headers, json={
        "journey_id": shop.journey_id, "auditor_id": shop.auditor_id, "scenario": "again"}).get_json()["id"]
    finding = client.post(f"/api/v1/audits/{audit_id}/findings", headers=org.headers, json={
        "touchpoint_id": shop.touchpoints["Contact support"], "expectation": "worse_than_expected",
        "severity": "inconvenient", "effort": "quick", "note": "Nobody picked up"}).get_json()
    from feedback_service.audits import walks
    from feedback_service.extensions import db
    from feedback_service.models import Audit
    with app.app_context(), org.scope():
        # Submitted without the event: the explicit merge decides.
        audit = db.session.get(Audit, audit_id)
        audit.status = "submitted"
        audit.submitted_at = walks.utcnow()
        intake.merge_audit(audit_id, merge_into={finding["id"]: hold["id"]})
        commit()
    [item] = items(client, org)
    assert [s["id"] for s in item["sources"]][-1] == finding["id"] and item["ease"] == 3
