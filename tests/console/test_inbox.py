"""The console's inbox: follow-ups, the most urgent first and then the newest, filterable;
and the "closing the loop" metrics page drawn from the same follow-ups."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from feedback_service.core.database import commit
from feedback_service.core.errors import Invalid
from feedback_service.extensions import db
from feedback_service.loop import inbox as follow_up_queries
from feedback_service.loop import workflow as follow_ups
from feedback_service.models import FollowUp, User
from tests.helpers.console import page_text, post_forms, signed_in_as


@pytest.fixture
def support(org, make_team, make_touchpoint):
    """A 'Contact support' touchpoint owned by a round-robin team of two agents."""
    team_id = make_team(org, "Support", members=2)
    touchpoint_id, _ = make_touchpoint(org, name="Contact support", team_id=team_id, survey={"metric": "csat"})
    return {"team_id": team_id, "touchpoint_id": touchpoint_id}


@pytest.fixture
def delivery(org, make_team, make_touchpoint):
    """A 'Delivery' touchpoint owned by a one-person Shipping team."""
    team_id = make_team(org, "Shipping", members=1)
    touchpoint_id, _ = make_touchpoint(org, name="Delivery", team_id=team_id, survey={"metric": "csat"})
    return {"team_id": team_id, "touchpoint_id": touchpoint_id}


def comments_in_order(page: str) -> list[str]:
    """The comments of the inbox's rows, top to bottom."""
    return [re.sub(r"\s+", " ", text).strip()
            for text in re.findall(r'<a href="/follow-ups/\d+" class="inbox-link">(.*?)</a>', page, re.S)]


def inbox_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<a href="/follow-ups/(\d+)" class="inbox-link">', page)]


# ---- Order ------------------------------------------------------------------------

def test_the_inbox_puts_the_most_urgent_first_then_the_newest(app, org, support, make_follow_up):
    tp = support["touchpoint_id"]
    old_normal = make_follow_up(org, tp, comment="old normal", priority="normal", age=timedelta(days=3))
    new_low = make_follow_up(org, tp, comment="new low", priority="low", age=timedelta(minutes=1))
    old_urgent = make_follow_up(org, tp, comment="old urgent", priority="urgent", age=timedelta(days=9))
    new_normal = make_follow_up(org, tp, comment="new normal", priority="normal", age=timedelta(hours=1))
    high = make_follow_up(org, tp, comment="high", priority="high", age=timedelta(days=1))
    new_urgent = make_follow_up(org, tp, comment="new urgent", priority="urgent", age=timedelta(hours=2))

    with app.app_context(), org.scope():
        page = follow_up_queries.inbox()

    assert [f.id for f in page.items] == [new_urgent, old_urgent, high, new_normal, old_normal, new_low]
    assert page.total == 6 and page.pages == 1


def test_the_inbox_page_shows_the_same_order(admin_client, org, support, make_follow_up):
    tp = support["touchpoint_id"]
    make_follow_up(org, tp, comment="A normal one from today", priority="normal", age=timedelta(hours=1))
    make_follow_up(org, tp, comment="An urgent one from last week", priority="urgent", age=timedelta(days=7))
    make_follow_up(org, tp, comment="A normal one from yesterday", priority="normal", age=timedelta(days=1))

    page = page_text(admin_client.get("/inbox"))

    assert comments_in_order(page) == ["An urgent one from last week", "A normal one from today",
                                       "A normal one from yesterday"]


def test_an_inbox_row_shows_priority_status_touchpoint_score_comment_customer_owner_due_and_age(
        app, admin_client, org, support, make_follow_up):
    follow_up_id = make_follow_up(org, support["touchpoint_id"], score=1, comment="The agent hung up on me.",
                                  customer={"external_id": "cust-42", "email": "ann@example.com"},
                                  priority="urgent", age=timedelta(hours=5), due_in=timedelta(hours=-1))
    with app.app_context(), org.scope():
        follow_up = db.session.get(FollowUp, follow_up_id)
        owner_name, customer_id = follow_up.owner.name, follow_up.response.customer_id

    page = page_text(admin_client.get("/inbox"))
    row = re.search(r"<tr class=\"row-overdue\">(.*?)</tr>", page, re.S).group(1)

    assert '<span class="badge priority-urgent">Urgent</span>' in row
    assert '<span class="badge status-assigned">Assigned</span>' in row
    assert "Contact support" in row
    assert re.search(r'class="score-chip score-low"[^>]*>1</span>', row)
    assert f'<a href="/follow-ups/{follow_up_id}" class="inbox-link">The agent hung up on me.</a>' in row
    assert f'<a href="/customers/{customer_id}">cust-42</a>' in row
    assert owner_name in row
    assert "1 h ago" in row and '<span class="badge badge-overdue">Overdue</span>' in row
    assert ">5 h</time>" in row


def test_a_long_comment_is_truncated_in_the_list(admin_client, org, support, make_follow_up):
    make_follow_up(org, support["touchpoint_id"], comment="word " * 100)

    [shown] = comments_in_order(page_text(admin_client.get("/inbox")))

    assert shown.endswith("…") and len(shown) <= 181


def test_a_comment_is_escaped_in_the_inbox(admin_client, org, support, make_follow_up):
    make_follow_up(org, support["touchpoint_id"], comment='<script>alert("x")</script> & <b>bold</b>')

    page = page_text(admin_client.get("/inbox"))

    assert "<script" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page


# ---- Filters ------------------------------------------------------------------------

@pytest.fixture
def spread(app, org, support, delivery, make_follow_up):
    """Follow-ups across two teams, every priority, open and closed, late and on time."""
    tp, other_tp = support["touchpoint_id"], delivery["touchpoint_id"]
    ids = {
        "urgent_late": make_follow_up(org, tp, comment="urgent late", priority="urgent", due_in=timedelta(hours=-2)),
        "normal": make_follow_up(org, tp, comment="normal", priority="normal", due_in=timedelta(days=2)),
        "resolved": make_follow_up(org, tp, comment="resolved", priority="high", status="resolved",
                                   due_in=timedelta(hours=-5)),
        "shipping": make_follow_up(org, other_tp, comment="shipping", priority="low", due_in=timedelta(days=5)),
        "in_progress": make_follow_up(org, tp, comment="in progress", priority="high", status="in_progress",
                                      due_in=timedelta(days=1)),
    }
    with app.app_context(), org.scope():
        unowned = db.session.get(FollowUp, ids["normal"])
        unowned.owner_id, unowned.status = None, "new"
        commit()
    return ids


def _inbox(app, org, **filters) -> set[int]:
    with app.app_context(), org.scope():
        return {f.id for f in follow_up_queries.inbox(**filters).items}


def test_by_default_the_inbox_shows_open_follow_ups(app, org, spread):
    assert _inbox(app, org) == {spread["urgent_late"], spread["normal"], spread["shipping"], spread["in_progress"]}
    assert _inbox(app, org, status="all") == set(spread.values())
    assert _inbox(app, org, status="closed") == {spread["resolved"]}


@pytest.mark.parametrize("query, expected", [
    ("status=in_progress", ["in_progress"]),
    ("status=resolved", ["resolved"]),
    ("status=new", ["normal"]),
    ("status=all", ["urgent_late", "normal", "resolved", "shipping", "in_progress"]),
    ("status=closed", ["resolved"]),
    ("priority=high", ["in_progress"]),
    ("priority=high&status=all", ["resolved", "in_progress"]),
    ("priority=low", ["shipping"]),
    ("owner=unassigned", ["normal"]),
    ("overdue=y", ["urgent_late"]),
    ("overdue=y&status=all", ["urgent_late"]),  # a closed follow-up is never late
])
def test_each_filter_narrows_the_inbox(admin_client, spread, query, expected):
    page = page_text(admin_client.get(f"/inbox?{query}"))

    assert sorted(inbox_ids(page)) == sorted(spread[name] for name in expected)


def test_the_team_and_touchpoint_filters(admin_client, spread, support, delivery):
    by_team = inbox_ids(page_text(admin_client.get(f"/inbox?team={delivery['team_id']}")))
    by_touchpoint = inbox_ids(page_text(admin_client.get(f"/inbox?touchpoint={support['touchpoint_id']}")))

    assert by_team == [spread["shipping"]]
    assert sorted(by_touchpoint) == sorted([spread["urgent_late"], spread["normal"], spread["in_progress"]])


def test_the_owner_filter_takes_a_person(app, admin_client, org, spread):
    with app.app_context(), org.scope():
        owner_id = db.session.get(FollowUp, spread["shipping"]).owner_id

    page = page_text(admin_client.get(f"/inbox?owner={owner_id}"))

    assert inbox_ids(page) == [spread["shipping"]]
    assert re.search(rf'<option selected value="{owner_id}">', page)


def test_mine_is_the_signed_in_users_follow_ups(app, client, org, support, make_staff, make_follow_up):
    user_id = signed_in_as(client, org, make_staff, "agent")
    mine = make_follow_up(org, support["touchpoint_id"], comment="mine")
    make_follow_up(org, support["touchpoint_id"], comment="someone else's")
    with app.app_context(), org.scope():
        follow_ups.assign(mine, user_id, "user:1")
        commit()

    page = page_text(client.get("/inbox?owner=mine"))

    assert inbox_ids(page) == [mine]
    assert re.search(r'href="/inbox\?owner=mine" aria-current="page"', page)


def test_filters_combine(admin_client, spread, support):
    page = page_text(admin_client.get(f"/inbox?touchpoint={support['touchpoint_id']}&priority=urgent&overdue=y"))

    assert inbox_ids(page) == [spread["urgent_late"]]


def test_the_filter_form_keeps_its_values_and_carries_no_csrf_token(admin_client, spread, delivery):
    page = page_text(admin_client.get(f"/inbox?status=all&priority=low&team={delivery['team_id']}&overdue=y"))
    form = re.search(r'<form class="panel filter-bar" method="get" action="/inbox"[^>]*>(.*?)</form>', page, re.S).group(1)

    assert '<option selected value="all">' in form
    assert '<option selected value="low">' in form
    assert f'<option selected value="{delivery["team_id"]}">' in form
    assert re.search(r'<input checked[^>]*name="overdue"', form)
    assert "csrf_token" not in form  # a GET changes nothing; a token in the URL would leak


@pytest.mark.parametrize("query", ["status=bogus", "priority=extreme", "team=abc", "owner=-1", "touchpoint=99999999999",
                                   "page=abc", "page=-3", "page=100000"])
def test_unknown_filter_values_fall_back_to_the_defaults(admin_client, spread, query):
    response = admin_client.get(f"/inbox?{query}")

    assert response.status_code == 200
    assert sorted(inbox_ids(page_text(response))) == sorted(
        spread[name] for name in ("urgent_late", "normal", "shipping", "in_progress"))


def test_the_service_refuses_an_unknown_status_or_priority(app, org):
    with app.app_context(), org.scope():
        with pytest.raises(Invalid):
            follow_up_queries.inbox(status="closed-ish")
        with pytest.raises(Invalid):
            follow_up_queries.inbox(priority="extreme")


def test_quick_views_count_open_mine_unassigned_and_overdue(admin_client, spread):
    page = page_text(admin_client.get("/inbox"))

    counts = dict(re.findall(r'<span class="quick-view-label">(\w+)</span>\s*<span class="quick-view-count">(\d+)</span>',
                             page))
    assert counts == {"Open": "4", "Mine": "0", "Unassigned": "1", "Overdue": "1"}


# ---- Pages -------------------------------------------------------------------------

def test_the_inbox_is_paged_with_the_filters_kept(admin_client, org, support, make_follow_up):
    ids = [make_follow_up(org, support["touchpoint_id"], comment=f"number {i}", priority="normal",
                          age=timedelta(minutes=100 - i)) for i in range(30)]

    first = page_text(admin_client.get("/inbox?priority=normal"))
    second = page_text(admin_client.get("/inbox?priority=normal&page=2"))

    assert inbox_ids(first) == list(reversed(ids))[:25]
    assert inbox_ids(second) == list(reversed(ids))[25:]
    assert 'href="/inbox?page=2&amp;priority=normal">Next →</a>' in first
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert "26–30 shown" in second


def test_an_empty_inbox_says_so(admin_client):
    page = page_text(admin_client.get("/inbox"))

    assert "0 follow-ups" in page
    assert "No open follow-ups: every comment has been answered." in page


# ---- Who sees what -------------------------------------------------------------------

def test_another_organisations_follow_ups_are_not_in_the_inbox(app, admin_client, org, make_org, make_touchpoint,
                                                               make_follow_up, support):
    other = make_org("Someone else")
    their_tp, _ = make_touchpoint(other, name="Their checkout")
    theirs = make_follow_up(other, their_tp, comment="Their secret complaint", priority="urgent")
    ours = make_follow_up(org, support["touchpoint_id"], comment="Ours")

    page = page_text(admin_client.get("/inbox?status=all"))

    assert inbox_ids(page) == [ours]
    assert "Their secret complaint" not in page and "Their checkout" not in page
    assert admin_client.get(f"/follow-ups/{theirs}").status_code == 404
    with app.app_context(), org.scope():
        assert follow_up_queries.inbox_counts()["open"] == 1


def test_a_viewer_reads_the_inbox(client, org, make_staff, support, make_follow_up):
    make_follow_up(org, support["touchpoint_id"], comment="Read me")
    signed_in_as(client, org, make_staff, "viewer")

    response = client.get("/inbox")

    assert response.status_code == 200
    assert "Read me" in page_text(response)


def test_signed_out_the_inbox_asks_for_a_sign_in(client):
    response = client.get("/inbox?owner=mine")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_the_inbox_is_the_first_item_of_the_navigation(admin_client):
    page = page_text(admin_client.get("/journeys"))

    nav = re.search(r'<nav class="mainnav" aria-label="Main">(.*?)</nav>', page, re.S).group(1)
    assert re.findall(r">(\w+)</a>", nav) == ["Inbox", "Journeys", "Alerts", "Audits", "Backlog", "Settings"]
    assert 'href="/inbox" aria-current="page"' in page_text(admin_client.get("/inbox"))


# ---- Closing the loop --------------------------------------------------------------------

def test_the_metrics_page_shows_backlog_times_sla_and_root_causes(app, admin_client, org, support, make_follow_up):
    tp = support["touchpoint_id"]
    resolved = make_follow_up(org, tp, comment="fixed", age=timedelta(hours=10), due_in=timedelta(days=1))
    make_follow_up(org, tp, comment="open one")
    make_follow_up(org, tp, comment="late one", due_in=timedelta(hours=-1))
    with app.app_context(), org.scope():
        for status in ("in_progress", "responded"):
            follow_ups.transition(resolved, status, "user:1")
        follow_ups.transition(resolved, "resolved", "user:1", root_cause="Understaffed phone line")
        commit()

    response = admin_client.get("/metrics")
    page = page_text(response)

    assert response.status_code == 200
    stats = dict(re.findall(r"<dt>([^<]+)</dt><dd>(?:<a [^>]*>)?([^<]+)", page))
    assert (stats["Follow-ups"], stats["Open backlog"], stats["Overdue"]) == ("3", "2", "1")
    assert stats["Within SLA"] == "100%"
    assert "of 1 closed" in page
    assert '<span class="cause-name">Understaffed phone line</span>' in page
    assert re.search(r'<th scope="row" data-label="Team">Support</th>', page)
    assert re.search(r'<th scope="row" data-label="Owner">Support \d</th>', page)
    assert '<rect class="bar-fill" width="100%"' in page
    assert "style=" not in page and "<script" not in page


def test_the_metrics_page_offers_periods(admin_client, org, support, make_follow_up):
    make_follow_up(org, support["touchpoint_id"], comment="long ago", age=timedelta(days=60))

    recent = page_text(admin_client.get("/metrics?period=30"))
    longer = page_text(admin_client.get("/metrics?period=90"))
    unknown = admin_client.get("/metrics?period=forever")

    assert "No follow-ups in this period" in recent
    assert re.search(r"<dt>Follow-ups</dt><dd>1</dd>", longer)
    assert unknown.status_code == 200


def test_the_metrics_are_the_organisations_own(app, admin_client, make_org, make_touchpoint, make_follow_up):
    other = make_org("Someone else")
    their_tp, _ = make_touchpoint(other, name="Their checkout")
    make_follow_up(other, their_tp, comment="theirs")

    page = page_text(admin_client.get("/metrics"))

    assert "No follow-ups in this period" in page


def test_the_inbox_and_metrics_pages_have_no_forms_that_post_but_sign_out(admin_client, spread):
    for path in ("/inbox", "/metrics"):
        assert len(post_forms(page_text(admin_client.get(path)))) == 1  # sign out


def test_the_owner_list_offers_staff_who_can_own_follow_ups(app, admin_client, org, make_staff, spread):
    make_staff(org, role="viewer", email="vera@org.example")
    make_staff(org, role="agent", email="gone@org.example", is_active=False)
    with app.app_context(), org.scope():
        names = {u.email: u.id for u in db.session.scalars(select(User))}

    page = page_text(admin_client.get("/inbox"))
    owner_select = re.search(r'<select[^>]*name="owner"[^>]*>(.*?)</select>', page, re.S).group(1)

    assert f'value="{names["vera@org.example"]}"' not in owner_select
    assert f'value="{names["gone@org.example"]}">Agent User (deactivated)' in owner_select
