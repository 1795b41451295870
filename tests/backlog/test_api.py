"""/api/v1/backlog: made by hand, ordered by the formula and by hand, worked, checked once done;
roles, tenant isolation, validation naming the field, events in the log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from feedback_service.backlog import items as backlog
from feedback_service.core.database import commit
from feedback_service.models import utcnow
from tests.helpers.assertions import assert_error

from .conftest import logged
from .test_intake import HIDDEN, HOLD, items


def create(client, org, touchpoint_id, title, **body):
    answer = client.post("/api/v1/backlog", headers=org.headers, json={"title": title,
                                                                       "touchpoint_id": touchpoint_id, **body})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_the_formula_orders_the_list_and_a_manual_rank_overrides_it(client, org, shop):
    tp = shop.touchpoints["Contact support"]
    slow = create(client, org, tp, "Rebuild the phone system", impact=3, ease=1)
    quick = create(client, org, tp, "Put the number on the contact page", impact=3, ease=3)
    middling = create(client, org, tp, "Shorter hold music", impact=1, ease=3)
    assert quick["priority"] == 9 and quick["team_id"] == shop.teams["Support"]
    assert [i["id"] for i in items(client, org)] == [quick["id"], slow["id"], middling["id"]]

    ranked = client.patch(f"/api/v1/backlog/{middling['id']}", headers=org.headers,
                          json={"manual_rank": 1, "rank_reason": "The CEO hears it every call"})
    assert ranked.status_code == 200, ranked.get_json()
    assert ranked.get_json()["rank_reason"] == "The CEO hears it every call"
    assert [i["id"] for i in items(client, org)] == [middling["id"], quick["id"], slow["id"]]
    assert_error(client.patch(f"/api/v1/backlog/{slow['id']}", headers=org.headers, json={"manual_rank": 2}),
                 422, field="rank_reason")
    client.patch(f"/api/v1/backlog/{middling['id']}", headers=org.headers, json={"manual_rank": None})
    assert [i["id"] for i in items(client, org)][0] == quick["id"]


def test_filters_and_reassigning_to_a_team(client, org, shop):
    tp = shop.touchpoints["Browse the shop"]
    item = create(client, org, tp, "Sizes missing on sale items")
    assert items(client, org, team_id=shop.teams["Procurement"])[0]["id"] == item["id"]
    moved = client.patch(f"/api/v1/backlog/{item['id']}", headers=org.headers, json={"team_id": shop.teams["Web"]})
    assert moved.get_json()["team_id"] == shop.teams["Web"]
    assert items(client, org, team_id=shop.teams["Procurement"]) == []
    assert [i["id"] for i in items(client, org, touchpoint_id=tp, status="open")] == [item["id"]]
    assert items(client, org, status="done") == []


def test_a_done_item_shows_the_headline_before_and_after(app, client, org, shop, walk, make_response):
    tp = shop.touchpoints["Contact support"]
    walk(org, shop, [("Contact support", HIDDEN), ("Contact support", HOLD)])
    hidden = next(i for i in items(client, org) if i["title"].startswith("The phone number"))
    assert hidden["check"] is None
    now = utcnow()
    done_at = now - timedelta(days=10)
    for days in (12, 15, 20):
        make_response(org, tp, score=2, created_at=now - timedelta(days=days))
    for days in (2, 5):
        make_response(org, tp, score=5, created_at=now - timedelta(days=days))
    with app.app_context(), org.scope():
        backlog.update_item(hidden["id"], {"status": "done"}, at=done_at)
        commit()
    shown = client.get(f"/api/v1/backlog/{hidden['id']}", headers=org.headers).get_json()
    assert shown["status"] == "done" and shown["done_at"].startswith(done_at.isoformat()[:16])
    before, after = shown["check"]["before"], shown["check"]["after"]
    assert (before["headline"]["n"], after["headline"]["n"]) == (3, 2)
    assert before["headline"]["score"] < after["headline"]["score"]
    # The only audit was walked after the fix, and still found the number hidden: visible here.
    assert before["audit"] is None and after["audit"]["severity"] == "really_bad"
    assert after["audit"]["same_problem"]["severity"] == "bad"
    changed = logged(app, org, "backlog_item.status_changed")
    assert [(e["from"], e["to"], e["backlog_item"]["id"]) for e in changed] == [("open", "done", hidden["id"])]
    assert changed[0]["touchpoint"]["id"] == tp
    # Opened again: no longer done, no check.
    again = client.patch(f"/api/v1/backlog/{hidden['id']}", headers=org.headers, json={"status": "in_progress"})
    assert again.get_json()["done_at"] is None and again.get_json()["check"] is None


def test_comments_and_events(app, client, org, shop):
    item = create(client, org, shop.touchpoints["Delivery"], "Parcels left outside",
                  sources=[{"kind": "friction", "id": shop.touchpoints["Delivery"]}])
    assert item["sources"][0]["kind"] == "friction"
    said = client.post(f"/api/v1/backlog/{item['id']}/comments", headers=org.headers,
                       json={"body": "Asked the courier for photos"})
    assert said.status_code == 201
    shown = client.get(f"/api/v1/backlog/{item['id']}", headers=org.headers).get_json()
    assert [c["body"] for c in shown["comments"]] == ["Asked the courier for photos"]
    [created] = logged(app, org, "backlog_item.created")
    assert created["backlog_item"]["sources"] == [{"kind": "friction", "id": shop.touchpoints["Delivery"]}]


def test_roles(client, org, shop, make_key):
    item = create(client, org, shop.touchpoints["Delivery"], "Parcels left outside")
    viewer, agent = make_key(org, "viewer"), make_key(org, "agent")
    assert client.get("/api/v1/backlog", headers=viewer).status_code == 200
    assert client.get(f"/api/v1/backlog/{item['id']}", headers=viewer).status_code == 200
    assert_error(client.patch(f"/api/v1/backlog/{item['id']}", headers=viewer, json={"status": "planned"}), 403)
    assert_error(client.post(f"/api/v1/backlog/{item['id']}/comments", headers=viewer, json={"body": "x"}), 403)
    assert client.patch(f"/api/v1/backlog/{item['id']}", headers=agent, json={"status": "planned"}).status_code == 200
    assert client.post(f"/api/v1/backlog/{item['id']}/comments", headers=agent, json={"body": "x"}).status_code == 201
    assert_error(client.patch(f"/api/v1/backlog/{item['id']}", headers=agent, json={"impact": 3}), 403)
    assert_error(client.post("/api/v1/backlog", headers=agent, json={
        "title": "x", "touchpoint_id": shop.touchpoints["Delivery"]}), 403)


def test_another_organisations_items_are_not_found(client, org, shop, make_org, make_shop):
    other = make_org("Other shop")
    theirs = make_shop(other, suffix="-other")
    item = create(client, other, theirs.touchpoints["Delivery"], "Their problem")
    assert_error(client.get(f"/api/v1/backlog/{item['id']}", headers=org.headers), 404)
    assert_error(client.patch(f"/api/v1/backlog/{item['id']}", headers=org.headers, json={"status": "done"}), 404)
    assert_error(client.post(f"/api/v1/backlog/{item['id']}/comments", headers=org.headers, json={"body": "x"}), 404)
    assert items(client, org) == []
    assert_error(client.post("/api/v1/backlog", headers=org.headers, json={
        "title": "x", "touchpoint_id": theirs.touchpoints["Delivery"]}), 422, field="touchpoint_id")
    assert_error(client.post("/api/v1/backlog", headers=org.headers, json={
        "title": "x", "touchpoint_id": shop.touchpoints["Delivery"],
        "sources": [{"kind": "friction", "id": theirs.touchpoints["Delivery"]}]}), 422, field="sources")


@pytest.mark.parametrize(("body", "field"), [
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"touchpoint_id": "one"}, "touchpoint_id"),
    ({"impact": 4}, "impact"),
    ({"ease": 0}, "ease"),
    ({"team_id": 99999}, "team_id"),
    ({"sources": [{"kind": "rumour", "id": 1}]}, "sources"),
    ({"sources": [{"kind": "finding", "id": 424242}]}, "sources"),
    ({"colour": "red"}, "colour"),
])
def test_validation_names_the_field(client, org, shop, body, field):
    answer = client.post("/api/v1/backlog", headers=org.headers, json={
        "title": "Fix it", "touchpoint_id": shop.touchpoints["Delivery"], **body})
    assert_error(answer, 422, field=field)


@pytest.mark.parametrize(("body", "field"), [
    ({"status": "finished"}, "status"), ({"impact": "high"}, "impact"), ({"manual_rank": 0}, "manual_rank"),
    ({"team_id": 99999}, "team_id"), ({"title": ""}, "title"),
])
def test_patch_validation_names_the_field(client, org, shop, body, field):
    item = create(client, org, shop.touchpoints["Delivery"], "Parcels left outside")
    assert_error(client.patch(f"/api/v1/backlog/{item['id']}", headers=org.headers, json=body), 422, field=field)
