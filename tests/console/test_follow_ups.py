"""The console's follow-up page: the answer, its customer's story and its log; moving, assigning,
noting and replying through forms that carry CSRF tokens; the outbox of emails."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from feedback_service.core.database import commit
from feedback_service.extensions import db
from feedback_service.models import FollowUp, FollowUpActivity, OutboundEmail, RootCause, User
from tests.helpers.console import csrf_token, page_text, post_forms, signed_in_as

ANN = {"external_id": "cust-ann", "email": "ann@example.com"}
NO_EMAIL = {"external_id": "cust-anon", "email": None}


@pytest.fixture
def support(org, make_team, make_touchpoint):
    team_id = make_team(org, "Support", members=2)
    touchpoint_id, _ = make_touchpoint(org, name="Contact support", team_id=team_id, survey={"metric": "csat"})
    return {"team_id": team_id, "touchpoint_id": touchpoint_id}


@pytest.fixture
def follow_up(org, support, make_follow_up):
    """An assigned follow-up on Ann's comment."""
    return make_follow_up(org, support["touchpoint_id"], score=2, comment="The free shipping never applied.",
                          customer=ANN)


def state(app, org, follow_up_id) -> dict:
    """The follow-up as stored: status, owner, root cause and its log's kinds."""
    with app.app_context(), org.scope():
        row = db.session.get(FollowUp, follow_up_id)
        kinds = list(db.session.scalars(select(FollowUpActivity.kind)
                                         .where(FollowUpActivity.follow_up_id == follow_up_id)
                                         .order_by(FollowUpActivity.id)))
        return {"status": row.status, "owner_id": row.owner_id, "root_cause": row.root_cause, "log": kinds,
                "version": row.version}


def form_action(page: str, action: str) -> str:
    """The body of the POST form with this action."""
    match = re.search(rf'<form[^>]*method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert match, f"no form posting to {action}"
    return match.group(1)


def submit(client, follow_up_id: int, action: str, data: dict):
    """Read the follow-up page, take the CSRF token of the form posting to ``action``, send it."""
    page = page_text(client.get(f"/follow-ups/{follow_up_id}"))
    url = f"/follow-ups/{follow_up_id}/{action}"
    token = csrf_token(form_action(page, url))
    return client.post(url, data={**data, "csrf_token": token})


def flashes(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<p class="alert alert-\w+" role="(?:status|alert)">(.*?)</p>', page, re.S)]


def after_redirect(client, response) -> str:
    assert response.status_code == 302, page_text(response)
    return page_text(client.get(response.headers["Location"]))


def user_id(app, org, email) -> int:
    with app.app_context(), org.scope():
        return db.session.scalar(select(User.id).where(User.email == email))


# ---- What the page shows --------------------------------------------------------------

def test_the_page_shows_the_answer_with_its_question_sentiment_and_context(app, admin_client, org, follow_up):
    with app.app_context(), org.scope():
        response = db.session.get(FollowUp, follow_up).response
        response.sentiment_status, response.sentiment_label = "scored", "negative"
        response.context = {"order_id": "A-1001", "plan": "gold"}
        customer_id = response.customer_id
        commit()

    page = page_text(admin_client.get(f"/follow-ups/{follow_up}"))

    assert "<h1>Follow-up #%d</h1>" % follow_up in page
    assert re.search(r'class="score-chip score-low"[^>]*>2</span>\s*<span class="score-scale">/ 5 CSAT</span>', page)
    assert "Asked: “How satisfied" in page
    assert '<blockquote class="comment-quote comment-large">The free shipping never applied.</blockquote>' in page
    assert '<span class="badge sentiment-negative">Negative</span>' in page
    assert "<div><dt>order_id</dt><dd>A-1001</dd></div>" in page
    assert f'<a href="/customers/{customer_id}">cust-ann</a>' in page
    assert '<span class="badge status-assigned">Assigned</span>' in page


def test_the_page_shows_the_customers_whole_timeline_across_touchpoints(
        app, admin_client, org, support, make_touchpoint, make_response, follow_up):
    returns, _ = make_touchpoint(org, name="Returns")
    make_response(org, returns, score=5, comment="The refund was quick.", customer=ANN,
                  created_at=None)
    with app.app_context(), org.scope():
        customer_id = db.session.get(FollowUp, follow_up).response.customer_id

    page = page_text(admin_client.get(f"/follow-ups/{follow_up}"))
    timeline = page[page.index('id="customer-timeline-title"'):]

    assert "The refund was quick." in timeline and "Returns" in timeline
    assert '<span class="badge badge-current">This follow-up</span>' in timeline
    assert '<span class="badge badge-current">This answer</span>' in timeline
    assert f'href="/customers/{customer_id}">Customer page</a>' in timeline


def test_the_customer_page_links_each_follow_up(app, admin_client, org, follow_up):
    with app.app_context(), org.scope():
        customer_id = db.session.get(FollowUp, follow_up).response.customer_id

    page = page_text(admin_client.get(f"/customers/{customer_id}"))

    assert f'<a class="badge badge-link" href="/follow-ups/{follow_up}">Follow-up #{follow_up}</a>' in page


def answered(app, org, follow_up: int) -> None:
    """Worked on, and the customer answered (by phone, say): the follow-up can be resolved now."""
    from feedback_service.loop import workflow as follow_ups

    with app.app_context(), org.scope():
        follow_ups.transition(follow_up, "in_progress", "user:1")
        follow_ups.transition(follow_up, "responded", "user:1", note="Called the customer.")
        commit()


def test_the_moves_offered_are_the_allowed_ones(admin_client, follow_up):
    page = page_text(admin_client.get(f"/follow-ups/{follow_up}"))
    form = form_action(page, f"/follow-ups/{follow_up}/transition")

    assert re.findall(r'name="status" value="(\w+)"', form) == ["in_progress", "no_action"]  # it is assigned
    assert ">Start work</button>" in form and ">No action needed</button>" in form
    assert ">Resolve</button>" not in form


def test_once_the_customer_was_answered_resolving_is_offered_with_the_root_causes(app, admin_client, org,
                                                                                 follow_up):
    answered(app, org, follow_up)
    form = form_action(page_text(admin_client.get(f"/follow-ups/{follow_up}")), f"/follow-ups/{follow_up}/transition")

    assert re.findall(r'name="status" value="(\w+)"', form) == ["resolved", "no_action"]
    assert ">Resolve</button>" in form
    assert 'name="root_cause"' in form and 'name="new_root_cause"' in form


def test_the_assign_form_lists_the_touchpoints_team_first_and_only_people_who_can_own(
        app, admin_client, org, make_staff, follow_up):
    make_staff(org, role="viewer", email="vera@org.example")
    make_staff(org, role="agent", email="gone@org.example", is_active=False)

    page = page_text(admin_client.get(f"/follow-ups/{follow_up}"))
    select_html = re.search(r'<select[^>]*name="owner_id"[^>]*>(.*?)</select>', page, re.S).group(1)

    groups = re.findall(r'<optgroup label="([^"]+)">', select_html)
    assert groups == ["Support team", "Everyone else"]
    team_group = select_html.split('<optgroup label="Everyone else">')[0]
    assert "Support 0" in team_group and "Support 1" in team_group and "Administrator" not in team_group
    assert "Administrator" in select_html
    assert "Viewer User" not in select_html and "gone@org.example" not in select_html and "Agent User" not in select_html


def test_every_post_form_on_the_page_carries_a_csrf_token(admin_client, follow_up):
    forms = post_forms(page_text(admin_client.get(f"/follow-ups/{follow_up}")))

    assert len(forms) == 5  # sign out, reply, note, transition, assign
    for form in forms:
        assert re.search(r'name="csrf_token"[^>]*value="[^"]+"', form), form


def test_the_page_has_no_inline_script_or_style_and_a_strict_policy(admin_client, follow_up):
    response = admin_client.get(f"/follow-ups/{follow_up}")
    page = page_text(response)

    assert "<script" not in page and "style=" not in page and "<style" not in page
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


# ---- The whole lifecycle, through the forms -----------------------------------------------

def test_the_whole_lifecycle_through_the_console(app, client, org, make_staff, follow_up):
    agent_id = signed_in_as(client, org, make_staff, "agent")

    # assign to oneself
    page = after_redirect(client, submit(client, follow_up, "assign", {"owner_id": agent_id}))
    assert flashes(page) == [f"Follow-up #{follow_up} is owned by Agent User."]
    assert state(app, org, follow_up)["owner_id"] == agent_id

    # start work, with a note
    page = after_redirect(client, submit(client, follow_up, "transition",
                                         {"status": "in_progress", "note": "Looking at the promotion rules."}))
    assert flashes(page) == [f"Follow-up #{follow_up} is now in progress."]

    # a note
    page = after_redirect(client, submit(client, follow_up, "notes", {"body": "Socks are not our brand."}))
    assert flashes(page) == ["Your note is in the activity log."]

    # reply to the customer: recorded, emailed (here: kept in the outbox), moved to responded
    page = after_redirect(client, submit(client, follow_up, "reply",
                                         {"message": "You said the free shipping failed; we refunded it."}))
    assert flashes(page) == ["Your reply to ann@example.com is recorded; its delivery is shown under Emails."]
    assert state(app, org, follow_up)["status"] == "responded"
    emails = page[page.index('id="emails-title"'):]
    assert re.search(r'<span class="badge email-outbox">In the outbox</span> <span class="strong">Reply to customer</span>',
                     emails)
    assert "to ann@example.com" in emails

    # resolve with a new root cause
    page = after_redirect(client, submit(client, follow_up, "transition",
                                         {"status": "resolved", "new_root_cause": "Promotion rules unclear"}))
    assert flashes(page) == [f"Follow-up #{follow_up} is now resolved (root cause: Promotion rules unclear)."]
    with app.app_context(), org.scope():
        assert list(db.session.scalars(select(RootCause.name))) == ["Promotion rules unclear"]

    # reopen
    page = after_redirect(client, submit(client, follow_up, "transition", {"status": "in_progress"}))
    assert flashes(page) == [f"Follow-up #{follow_up} is now in progress."]

    final = state(app, org, follow_up)
    # Open again, it has no verdict; the log keeps the one it had (and the list keeps the cause).
    assert final["status"] == "in_progress" and final["root_cause"] is None
    assert final["log"] == ["created", "assigned", "assigned", "note", "status_changed", "note", "reply",
                            "status_changed", "status_changed"]
    with app.app_context(), org.scope():
        actors = list(db.session.scalars(select(FollowUpActivity.actor).where(FollowUpActivity.follow_up_id == follow_up)
                                         .order_by(FollowUpActivity.id)))
        reply = db.session.scalar(select(OutboundEmail).where(OutboundEmail.kind == "reply"))
    assert actors[:2] == ["system", "system"] and set(actors[2:]) == {f"user:{agent_id}"}
    assert (reply.to_address, reply.status, reply.follow_up_id) == ("ann@example.com", "outbox", follow_up)

    # the log, in order, on the page
    log = page[page.index('id="activity-title"'):page.index('id="customer-timeline-title"')]
    heads = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", h)).strip()
             for h in re.findall(r'<p class="activity-head">(.*?)</p>', log, re.S)]
    assert heads[0] == "System opened the follow-up with high priority"
    assert heads[1].startswith("System assigned it to Support ")
    assert heads[2].startswith("Agent User assigned it to Agent User (was Support ")
    assert heads[3:] == [
        "Agent User added a note",
        "Agent User moved it from Assigned to In progress",
        "Agent User added a note",
        "Agent User replied to ann@example.com · In progress → Responded",
        "Agent User moved it from Responded to Resolved · root cause Promotion rules unclear",
        "Agent User moved it from Resolved to In progress",
    ]
    assert log.index("Looking at the promotion rules.") < log.index("Socks are not our brand.") < log.index(
        "You said the free shipping failed; we refunded it.")


def test_resolving_with_a_root_cause_from_the_list(app, admin_client, org, follow_up):
    with app.app_context(), org.scope():
        db.session.add(RootCause(name="Courier delay"))
        commit()
    answered(app, org, follow_up)

    page = after_redirect(admin_client, submit(admin_client, follow_up, "transition",
                                               {"status": "resolved", "root_cause": "Courier delay"}))

    assert "is now resolved (root cause: Courier delay)." in flashes(page)[0]
    assert state(app, org, follow_up)["root_cause"] == "Courier delay"


# ---- Refusals ------------------------------------------------------------------------------

def test_an_illegal_move_is_a_flash_message_and_changes_nothing(app, admin_client, org, follow_up):
    before = state(app, org, follow_up)

    response = submit(admin_client, follow_up, "transition", {"status": "responded"})  # assigned -> responded

    assert response.status_code == 302
    page = after_redirect(admin_client, response)
    assert flashes(page) == ["Nothing was changed. A follow-up that is assigned cannot move to responded; "
                             "allowed: in_progress, no_action."]
    assert '<p class="alert alert-error" role="status">' in page
    assert state(app, org, follow_up) == before


def test_a_move_made_stale_by_someone_else_is_a_flash_message(app, admin_client, org, follow_up):
    page = page_text(admin_client.get(f"/follow-ups/{follow_up}"))  # offers "Start work"
    token = csrf_token(form_action(page, f"/follow-ups/{follow_up}/transition"))
    with app.app_context(), org.scope():  # meanwhile, a colleague closes it
        from feedback_service.loop import workflow as follow_ups

        follow_ups.transition(follow_up, "no_action", "user:1", note="Duplicate of another.")
        commit()
    before = state(app, org, follow_up)

    response = admin_client.post(f"/follow-ups/{follow_up}/transition",
                                 data={"status": "resolved", "new_root_cause": "x", "csrf_token": token})

    assert flashes(after_redirect(admin_client, response)) == [
        "Nothing was changed. A follow-up that is no_action cannot move to resolved; allowed: in_progress."]
    assert state(app, org, follow_up) == before


def test_resolving_without_a_root_cause_shows_the_form_again_with_the_note_kept(app, admin_client, org, follow_up):
    answered(app, org, follow_up)
    before = state(app, org, follow_up)

    response = submit(admin_client, follow_up, "transition", {"status": "resolved", "note": "Refunded <b>all</b>."})

    assert response.status_code == 422
    page = page_text(response)
    assert "Nothing was changed: Resolving needs a root cause (from the organisation&#39;s list, or new text)." in page
    assert re.search(r'<p class="field-error" id="root_cause-error">Resolving needs a root cause', page)
    assert "Refunded &lt;b&gt;all&lt;/b&gt;.</textarea>" in page
    assert state(app, org, follow_up) == before


def test_no_action_needs_a_note(app, admin_client, org, follow_up):
    before = state(app, org, follow_up)

    refused = submit(admin_client, follow_up, "transition", {"status": "no_action"})

    assert refused.status_code == 422
    assert re.search(r'<p class="field-error" id="note-error">Say why no action is needed.</p>', page_text(refused))
    assert state(app, org, follow_up) == before
    done = submit(admin_client, follow_up, "transition", {"status": "no_action", "note": "Praise, passed on."})
    assert flashes(after_redirect(admin_client, done)) == [f"Follow-up #{follow_up} is now no action."]


@pytest.mark.parametrize("action, data, field", [
    ("notes", {"body": "   "}, "body"),
    ("reply", {"message": ""}, "message"),
    ("transition", {"status": "closed"}, None),
    ("assign", {"owner_id": "nobody"}, "owner_id"),
])
def test_an_incomplete_form_is_shown_again_and_changes_nothing(app, admin_client, org, follow_up, action, data, field):
    before = state(app, org, follow_up)

    response = submit(admin_client, follow_up, action, data)

    assert response.status_code == 422
    page = page_text(response)
    assert "Nothing was changed" in page
    if field:
        assert f'id="{field}-error"' in page
    assert state(app, org, follow_up) == before


def test_an_owner_who_cannot_own_follow_ups_is_refused_beside_the_field(
        app, admin_client, org, make_org, make_staff, follow_up):
    viewer = make_staff(org, role="viewer", email="vera@org.example")
    other = make_org("Someone else")
    foreign = user_id(app, other, other.admin_email)
    before = state(app, org, follow_up)

    for owner, message in ((viewer, "cannot own follow-ups"), (foreign, "No user with id")):
        response = submit(admin_client, follow_up, "assign", {"owner_id": owner})
        assert response.status_code == 422
        assert re.search(rf'<p class="field-error" id="owner_id-error">[^<]*{message}', page_text(response))
    assert state(app, org, follow_up) == before


def test_a_post_without_a_csrf_token_is_400_and_changes_nothing(app, admin_client, org, follow_up):
    before = state(app, org, follow_up)

    for action, data in (("transition", {"status": "in_progress"}), ("notes", {"body": "x"}),
                         ("reply", {"message": "x"}), ("assign", {"owner_id": "1"})):
        admin_client.get(f"/follow-ups/{follow_up}")
        assert admin_client.post(f"/follow-ups/{follow_up}/{action}", data=data).status_code == 400
        assert admin_client.post(f"/follow-ups/{follow_up}/{action}",
                                 data={**data, "csrf_token": "forged"}).status_code == 400
    assert state(app, org, follow_up) == before


# ---- A customer without an email ------------------------------------------------------------

def test_a_reply_to_a_customer_without_email_is_kept_as_a_note_and_said_so(app, admin_client, org, support,
                                                                           make_follow_up):
    follow_up = make_follow_up(org, support["touchpoint_id"], comment="Rude agent.", customer=NO_EMAIL)

    page = page_text(admin_client.get(f"/follow-ups/{follow_up}"))
    assert "This customer left no email address, so a reply cannot be sent." in page
    assert "What you write here will be kept as a note on the follow-up." in page
    assert ">Keep as a note</button>" in page

    page = after_redirect(admin_client, submit(admin_client, follow_up, "reply", {"message": "We are sorry."}))

    assert flashes(page) == ["This customer left no email address, so the reply cannot be sent. "
                             "It was kept as a note on the follow-up."]
    assert '<p class="alert alert-warning" role="status">' in page
    after = state(app, org, follow_up)
    assert after["status"] == "assigned" and after["log"][-1] == "note"
    assert "wrote a reply, kept as a note: the customer has no email address" in page
    assert '<div class="activity-text">We are sorry.</div>' in page
    with app.app_context(), org.scope():
        assert db.session.scalar(select(func.count()).select_from(OutboundEmail)
                                 .where(OutboundEmail.kind == "reply")) == 0


def test_an_anonymous_answer_has_no_timeline_and_cannot_be_replied_to(admin_client, org, support, make_follow_up):
    follow_up = make_follow_up(org, support["touchpoint_id"], comment="Anonymous moan.", customer=None)

    page = page_text(admin_client.get(f"/follow-ups/{follow_up}"))

    assert "Anonymous: nothing links this answer to a customer" in page
    assert "there is no history to show" in page
    assert "This customer left no email address" in page


# ---- Viewers, other organisations ---------------------------------------------------------------

def test_a_viewer_reads_everything_but_has_no_forms(client, org, make_staff, follow_up):
    signed_in_as(client, org, make_staff, "viewer")

    response = client.get(f"/follow-ups/{follow_up}")
    page = page_text(response)

    assert response.status_code == 200
    assert "The free shipping never applied." in page and 'id="activity-title"' in page
    assert len(post_forms(page)) == 1  # only signing out
    assert "Viewers cannot change follow-ups." in page


def test_a_viewer_gets_403_on_every_post(app, client, org, make_staff, follow_up):
    signed_in_as(client, org, make_staff, "viewer")
    token = csrf_token(page_text(client.get(f"/follow-ups/{follow_up}")))  # the sign-out form's: a valid one
    before = state(app, org, follow_up)

    for action, data in (("transition", {"status": "in_progress"}), ("notes", {"body": "x"}),
                         ("reply", {"message": "x"}), ("assign", {"owner_id": "1"})):
        response = client.post(f"/follow-ups/{follow_up}/{action}", data={**data, "csrf_token": token})
        assert response.status_code == 403, action
        assert "This needs the agent role" in page_text(response)
    assert state(app, org, follow_up) == before


def test_another_organisations_follow_up_is_404_for_reading_and_writing(
        app, admin_client, org, make_org, make_touchpoint, make_follow_up):
    other = make_org("Someone else")
    their_tp, _ = make_touchpoint(other, name="Their checkout")
    theirs = make_follow_up(other, their_tp, comment="Their secret", customer=ANN)
    token = csrf_token(page_text(admin_client.get("/inbox")))
    before = state(app, other, theirs)

    response = admin_client.get(f"/follow-ups/{theirs}")
    assert response.status_code == 404 and "Their secret" not in page_text(response)
    assert f"No follow-up with id {theirs}." in page_text(response)
    for action, data in (("transition", {"status": "in_progress"}), ("notes", {"body": "x"}),
                         ("reply", {"message": "x"}), ("assign", {"owner_id": "1"})):
        assert admin_client.post(f"/follow-ups/{theirs}/{action}",
                                 data={**data, "csrf_token": token}).status_code == 404, action
    assert state(app, other, theirs) == before
    assert admin_client.get("/follow-ups/99999999999").status_code == 404


# ---- Escaping --------------------------------------------------------------------------------

def test_customer_text_and_staff_text_are_escaped(app, admin_client, org, support, make_follow_up):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    follow_up = make_follow_up(org, support["touchpoint_id"], comment=evil,
                               customer={"external_id": "<b>cust</b>", "email": "ann@example.com"})
    with app.app_context(), org.scope():
        db.session.get(FollowUp, follow_up).response.context = {"page": evil}
        commit()
    submit(admin_client, follow_up, "notes", {"body": evil})
    submit(admin_client, follow_up, "reply", {"message": evil})
    submit(admin_client, follow_up, "transition", {"status": "resolved", "new_root_cause": evil})

    for path in (f"/follow-ups/{follow_up}", "/inbox?status=all", "/outbox", "/metrics"):
        page = page_text(admin_client.get(path))
        assert "<script" not in page and "<img" not in page and "<b>cust" not in page, path
    page = page_text(admin_client.get(f"/follow-ups/{follow_up}"))
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


# ---- Who did what ----------------------------------------------------------------------------------

def test_the_log_names_people_api_keys_and_the_system(app, client, admin_client, org, follow_up):
    client.post(f"/api/v1/follow-ups/{follow_up}/notes", json={"body": "From the CRM."}, headers=org.headers)
    submit(admin_client, follow_up, "notes", {"body": "From the console."})

    page = page_text(admin_client.get(f"/follow-ups/{follow_up}"))
    actors = re.findall(r'<span class="activity-actor">([^<]+)</span>', page)

    assert actors[:2] == ["System", "System"]
    assert actors[2:] == ["API key", "Administrator"]


# ---- Emails and the outbox -------------------------------------------------------------------------

def test_the_page_lists_the_follow_ups_emails_with_their_status(app, admin_client, org, follow_up):
    with app.app_context(), org.scope():
        email = db.session.scalar(select(OutboundEmail).where(OutboundEmail.follow_up_id == follow_up))
        email.status, email.attempts, email.last_error = "failed", 4, "SMTPConnectError: (421, 'busy')"
        commit()

    page = page_text(admin_client.get(f"/follow-ups/{follow_up}"))
    emails = page[page.index('id="emails-title"'):]

    assert '<span class="badge email-failed">Failed</span> <span class="strong">Assignment</span>' in emails
    assert "4 attempts" in emails and "SMTPConnectError: (421, &#39;busy&#39;)" in emails


def test_the_outbox_lists_emails_newest_first_with_their_state(app, admin_client, org, support, make_follow_up):
    first = make_follow_up(org, support["touchpoint_id"], comment="one", customer=ANN)
    make_follow_up(org, support["touchpoint_id"], comment="two", customer=ANN)
    submit(admin_client, first, "reply", {"message": "Thanks, Ann."})
    with app.app_context(), org.scope():
        assignment = db.session.scalar(select(OutboundEmail).where(OutboundEmail.follow_up_id == first,
                                                                   OutboundEmail.kind == "assignment"))
        assignment.status, assignment.attempts, assignment.last_error = "failed", 5, "ConnectionRefusedError"
        commit()

    response = admin_client.get("/outbox")
    page = page_text(response)

    assert response.status_code == 200
    rows = re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1], re.S)
    assert len(rows) == 3
    assert "Reply to customer" in rows[0] and "ann@example.com" in rows[0]
    assert "About your feedback on Contact support" in rows[0]
    assert '<span class="badge email-outbox">In the outbox</span>' in rows[0]
    assert f'href="/follow-ups/{first}">Follow-up #{first}</a>' in rows[0]
    assert '<span class="badge email-failed">Failed</span>' in rows[2]
    assert '<td class="num" data-label="Attempts">5</td>' in rows[2]
    assert "ConnectionRefusedError" in rows[2]
    assert "no mail server is configured" in page


def test_the_outbox_filters_by_status(app, admin_client, org, support, make_follow_up):
    make_follow_up(org, support["touchpoint_id"], comment="one")
    with app.app_context(), org.scope():
        db.session.scalar(select(OutboundEmail)).status = "sent"
        commit()
    make_follow_up(org, support["touchpoint_id"], comment="two")

    sent = page_text(admin_client.get("/outbox?status=sent"))
    waiting = page_text(admin_client.get("/outbox?status=outbox"))

    assert sent.count('<span class="badge email-sent">Sent</span>') == 1
    assert "email-outbox" not in sent.split("<tbody>")[1]
    assert waiting.count('<span class="badge email-outbox">In the outbox</span>') == 1
    assert admin_client.get("/outbox?status=whatever").status_code == 200


def test_the_outbox_is_for_admins_and_linked_from_settings(app, admin_client, org, make_staff):
    assert 'href="/outbox">Outbox</a>' in page_text(admin_client.get("/settings"))

    client = app.test_client()
    signed_in_as(client, org, make_staff, "agent")
    assert client.get("/outbox").status_code == 403
    assert 'href="/outbox"' not in page_text(client.get("/settings"))


def test_the_outbox_shows_only_the_organisations_email(admin_client, make_org, make_touchpoint, make_follow_up):
    other = make_org("Someone else")
    their_tp, _ = make_touchpoint(other, name="Their checkout")  # no team: the admins are told
    make_follow_up(other, their_tp, comment="theirs")

    page = page_text(admin_client.get("/outbox"))

    assert "0 emails" in page and "Their checkout" not in page

