"""The console's Backlog board and item page: the ordered list with its evidence, a status move
and a comment through forms with CSRF tokens, the team filter, the before/after check."""

from __future__ import annotations

import html

from feedback_service.backlog import intake
from feedback_service.core.database import commit
from feedback_service.models import utcnow
from tests.helpers.console import page_text, post_form, signed_in_as

from .test_intake import CODE, HIDDEN, HOLD, items


def test_the_board_lists_items_in_order_with_their_evidence(app, admin_client, org, shop, walk):
    audit_id = walk(org, shop, [("Cart & checkout", CODE), ("Contact support", HIDDEN), ("Contact support", HOLD)])
    page = html.unescape(page_text(admin_client.get("/backlog")))
    assert 'aria-current="page">Backlog</a>' in page
    todo = page.split('id="todo-title"')[1].split('id="closed-title"')[0]
    assert todo.index("The code FREESHIP") < todo.index("The phone number") < todo.index("15 minutes on hold")
    assert f"/audits/{audit_id}" in todo and "(really bad, days)" in todo
    only_web = html.unescape(page_text(admin_client.get(f"/backlog?team={shop.teams['Web']}")))
    assert "The code FREESHIP" in only_web and "The phone number" not in only_web


def test_a_status_move_and_a_comment_through_the_forms(app, admin_client, org, shop, walk):
    walk(org, shop, [("Contact support", HIDDEN)])
    [item] = items(admin_client, org)
    moved = post_form(admin_client, "/backlog", f"/backlog/{item['id']}/status", {"status": "done", "back": "board"})
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/backlog#item-{item['id']}")
    said = post_form(admin_client, f"/backlog/{item['id']}", f"/backlog/{item['id']}/comments",
                     {"body": "Number moved to the contact page"})
    assert said.status_code == 302
    shown = admin_client.get(f"/api/v1/backlog/{item['id']}", headers=org.headers).get_json()
    assert shown["status"] == "done" and shown["comments"][0]["body"] == "Number moved to the contact page"
    page = html.unescape(page_text(admin_client.get(f"/backlog/{item['id']}")))
    assert "Did it help?" in page and "Before (30 days)" in page and "Number moved to the contact page" in page
    ranked = post_form(admin_client, f"/backlog/{item['id']}", f"/backlog/{item['id']}/rank",
                       {"impact": "3", "ease": "", "manual_rank": "1", "rank_reason": "Customers ask daily"})
    assert ranked.status_code == 302
    assert "Ranked 1 by hand: Customers ask daily" in html.unescape(page_text(admin_client.get(f"/backlog/{item['id']}")))


def test_a_move_without_the_csrf_token_is_refused_and_viewers_only_read(app, client, org, shop, walk, make_staff):
    walk(org, shop, [("Contact support", HIDDEN)])
    [item] = items(client, org)
    signed_in_as(client, org, make_staff, "viewer")
    page = page_text(client.get("/backlog"))
    assert "The phone number" in page and "/status" not in page
    assert client.post(f"/backlog/{item['id']}/status", data={"status": "done"}).status_code in (400, 403)


def test_the_demo_backlog(app, org, shop, walk, client):
    walk(org, shop, [("Cart & checkout", CODE), ("Contact support", HIDDEN), ("Contact support", HOLD)])
    walk(org, shop, [("Contact support", {**HOLD, "note": "Still 14 minutes on hold."})])
    with app.app_context(), org.scope():
        made = intake.seed_demo_backlog(now=utcnow())
        commit()
    assert len(made) == 3
    listed = items(client, org)
    assert listed[0]["title"] == "15 minutes on hold before anyone answered" and listed[0]["status"] == "open"
    hidden = next(i for i in listed if i["title"].startswith("The phone number"))
    assert hidden["status"] == "done" and {"before", "after"} <= set(hidden["check"])
    with app.app_context(), org.scope():  # again: the same state
        intake.seed_demo_backlog()
        commit()
    assert [i["id"] for i in items(client, org)] == [i["id"] for i in listed]
