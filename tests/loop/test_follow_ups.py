"""Read and heed: every comment becomes a follow-up that someone owns and closes."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from feedback_service.extensions import db
from feedback_service.loop.opening import open_pending as open_pending_follow_ups
from feedback_service.loop.priority import priority_of
from feedback_service.models import FollowUp, FollowUpActivity, OutboundEmail, Response, utcnow


@pytest.fixture
def support(org, make_team, make_touchpoint):
    """A 'Contact support' touchpoint owned by a round-robin team of three agents."""
    team_id = make_team(org, "Support", members=3)
    tp_id, pk = make_touchpoint(org, name="Contact support", team_id=team_id, survey={"metric": "csat"})
    return {"team_id": team_id, "touchpoint_id": tp_id, "pk": pk}


def answer(client, pk, score, comment=None, email="ann@example.com", key=None):
    body = {"score": score, "customer": {"id": "cust-1", "email": email} if email else None}
    if comment is not None:
        body["comment"] = comment
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/w/{pk}/responses", json=body, headers=headers).json


def follow_ups(client, org, **filters):
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return client.get(f"/api/v1/follow-ups?{query}", headers=org.headers).json["data"]


def test_a_comment_opens_an_assigned_follow_up(client, org, support):
    answer(client, support["pk"], 4, "Helpful, but the wait was long.")
    [item] = follow_ups(client, org)
    assert item["status"] == "assigned"
    assert item["team_id"] == support["team_id"]
    assert item["owner_id"] is not None
    assert item["comment"] == "Helpful, but the wait was long."


def test_a_low_score_without_comment_opens_one_by_default_and_not_under_comments_policy(
        client, org, make_touchpoint, support):
    answer(client, support["pk"], 1)
    quiet_id, quiet_pk = make_touchpoint(org, name="Delivery")
    changed = client.patch(f"/api/v1/touchpoints/{quiet_id}", json={"follow_up_policy": "comments"},
                           headers=org.headers)
    assert changed.status_code == 200 and changed.json["follow_up_policy"] == "comments"
    answer(client, quiet_pk, 1)
    answer(client, quiet_pk, 1, "Left at the wrong door.")  # a comment still opens one
    answer(client, support["pk"], 5)  # a happy score alone needs nobody
    assert sorted((f["touchpoint_id"], f["comment"]) for f in follow_ups(client, org)) == [
        (support["touchpoint_id"], None), (quiet_id, "Left at the wrong door.")]


def test_a_comment_added_later_opens_its_follow_up_then_once(client, org, support):
    first = answer(client, support["pk"], 4)
    assert follow_ups(client, org) == []
    for _ in range(2):
        client.patch(f"/w/{support['pk']}/responses/{first['id']}", json={"comment": "Great agent, Sofia."},
                     headers={"Authorization": f"Bearer {first['edit_token']}"})
    assert len(follow_ups(client, org)) == 1


def test_a_comment_taken_back_leaves_no_sentiment_and_the_priority_of_the_score(client, org, support):
    first = answer(client, support["pk"], 1)
    edit = {"Authorization": f"Bearer {first['edit_token']}"}
    client.patch(f"/w/{support['pk']}/responses/{first['id']}", json={"comment": "Horrible, rude, useless!"},
                 headers=edit)
    assert [f["priority"] for f in follow_ups(client, org)] == ["urgent"]

    taken_back = client.patch(f"/w/{support['pk']}/responses/{first['id']}", json={"comment": None}, headers=edit)

    assert taken_back.status_code == 200
    sentiment = client.get(f"/api/v1/responses/{first['id']}", headers=org.headers).json["sentiment"]
    assert sentiment == {"status": "skipped", "reason": "no_comment", "compound": None, "positive": None,
                         "neutral": None, "negative": None, "label": None}
    [item] = follow_ups(client, org)
    assert (item["priority"], item["comment"]) == ("high", None)  # a score of 1 alone


def test_priority_follows_score_and_sentiment(client, org, support):
    answer(client, support["pk"], 1, "Horrible, rude and useless. I am furious!")
    answer(client, support["pk"], 5, "Wonderful, thank you so much, brilliant help!")
    answer(client, support["pk"], 3, "It was okay.")
    by_score = {f["score"]: f for f in follow_ups(client, org)}
    assert by_score[1]["priority"] == "urgent"
    assert by_score[5]["priority"] == "low"
    assert by_score[3]["priority"] == "normal"
    urgent_hours = (_parse(by_score[1]["due_at"]) - _parse(by_score[1]["created_at"])).total_seconds() / 3600
    assert round(urgent_hours) == 4


@pytest.mark.parametrize(("metric", "score", "priority"), [
    ("csat", 5, "low"), ("csat", 4, "normal"),
    ("nps", 10, "low"), ("nps", 9, "low"), ("nps", 8, "normal"),
    ("ces", 7, "low"), ("ces", 6, "normal"), ("ces", 5, "normal"),
])
def test_only_a_delighted_answer_without_a_negative_comment_is_low_priority(metric, score, priority):
    # The best answer on the scale (every promoter for NPS), not the whole top box: a CSAT 4
    # is satisfied, and still worth a look within the normal SLA.
    assert priority_of(metric, score, "pending", None) == priority
    assert priority_of(metric, score, "scored", 0.6) == priority
    assert priority_of(metric, score, "scored", -0.2) == "normal"


def _parse(value):
    from datetime import datetime

    return datetime.fromisoformat(value)


def test_whole_lifecycle_through_the_api(client, org, support):
    answer(client, support["pk"], 2, "The free shipping never applied.")
    [item] = follow_ups(client, org)
    url = f"/api/v1/follow-ups/{item['id']}"
    moved = client.post(f"{url}/transition", json={"status": "in_progress"}, headers=org.headers)
    assert moved.status_code == 200 and moved.json["status"] == "in_progress"
    noted = client.post(f"{url}/notes", json={"body": "Socks are not our brand; refunding shipping."},
                        headers=org.headers)
    assert noted.status_code == 201
    replied = client.post(f"{url}/reply", json={"message": "You said the free shipping failed; we refunded it."},
                          headers=org.headers)
    assert replied.status_code == 201 and replied.json["status"] == "responded"
    refused = client.post(f"{url}/transition", json={"status": "resolved"}, headers=org.headers)
    assert refused.status_code == 422 and "root_cause" in refused.json["errors"]
    resolved = client.post(f"{url}/transition", json={"status": "resolved", "root_cause": "Promotion rules unclear"},
                           headers=org.headers)
    assert resolved.json["status"] == "resolved" and resolved.json["root_cause"] == "Promotion rules unclear"
    reopened = client.post(f"{url}/transition", json={"status": "in_progress"}, headers=org.headers)
    assert reopened.json["status"] == "in_progress"
    detail = client.get(url, headers=org.headers).json
    kinds = [a["kind"] for a in detail["activity"]]
    assert kinds == ["created", "assigned", "status_changed", "note", "reply", "status_changed", "status_changed"]
    assert detail["activity"][2]["before"] == {"status": "assigned"}
    assert detail["activity"][2]["after"] == {"status": "in_progress"}
    assert detail["customer"]["email"] == "ann@example.com"
    assert any(e["type"] == "response" for e in detail["customer"]["timeline"])
    causes = client.get("/api/v1/root-causes", headers=org.headers).json["data"]
    assert causes == ["Promotion rules unclear"]


def test_root_causes_are_added_trimmed_and_once(client, org):
    for name in ("  Courier delay ", "Courier delay"):
        added = client.post("/api/v1/root-causes", json={"name": name}, headers=org.headers)
        assert added.status_code == 201 and added.json == {"name": "Courier delay"}
    blank = client.post("/api/v1/root-causes", json={"name": " \t "}, headers=org.headers)
    assert blank.status_code == 422 and "name" in blank.json["errors"]
    assert client.get("/api/v1/root-causes", headers=org.headers).json["data"] == ["Courier delay"]


def test_illegal_moves_are_409_naming_the_allowed_ones(client, org, support):
    answer(client, support["pk"], 2, "Slow.")
    [item] = follow_ups(client, org)
    refused = client.post(f"/api/v1/follow-ups/{item['id']}/transition", json={"status": "responded"},
                          headers=org.headers)
    assert refused.status_code == 409
    assert "allowed: in_progress, no_action" in refused.json["message"]
    assert client.get(f"/api/v1/follow-ups/{item['id']}", headers=org.headers).json["status"] == "assigned"


def test_no_action_needs_a_note(client, org, support):
    answer(client, support["pk"], 3, "Fine I guess.")
    [item] = follow_ups(client, org)
    url = f"/api/v1/follow-ups/{item['id']}/transition"
    assert client.post(url, json={"status": "no_action"}, headers=org.headers).status_code == 422
    done = client.post(url, json={"status": "no_action", "note": "Nothing to fix."}, headers=org.headers)
    assert done.json["status"] == "no_action"


def test_reply_to_a_customer_without_email_is_422_and_kept_as_a_note(app, client, org, support):
    answer(client, support["pk"], 2, "Rude agent.", email=None)
    [item] = follow_ups(client, org)
    refused = client.post(f"/api/v1/follow-ups/{item['id']}/reply", json={"message": "We are sorry."},
                          headers=org.headers)
    assert refused.status_code == 422
    assert "no email" in refused.json["message"]
    detail = client.get(f"/api/v1/follow-ups/{item['id']}", headers=org.headers).json
    assert detail["activity"][-1]["kind"] == "note"
    assert detail["activity"][-1]["body"] == "We are sorry."
    assert detail["status"] == "assigned"


@pytest.mark.parametrize("path, body, field, status", [
    ("assign", {"owner_id": 999}, "owner_id", 422),
    ("assign", {}, "owner_id", 422),
    ("assign", {"owner_id": "1"}, "owner_id", 422),
    ("notes", {"body": ""}, "body", 422),
    ("transition", {"status": "closed"}, "status", 422),
    ("reply", {"message": ""}, "message", 422),
])
def test_bad_input_is_a_clear_4xx_and_changes_nothing(app, client, org, support, path, body, field, status):
    answer(client, support["pk"], 2, "Slow.")
    [item] = follow_ups(client, org)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(FollowUpActivity))
    refused = client.post(f"/api/v1/follow-ups/{item['id']}/{path}", json=body, headers=org.headers)
    assert refused.status_code == status
    assert field in refused.json["errors"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FollowUpActivity)) == before


def test_an_owner_from_another_organisation_is_refused(client, org, make_org, support):
    other = make_org("Other")
    foreign_admin = client.get("/api/v1/users", headers=other.headers).json["data"][0]
    answer(client, support["pk"], 2, "Slow.")
    [item] = follow_ups(client, org)
    refused = client.post(f"/api/v1/follow-ups/{item['id']}/assign", json={"owner_id": foreign_admin["id"]},
                          headers=org.headers)
    assert refused.status_code == 422 and "owner_id" in refused.json["errors"]


def test_a_viewer_cannot_work_follow_ups(client, org, make_key, support):
    viewer = make_key(org, "viewer")
    answer(client, support["pk"], 2, "Slow.")
    [item] = follow_ups(client, org)
    refused = client.post(f"/api/v1/follow-ups/{item['id']}/notes", json={"body": "hi"}, headers=viewer)
    assert refused.status_code == 403


def test_another_organisation_sees_no_follow_ups(client, org, make_org, support):
    answer(client, support["pk"], 2, "Slow.")
    [item] = follow_ups(client, org)
    other = make_org("Other")
    assert follow_ups(client, other) == []
    assert client.get(f"/api/v1/follow-ups/{item['id']}", headers=other.headers).status_code == 404
    assert client.post(f"/api/v1/follow-ups/{item['id']}/notes", json={"body": "x"},
                       headers=other.headers).status_code == 404


def test_round_robin_spreads_twenty_concurrent_comments_evenly(app, org, make_team, make_touchpoint):
    team_id = make_team(org, "Web", members=4)
    _, pk = make_touchpoint(org, name="Checkout", team_id=team_id)

    def submit(i):
        with app.test_client() as client:
            return client.post(f"/w/{pk}/responses", json={"score": 2, "comment": f"Problem {i}"}).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        assert list(pool.map(submit, range(20))) == [201] * 20
    with app.app_context():
        owners = db.session.execute(select(FollowUp.owner_id, func.count()).group_by(FollowUp.owner_id)).all()
    assert sorted(n for _, n in owners) == [5, 5, 5, 5]
    assert None not in dict(owners)


def test_least_open_goes_to_the_member_with_fewest_open(client, org, make_team, make_touchpoint):
    team_id = make_team(org, "Shipping", members=2, assignment="least_open")
    _, pk = make_touchpoint(org, name="Delivery", team_id=team_id)
    answer(client, pk, 2, "Late parcel.")
    answer(client, pk, 2, "Crushed box.")
    first, second = sorted(follow_ups(client, org), key=lambda f: f["id"])
    client.post(f"/api/v1/follow-ups/{first['id']}/transition", json={"status": "no_action", "note": "dup"},
                headers=org.headers)
    answer(client, pk, 2, "Wrong size.")
    newest = max(follow_ups(client, org), key=lambda f: f["id"])
    assert newest["owner_id"] == first["owner_id"]  # the one whose only follow-up is closed


def _with_nobody_active(client, org, make_team, make_touchpoint) -> tuple[int, dict]:
    """A comment at a touchpoint whose team's only member is inactive: (that member, its follow-up)."""
    team_id = make_team(org, "Returns", members=1)
    _, pk = make_touchpoint(org, name="Returns", team_id=team_id)
    member = client.get(f"/api/v1/teams/{team_id}", headers=org.headers).json["member_ids"][0]
    client.patch(f"/api/v1/users/{member}", json={"is_active": False}, headers=org.headers)
    answer(client, pk, 2, "No label.")
    [item] = follow_ups(client, org)
    return member, item


def test_inactive_staff_are_skipped_and_nobody_left_means_unassigned(client, org, make_team, make_touchpoint):
    _, item = _with_nobody_active(client, org, make_team, make_touchpoint)
    assert item["owner_id"] is None and item["status"] == "new"
    assert follow_ups(client, org, unassigned="true")[0]["id"] == item["id"]


def test_unassigned_follow_up_tells_the_admins(app, client, org, make_touchpoint):
    _, pk = make_touchpoint(org, name="Advert")  # no team
    answer(client, pk, 1, "Misleading offer.")
    with app.app_context():
        emails = db.session.scalars(select(OutboundEmail)).all()
    assert [(e.kind, e.to_address, e.status) for e in emails] == [("unassigned", org.admin_email, "outbox")]


def test_sla_breach_is_marked_once_announced_and_escalated(app, client, org, support):
    from feedback_service.loop.jobs import check_sla

    answer(client, support["pk"], 2, "Slow.")
    [item] = follow_ups(client, org)
    with app.app_context():
        assert check_sla(now=utcnow()) == 0
        later = utcnow() + timedelta(hours=25)  # high priority: 24 h
        assert check_sla(now=later) == 1
        assert check_sla(now=later + timedelta(hours=1)) == 0
        escalations = db.session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "escalation")).all()
    breached = [e for e in client.get("/api/v1/events?type=follow_up.sla_breached", headers=org.headers).json["data"]]
    assert len(breached) == 1 and breached[0]["data"]["follow_up"]["id"] == item["id"]
    # The support team has no lead, so the organisation's admins hear of it.
    assert [e.to_address for e in escalations] == [org.admin_email]


def breach_escalations(app, client, org, pk) -> list[str]:
    """Answer, let the high-priority SLA (24 h) pass, and return who the escalation went to."""
    from feedback_service.loop.jobs import check_sla

    answer(client, pk, 2, "Slow.")
    with app.app_context():
        assert check_sla(now=utcnow() + timedelta(hours=25)) == 1
        return [e.to_address for e in db.session.scalars(
            select(OutboundEmail).where(OutboundEmail.kind == "escalation"))]


def test_sla_breach_escalates_to_the_team_lead(app, client, org, support):
    members = client.get(f"/api/v1/teams/{support['team_id']}", headers=org.headers).json["member_ids"]
    lead = client.get(f"/api/v1/users/{members[1]}", headers=org.headers).json
    set_lead = client.patch(f"/api/v1/teams/{support['team_id']}", json={"lead_id": lead["id"]}, headers=org.headers)
    assert set_lead.status_code == 200 and set_lead.json["lead_id"] == lead["id"]

    assert breach_escalations(app, client, org, support["pk"]) == [lead["email"]]


def test_sla_breach_skips_an_inactive_lead_for_the_admins(app, client, org, support):
    members = client.get(f"/api/v1/teams/{support['team_id']}", headers=org.headers).json["member_ids"]
    client.patch(f"/api/v1/teams/{support['team_id']}", json={"lead_id": members[2]}, headers=org.headers)
    client.patch(f"/api/v1/users/{members[2]}", json={"is_active": False}, headers=org.headers)

    assert breach_escalations(app, client, org, support["pk"]) == [org.admin_email]


def test_events_are_written_for_each_change(client, org, support):
    answer(client, support["pk"], 2, "Slow.")
    [item] = follow_ups(client, org)
    client.post(f"/api/v1/follow-ups/{item['id']}/reply", json={"message": "Sorry!"}, headers=org.headers)
    types = [e["type"] for e in client.get("/api/v1/events", headers=org.headers).json["data"]
             if e["type"].startswith("follow_up.")]
    assert types == ["follow_up.created", "follow_up.assigned", "follow_up.status_changed",
                     "follow_up.replied", "follow_up.status_changed"]


def follow_up_events(client, org, event_type):
    return [e["data"] for e in client.get(f"/api/v1/events?type={event_type}", headers=org.headers).json["data"]]


def test_every_status_change_emits_status_changed_with_the_previous_status(client, org, make_team, make_touchpoint):
    member, item = _with_nobody_active(client, org, make_team, make_touchpoint)
    assert item["status"] == "new"  # nobody active: it waits, unassigned
    client.patch(f"/api/v1/users/{member}", json={"is_active": True}, headers=org.headers)
    url = f"/api/v1/follow-ups/{item['id']}"

    assigned = client.post(f"{url}/assign", json={"owner_id": member}, headers=org.headers)
    client.post(f"{url}/transition", json={"status": "in_progress"}, headers=org.headers)
    client.post(f"{url}/reply", json={"message": "A new label is on its way."}, headers=org.headers)
    client.post(f"{url}/transition", json={"status": "resolved", "root_cause": "Label missing"}, headers=org.headers)

    assert assigned.json["status"] == "assigned"
    moves = [(e["previous_status"], e["follow_up"]["status"])
             for e in follow_up_events(client, org, "follow_up.status_changed")]
    assert moves == [("new", "assigned"), ("assigned", "in_progress"), ("in_progress", "responded"),
                     ("responded", "resolved")]
    [assignment] = follow_up_events(client, org, "follow_up.assigned")
    assert assignment["follow_up"]["owner"]["id"] == member


def test_reassigning_an_assigned_follow_up_changes_no_status(client, org, support):
    answer(client, support["pk"], 2, "Slow.")
    [item] = follow_ups(client, org)
    members = client.get(f"/api/v1/teams/{support['team_id']}", headers=org.headers).json["member_ids"]
    other = next(m for m in members if m != item["owner_id"])

    client.post(f"/api/v1/follow-ups/{item['id']}/assign", json={"owner_id": other}, headers=org.headers)

    assert [e["follow_up"]["owner"]["id"] for e in follow_up_events(client, org, "follow_up.assigned")] == [
        item["owner_id"], other]
    assert [e["previous_status"] for e in follow_up_events(client, org, "follow_up.status_changed")] == ["new"]


def test_loop_metrics_per_team_and_owner(client, org, support):
    for i in range(3):
        answer(client, support["pk"], 2, f"Problem {i}")
    items = follow_ups(client, org)
    for move in ({"status": "in_progress"}, {"status": "responded"}, {"status": "resolved", "root_cause": "Understaffed"}):
        assert client.post(f"/api/v1/follow-ups/{items[0]['id']}/transition", json=move,
                           headers=org.headers).status_code == 200
    metrics = client.get("/api/v1/follow-ups/metrics?group_by=team", headers=org.headers).json
    assert metrics["overall"]["n"] == 3 and metrics["overall"]["open"] == 2
    assert metrics["overall"]["resolved_within_sla"] == {"n": 1, "share": 1.0}
    assert metrics["overall"]["top_root_causes"] == [{"root_cause": "Understaffed", "n": 1}]
    assert [g["name"] for g in metrics["groups"]] == ["Support"]
    by_owner = client.get("/api/v1/follow-ups/metrics?group_by=owner", headers=org.headers).json
    assert sum(g["n"] for g in by_owner["groups"]) == 3


def test_two_concurrent_moves_cannot_both_win(app, client, org, support):
    from feedback_service.core.errors import Conflict
    from feedback_service.core.tenancy import tenant_scope
    from feedback_service.loop import workflow as service

    answer(client, support["pk"], 2, "Slow.")
    [item] = follow_ups(client, org)
    with app.app_context(), tenant_scope(org.id):
        stale = db.session.get(FollowUp, item["id"])  # one staff member's view...
        db.session.expunge(stale)
        db.session.rollback()  # ...read in a transaction that has ended (SQLite holds no lock)
        with ThreadPoolExecutor(max_workers=1) as other_request:  # another's move, in its own session
            moved = other_request.submit(
                lambda: app.test_client().post(f"/api/v1/follow-ups/{item['id']}/transition",
                                               json={"status": "in_progress"}, headers=org.headers)).result()
        assert moved.status_code == 200
        db.session.add(stale)  # the first one now acts on what they saw
        with pytest.raises(Conflict):
            service.transition(item["id"], "no_action", "user:1", note="duplicate")
    assert client.get(f"/api/v1/follow-ups/{item['id']}", headers=org.headers).json["status"] == "in_progress"


def test_reopening_starts_a_fresh_sla_and_clears_the_verdict(app, client, org, support):
    from feedback_service.loop.jobs import check_sla

    answer(client, support["pk"], 2, "The refund never came.")
    [item] = follow_ups(client, org)
    move = lambda status, **extra: client.post(f"/api/v1/follow-ups/{item['id']}/transition",  # noqa: E731
                                               json={"status": status, **extra}, headers=org.headers)
    assert move("in_progress").status_code == 200
    with app.app_context():
        assert check_sla(now=utcnow() + timedelta(days=30)) == 1  # it was late
    assert move("responded").status_code == 200
    assert move("resolved", root_cause="Refund process").status_code == 200

    reopened = move("in_progress")

    assert reopened.status_code == 200
    detail = client.get(f"/api/v1/follow-ups/{item['id']}", headers=org.headers).json
    assert detail["root_cause"] is None and detail["resolved_at"] is None
    due = datetime.fromisoformat(detail["due_at"])
    assert due > utcnow()  # a new SLA from the reopening, not the old date long past
    reopening = detail["activity"][-1]
    assert reopening["before"]["root_cause"] == "Refund process"
    assert reopening["after"] == {"status": "in_progress", "due_at": detail["due_at"]}
    with app.app_context():
        assert check_sla(now=due + timedelta(minutes=1)) == 1  # and it can be late again


def test_assigned_is_reached_by_assigning_not_offered_as_a_move(client, org, make_touchpoint):
    _, pk = make_touchpoint(org, name="Returns")  # no team: the follow-up waits, new and unowned
    answer(client, pk, 1, "Where is my refund?")
    [item] = follow_ups(client, org)
    detail = client.get(f"/api/v1/follow-ups/{item['id']}", headers=org.headers).json
    assert (detail["status"], detail["allowed_moves"]) == ("new", ["no_action"])

    moved = client.post(f"/api/v1/follow-ups/{item['id']}/transition", json={"status": "assigned"},
                        headers=org.headers)

    assert moved.status_code == 422
    assert "/assign" in moved.json["errors"]["status"][0]
    assert client.get(f"/api/v1/follow-ups/{item['id']}", headers=org.headers).json["status"] == "new"


def test_list_items_carry_their_activity_as_the_detail_does(client, org, support):
    answer(client, support["pk"], 2, "Late again.")
    answer(client, support["pk"], 1, "Never arrived.")

    items = follow_ups(client, org)

    assert len(items) == 2
    for item in items:
        detail = client.get(f"/api/v1/follow-ups/{item['id']}", headers=org.headers).json
        assert [a["kind"] for a in item["activity"]] == ["created", "assigned"]
        assert item["activity"] == detail["activity"]


def test_a_batch_of_answers_reads_each_organisations_webhooks_once(app, org, support, make_response):
    """The worker opens a batch of follow-ups, each with its events: the endpoints are read once."""
    from sqlalchemy import event

    from feedback_service.loop.opening import open_pending as open_pending_follow_ups
    from feedback_service.models import Response, WebhookDelivery, WebhookEndpoint

    for i in range(5):  # answers stored, their follow-ups not opened yet
        make_response(org, support["touchpoint_id"], score=2, comment=f"Late, again ({i}).")
    with app.app_context():
        db.session.add(WebhookEndpoint(url="https://hooks.example/in", secret="whsec_test", organization_id=org.id,
                                       events=["follow_up.created", "follow_up.assigned"]))
        db.session.execute(Response.__table__.update().values(follow_up_pending=True))
        db.session.commit()
        endpoint_reads = []  # fan-out's read (ids, events, filters) -- not the sends that follow the commit
        listener = lambda conn, cur, statement, *rest: endpoint_reads.append(statement) if (  # noqa: E731
            re.search(r"touchpoint_ids\s+FROM webhook_endpoint", statement)) else None
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert open_pending_follow_ups() == 5
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert len(endpoint_reads) == 1
        assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 5
        # and every event still owes its delivery: created and assigned, five times
        assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 10
        db.session.remove()


def test_a_line_of_the_activity_log_cannot_be_changed_or_deleted(app, client, org, support):
    from feedback_service.models.follow_up import ActivityIsImmutable

    answer(client, support["pk"], 2, "Still waiting.")
    with app.app_context(), org.scope():
        line = db.session.scalars(select(FollowUpActivity)).first()
        line.body = "nothing happened here"
        with pytest.raises(ActivityIsImmutable):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalars(select(FollowUpActivity)).first())
        with pytest.raises(ActivityIsImmutable):
            db.session.flush()
        db.session.rollback()
        assert db.session.scalars(select(FollowUpActivity)).first().body is None


def test_a_backlog_of_breaches_is_marked_in_batches_each_announced_once(app, client, org, support, monkeypatch):
    from feedback_service.loop import jobs as loop_jobs
    from feedback_service.models import Event

    monkeypatch.setattr(loop_jobs, "SLA_BATCH", 2)
    for i in range(5):
        answer(client, support["pk"], 2, f"Waiting ({i}).")
    commits = []
    monkeypatch.setattr(loop_jobs, "commit", lambda: (commits.append(1), db.session.commit()))
    with app.app_context():
        assert loop_jobs.check_sla(now=utcnow() + timedelta(days=30)) == 5
        assert loop_jobs.check_sla(now=utcnow() + timedelta(days=31)) == 0
        breached = db.session.scalars(select(FollowUp.sla_breached_at)).all()
        announced = db.session.scalar(select(func.count()).select_from(Event)
                                      .where(Event.type == "follow_up.sla_breached"))
        escalations = db.session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "escalation")
                                         .order_by(OutboundEmail.id)).all()
        follow_up_ids = db.session.scalars(select(FollowUp.id).order_by(FollowUp.id)).all()
        db.session.remove()
    assert len(commits) == 3  # 2 + 2 + 1; the second run's empty look commits nothing
    assert all(breached) and announced == 5
    # One email per person per batch: two lists of two, then the last one alone.
    assert [(e.subject, e.follow_up_id) for e in escalations] == [
        ("2 overdue follow-ups", None), ("2 overdue follow-ups", None),
        (escalations[2].subject, follow_up_ids[4])]
    assert escalations[2].subject.startswith("Overdue follow-up: Contact support")
    for follow_up_id in follow_up_ids[:2]:
        assert f"http://feedback.test/follow-ups/{follow_up_id}" in escalations[0].body


def test_admins_hear_of_a_batch_of_unassigned_follow_ups_in_one_email(app, org, make_touchpoint, make_response):
    from feedback_service.loop.opening import open_pending as open_pending_follow_ups
    from feedback_service.models import Response

    touchpoint_id, _ = make_touchpoint(org, name="Advert")  # no team: nobody can take them
    for i in range(3):
        make_response(org, touchpoint_id, score=1, comment=f"Misleading offer number {i}.")
    with app.app_context():
        db.session.execute(Response.__table__.update().values(follow_up_pending=True))
        db.session.commit()
        assert open_pending_follow_ups() == 3  # the worker's batch
        [notice] = db.session.scalars(select(OutboundEmail)).all()
        follow_up_ids = db.session.scalars(select(FollowUp.id).order_by(FollowUp.id)).all()
        db.session.remove()
    assert (notice.kind, notice.to_address, notice.follow_up_id) == ("unassigned", org.admin_email, None)
    assert notice.subject == "3 unassigned follow-ups"
    assert "http://feedback.test/inbox?owner=unassigned" in notice.body
    for i, follow_up_id in enumerate(follow_up_ids):
        assert f"Misleading offer number {i}." in notice.body
        assert f"http://feedback.test/follow-ups/{follow_up_id}" in notice.body


# --- the worker's batches --------------------------------------------------------------------
# The worker opens follow-ups a hundred at a time, each team locked and its members read once per
# batch (routing.teams_held); owners must come out as they would one answer at a time.

def _left_for_the_worker(app, tenant, make_response, touchpoint_id, comments) -> list[int]:
    """Answers stored as a lost job leaves them: follow-up still to open."""
    ids = [make_response(tenant, touchpoint_id, score=2, comment=comment) for comment in comments]
    with app.app_context():
        db.session.execute(update(Response).where(Response.id.in_(ids)).values(follow_up_pending=True))
        db.session.commit()
    return ids


def _owners_in_order(app, ids) -> list[int | None]:
    with app.app_context():
        owner_of = dict(db.session.execute(select(FollowUp.response_id, FollowUp.owner_id)
                                           .where(FollowUp.response_id.in_(ids))).all())
    return [owner_of[response_id] for response_id in ids]


def _members(client, org, team_id) -> list[int]:
    return sorted(client.get(f"/api/v1/teams/{team_id}", headers=org.headers).json["member_ids"])


def test_a_batch_goes_round_the_team_in_turn(app, client, org, make_team, make_touchpoint, make_response):
    team_id = make_team(org, "Web", members=3)
    tp_id, _ = make_touchpoint(org, name="Checkout", team_id=team_id)
    ids = _left_for_the_worker(app, org, make_response, tp_id, [f"Problem {i}" for i in range(7)])
    with app.app_context():
        assert open_pending_follow_ups() == 7
    a, b, c = _members(client, org, team_id)
    assert _owners_in_order(app, ids) == [a, b, c, a, b, c, a]
    # The batch moved the team's place in the rotation: the next answer goes to the next member.
    more = _left_for_the_worker(app, org, make_response, tp_id, ["One more"])
    with app.app_context():
        open_pending_follow_ups()
    assert _owners_in_order(app, more) == [b]


def test_a_batch_counts_its_own_assignments_for_least_open(app, client, org, make_team, make_touchpoint,
                                                           make_response):
    team_id = make_team(org, "Shipping", members=2, assignment="least_open")
    tp_id, pk = make_touchpoint(org, name="Delivery", team_id=team_id)
    a, b = _members(client, org, team_id)
    for comment in ("Late parcel.", "Crushed box."):  # both given to a, in the console
        answer(client, pk, 2, comment)
    for item in follow_ups(client, org):
        if item["owner_id"] != a:
            moved = client.post(f"/api/v1/follow-ups/{item['id']}/assign", json={"owner_id": a},
                                headers=org.headers)
            assert moved.status_code == 200
    ids = _left_for_the_worker(app, org, make_response, tp_id, [f"Wrong size {i}" for i in range(4)])
    with app.app_context():
        open_pending_follow_ups()
    # a holds 2: b takes two, then the tie goes to the lower id, then b again.
    assert _owners_in_order(app, ids) == [b, b, a, b]


def test_a_batch_across_organisations_routes_each_to_its_own_team(app, client, org, make_org, make_team,
                                                                  make_touchpoint, make_response):
    other = make_org("Other Shoes")
    mine, theirs = make_team(org, "Web", members=2), make_team(other, "Web", members=2)
    my_tp, _ = make_touchpoint(org, name="Checkout", team_id=mine)
    their_tp, _ = make_touchpoint(other, name="Checkout", team_id=theirs)
    ids = []
    for i in range(3):  # interleaved, as ids from two busy shops are
        ids += _left_for_the_worker(app, org, make_response, my_tp, [f"Mine {i}"])
        ids += _left_for_the_worker(app, other, make_response, their_tp, [f"Theirs {i}"])
    with app.app_context():
        assert open_pending_follow_ups() == 6
    owners = _owners_in_order(app, ids)
    my_members, their_members = _members(client, org, mine), _members(client, other, theirs)
    assert owners[0::2] == [my_members[0], my_members[1], my_members[0]]
    assert owners[1::2] == [their_members[0], their_members[1], their_members[0]]


def test_a_batch_tells_each_organisations_admins_once_with_their_own_organisation(
        app, org, make_org, make_touchpoint, make_response):
    other = make_org("Other Shoes")
    mine, _ = make_touchpoint(org, name="Advert")  # no team: nobody can take them
    theirs, _ = make_touchpoint(other, name="Advert")
    _left_for_the_worker(app, org, make_response, mine, ["Misleading", "Wrong price"])
    _left_for_the_worker(app, other, make_response, theirs, ["Broken link"])
    with app.app_context():
        assert open_pending_follow_ups() == 3
        emails = db.session.execute(select(OutboundEmail.organization_id, OutboundEmail.to_address,
                                           OutboundEmail.subject).order_by(OutboundEmail.id)).all()
    assert [tuple(e) for e in emails] == [
        (org.id, org.admin_email, "2 unassigned follow-ups"),
        (other.id, other.admin_email, "Unassigned follow-up: Advert")]


def test_a_batch_is_about_one_statement_a_follow_up_not_a_dozen(app, org, make_team, make_touchpoint,
                                                                make_response, database_kind):
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    team_id = make_team(org, "Web", members=3)
    tp_id, _ = make_touchpoint(org, name="Checkout", team_id=team_id)
    ids = _left_for_the_worker(app, org, make_response, tp_id, [f"Problem {i}" for i in range(40)])
    sent = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(" ".join(statement.split())[:60])

    event.listen(Engine, "before_cursor_execute", count)
    try:
        with app.app_context():
            assert open_pending_follow_ups() == 40
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    if database_kind == "postgresql":
        # The claim and look-ups, the team's lock and members, each table's rows in one INSERT;
        # only the assignments are an UPDATE each (checked against the follow-up's version).
        # One at a time it was twelve statements a follow-up.
        assert len(sent) <= 40 + 15, sorted(set(sent))
    with app.app_context():
        written = db.session.execute(select(func.count()).select_from(FollowUp)).scalar_one()
        log = db.session.execute(select(FollowUpActivity.kind, func.count()).group_by(FollowUpActivity.kind)).all()
        emails = db.session.execute(select(func.count()).select_from(OutboundEmail)).scalar_one()
    assert written == 40 and dict(log) == {"created": 40, "assigned": 40} and emails == 40
    assert None not in _owners_in_order(app, ids)


def test_a_batch_locks_its_teams_in_id_order_whatever_order_its_answers_came(
        app, org, make_team, make_touchpoint, make_response):
    # Two workers whose batches need the same teams, each taking them in the order its answers
    # came, could each hold one the other waits for. Taken in id order, they queue instead.
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    first, second = make_team(org, "Web", members=1), make_team(org, "Store", members=1)
    web, _ = make_touchpoint(org, name="Checkout", team_id=first)
    store, _ = make_touchpoint(org, name="Till", team_id=second)
    ids = _left_for_the_worker(app, org, make_response, store, ["Queue too long"])
    ids += _left_for_the_worker(app, org, make_response, web, ["Card refused"])
    locked = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        if "FROM team" in statement and "team.id =" in statement:  # the lock (SQLite: its write lock)
            locked.append(next(v for k, v in parameters.items() if k.startswith("id")) if isinstance(
                parameters, dict) else parameters[0])

    event.listen(Engine, "before_cursor_execute", watch)
    try:
        with app.app_context():
            assert open_pending_follow_ups() == 2
    finally:
        event.remove(Engine, "before_cursor_execute", watch)
    assert locked == [first, second]
    assert None not in _owners_in_order(app, ids)
