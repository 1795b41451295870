"""Repeat and compare: the journey's submitted audits side by side, and the consistency verdict."""

from __future__ import annotations

from feedback_service.audits import comparison, walks
from feedback_service.core.database import commit
from feedback_service.extensions import db
from feedback_service.models import AuditFinding


def walk(app, org, shop, findings: dict[str, list[dict]], *, submit: bool = True) -> int:
    with app.app_context(), org.scope():
        audit = walks.create_audit(journey_id=shop.journey_id, auditor_id=shop.auditor_id, scenario="Buy shoes")
        for name, bodies in findings.items():
            for body in bodies:
                walks.add_finding(audit.id, touchpoint_id=shop.touchpoints[name], **body)
        if submit:
            walks.submit_audit(audit.id)
        commit()
        return audit.id


BAD = {"expectation": "worse_than_expected", "severity": "bad", "effort": "quick"}
REALLY_BAD = {"expectation": "worse_than_expected", "severity": "really_bad"}
MINOR = {"expectation": "worse_than_expected", "severity": "inconvenient"}
FINE = {"expectation": "as_expected"}
GREAT = {"expectation": "better_than_expected"}


def test_a_touchpoint_bad_on_one_walk_and_fine_on_another_is_inconsistent(app, client, org, shop):
    first = walk(app, org, shop, {
        "Advertisement": [FINE], "Browse the shop": [MINOR], "Cart & checkout": [REALLY_BAD],
        "Contact support": [BAD, GREAT], "Delivery": [FINE], "Returns": [{"reached": False}]})
    second = walk(app, org, shop, {
        "Advertisement": [FINE], "Browse the shop": [FINE], "Cart & checkout": [GREAT],
        "Contact support": [REALLY_BAD], "Delivery": [BAD], "Returns": [FINE]})
    walk(app, org, shop, {"Cart & checkout": [REALLY_BAD]}, submit=False)  # not submitted: not compared

    answer = client.get(f"/api/v1/journeys/{shop.journey_id}/audit-comparison", headers=org.headers)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert [a["id"] for a in body["audits"]] == [first, second]
    assert body["audits"][0]["walked_by"] == "Ann Auditor"
    rows = {row["name"]: row for row in body["touchpoints"]}
    assert list(rows) == list(shop.touchpoints)  # journey order
    verdicts = {name: ([w["verdict"] for w in row["audits"]], row["consistent"]) for name, row in rows.items()}
    assert verdicts == {
        "Advertisement": (["fine", "fine"], True),
        "Browse the shop": (["inconvenient", "fine"], True),  # inconvenient is neither bad nor fine
        "Cart & checkout": (["bad", "fine"], False),  # really bad once, better than expected next
        "Contact support": (["bad", "bad"], True),  # consistently bad (a great agent does not undo the hold)
        "Delivery": (["fine", "bad"], False),
        "Returns": (["not_reached", "fine"], True),  # the first walk never got there
    }
    support = rows["Contact support"]["audits"][0]
    assert support["worst_severity"] == "bad" and len(support["findings"]) == 2
    assert rows["Cart & checkout"]["audits"][0]["worst_severity"] == "really_bad"


def test_a_step_one_walk_skipped_is_judged_by_the_walks_that_reached_it(app, org, shop):
    walk(app, org, shop, {"Cart & checkout": [BAD]})
    walk(app, org, shop, {"Advertisement": [FINE]})
    with app.app_context(), org.scope():
        rows = {row["name"]: row for row in comparison.compare(shop.journey_id)["touchpoints"]}
    assert [w["verdict"] for w in rows["Cart & checkout"]["audits"]] == ["bad", "not_walked"]
    assert rows["Cart & checkout"]["consistent"] is True


def test_the_verdict_rule():
    def finding(**kwargs):
        return AuditFinding(**{"reached": True, "severity": None, **kwargs})

    assert comparison.verdict([]) == "not_walked"
    assert comparison.verdict([finding(expectation="as_expected", reached=False)]) == "not_reached"
    assert comparison.verdict([finding(expectation="better_than_expected"),
                               finding(expectation="worse_than_expected", severity="bad")]) == "bad"
    assert comparison.verdict([finding(expectation="worse_than_expected", severity="inconvenient")]) == "inconvenient"
    assert comparison.verdict([finding(expectation="as_expected")]) == "fine"
    assert comparison.is_consistent(["bad", "fine"]) is False
    assert comparison.is_consistent(["bad", "inconvenient", "not_reached"]) is True
    assert comparison.is_consistent(["fine", "not_walked", "not_reached"]) is True


def test_the_demo_walks_are_two_submitted_audits_with_the_hold_still_bad(app, org, shop):
    with app.app_context(), org.scope():
        first, second = walks.seed_demo_walks(shop.journey_id, shop.auditor_id)
        commit()
        assert (first.status, second.status) == ("submitted", "submitted")
        assert first.submitted_at < second.submitted_at
        rows = {row["name"]: row for row in comparison.compare(shop.journey_id)["touchpoints"]}
        hold = [f for f in walks.list_findings(first.id) if f.minutes == 15]
        assert [(f.severity, f.effort) for f in hold] == [("really_bad", "project")]
        db.session.remove()
    assert [w["verdict"] for w in rows["Cart & checkout"]["audits"]] == ["bad", "fine"]
    assert rows["Cart & checkout"]["consistent"] is False
    assert [w["verdict"] for w in rows["Contact support"]["audits"]] == ["bad", "bad"]
    assert rows["Contact support"]["consistent"] is True
    assert [w["worst_severity"] for w in rows["Contact support"]["audits"]] == ["really_bad", "really_bad"]
