"""A customer answers the widget in headless Chromium; the real app on a live server stores it.

The host pages are on another loopback origin than the API (see conftest.py), and every
assertion about an answer reads the rows the live server wrote.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from feedback_service.core.database import commit
from feedback_service.core.tenancy import tenant_scope
from feedback_service.demo.seed import ensure_demo
from feedback_service.extensions import db
from feedback_service.journeys.touchpoints import update_touchpoint
from feedback_service.models import Touchpoint

from .support import (
    COMMENT_PATCH,
    COMMENT_PROMPT,
    DISPLAY_POST,
    LOW_SCORE_PROMPT,
    QUEUED,
    REFUSED,
    SAVED,
    SCORE_POST,
    SURVEY_GET,
    THANKS,
    live_region,
    queue,
    record_requests,
    score_button,
    stored_displays,
    stored_responses,
    wait_until_queue_empty,
)

pytestmark = pytest.mark.browser

NPS_QUESTION = "How likely are you to recommend us to a friend or colleague?"


# ---- keyboard only ------------------------------------------------------------------------

def test_a_customer_answers_by_keyboard_and_the_answer_is_stored(app, page, browser_log, host_pages,
                                                                 widget_touchpoint):
    tp_id, pk = widget_touchpoint("nps")
    with page.expect_response(DISPLAY_POST) as display:
        page.goto(host_pages.url(pk=pk, cid="ext-42", email="ada@shop.example"))
    assert display.value.status == 202

    expect(page.get_by_role("dialog", name=NPS_QUESTION)).to_be_visible()
    expect(score_button(page, 0)).to_be_focused()  # focus moved into the survey
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    expect(score_button(page, 9)).to_be_focused()
    with page.expect_response(SCORE_POST) as posted:
        page.keyboard.press("Enter")
    assert posted.value.status == 201

    comment = page.get_by_role("textbox", name=COMMENT_PROMPT)
    expect(comment).to_be_focused()
    page.keyboard.type("  Great shoes, quick checkout!  ")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="No comment", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_focused()
    with page.expect_response(COMMENT_PATCH) as patched:
        page.keyboard.press("Enter")
        # Thanks comes at once and the widget closes 4 s later: seen while the PATCH is on its way.
        expect(page.get_by_text(THANKS)).to_be_visible()
    assert patched.value.status == 200

    [row] = stored_responses(app)
    assert row["touchpoint_id"] == tp_id
    assert row["score"] == 9
    assert row["comment"] == "Great shoes, quick checkout!"
    assert row["customer"] == {"external_id": "ext-42", "email": "ada@shop.example"}
    assert row["source"] == "widget"
    assert row["idempotency_key"]
    # In-process mode: the comment was scored right after the PATCH committed.
    assert row["sentiment_status"] == "scored"
    assert row["sentiment_label"] == "positive" and row["sentiment_compound"] > 0
    assert stored_displays(app) == [{"touchpoint_id": tp_id, "source": "widget", "customer": "ext-42"}]
    wait_until_queue_empty(page)
    browser_log.assert_no_page_errors()


# ---- manual trigger, FeedbackWidget.show() ---------------------------------------------------------

def test_the_host_page_shows_the_survey_with_context(app, page, browser_log, host_pages, widget_touchpoint):
    tp_id, pk = widget_touchpoint("ces")
    sent = record_requests(page)
    page.goto(host_pages.url(pk=pk, trigger="manual"))
    page.wait_for_load_state("networkidle")  # the widget has loaded and done all it does by itself
    assert page.evaluate("typeof FeedbackWidget.show") == "function"
    expect(page.locator("feedback-widget")).to_have_count(0)
    assert [r for r in sent if SURVEY_GET(r)] == []  # manual: nothing asked until the page says so

    page.get_by_role("button", name="Place order").click()  # the host's button calls FeedbackWidget.show()
    expect(page.get_by_role("dialog", name="The company made it easy for me to handle my issue.")).to_be_visible()
    page.wait_for_function("window.hostShowResult === true")
    with page.expect_response(SCORE_POST) as posted:
        score_button(page, 6).click()
    assert posted.value.status == 201
    page.get_by_role("button", name="No comment", exact=True).click()
    expect(page.get_by_text(THANKS)).to_be_visible()

    [row] = stored_responses(app)
    assert row["touchpoint_id"] == tp_id and row["score"] == 6 and row["comment"] is None
    assert row["context"] == {"order_id": "A-1001"}
    assert [d["touchpoint_id"] for d in stored_displays(app)] == [tp_id]
    browser_log.assert_no_page_errors()


# ---- what the customer is told became of the score ------------------------------------------------

@pytest.mark.parametrize("outcome", ["stored", "refused", "server error", "offline"])
def test_the_live_region_says_saved_only_once_the_score_was_stored(app, org, page, browser_log, host_pages,
                                                                   widget_touchpoint, outcome):
    tp_id, pk = widget_touchpoint("nps")
    if outcome in ("server error", "offline"):
        def down(route):
            if outcome == "offline":
                return route.abort("internetdisconnected")
            route.fulfill(status=503, json={"code": 503, "status": "Service Unavailable", "message": "down"},
                          headers={"Access-Control-Allow-Origin": host_pages.origin})
        page.route(lambda url: "/responses" in url, down)
    page.goto(host_pages.url(pk=pk))
    expect(page.get_by_role("dialog")).to_be_visible()
    if outcome == "refused":
        # The owner made it a CSAT survey (1-5) while the customer was reading: 8 is refused, a 422.
        with app.app_context(), org.scope():
            update_touchpoint(tp_id, {"survey": {"metric": "csat"}})
            commit()
    answers = []
    page.on("response", lambda response: SCORE_POST(response) and answers.append(response.status))
    score_button(page, 8).click()

    expect(live_region(page)).to_have_text({"stored": SAVED, "refused": REFUSED}.get(outcome, QUEUED))
    assert answers == {"stored": [201], "refused": [422], "server error": [503], "offline": []}[outcome]
    comment = page.get_by_role("textbox", name=COMMENT_PROMPT)
    if outcome == "refused":
        # Nothing to add a comment to: the card says so and offers only its close button.
        expect(comment).to_be_hidden()
        expect(page.get_by_role("button", name="Close")).to_be_focused()
        wait_until_queue_empty(page)  # never retried: it can never succeed
        assert stored_responses(app) == []
    else:
        expect(comment).to_be_focused()
        if outcome == "stored":
            [row] = stored_responses(app)
            assert (row["touchpoint_id"], row["score"]) == (tp_id, 8)
            wait_until_queue_empty(page)
        else:
            [entry] = queue(page)  # kept, to be sent on the next load
            assert entry["body"]["score"] == 8
            assert stored_responses(app) == []
    browser_log.assert_no_page_errors()


# ---- in the survey's language -------------------------------------------------------------------------

ITALIAN = {"question": "Com'è andata la consegna?", "comment_prompt": "Che cosa possiamo migliorare?",
           "texts": {"send": "Invia", "close": "Chiudi", "skip": "Nessun commento",
                     "sent_score": "Grazie! Il tuo voto è stato salvato."}}


def test_a_german_browser_shown_the_italian_translation_gets_its_button_words(app, page_for, browser_log,
                                                                             host_pages, widget_touchpoint):
    tp_id, pk = widget_touchpoint("csat", survey={"translations": {"it": ITALIAN}})
    # German first, Italian second; the survey has no German, so Italian it is.
    page = page_for(locale="de-DE", extra_http_headers={"Accept-Language": "de-DE,de;q=0.9,it;q=0.8"})
    page.goto(host_pages.url(pk=pk))

    dialog = page.get_by_role("dialog", name=ITALIAN["question"])
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("lang", "it")
    expect(page.get_by_role("button", name="Chiudi", exact=True)).to_be_visible()
    with page.expect_response(SCORE_POST):
        score_button(page, 4).click()
    expect(live_region(page)).to_have_text("Grazie! Il tuo voto è stato salvato.")
    page.get_by_role("textbox", name=ITALIAN["comment_prompt"]).fill("Niente da dire")
    expect(page.get_by_role("button", name="Nessun commento", exact=True)).to_be_visible()
    with page.expect_response(COMMENT_PATCH) as patched:
        page.get_by_role("button", name="Invia", exact=True).click()
        # A word the translation does not give is English, never the browser's German.
        expect(live_region(page)).to_have_text(THANKS)  # before the widget closes, 4 s on
    assert patched.value.status == 200

    [row] = stored_responses(app)
    assert (row["touchpoint_id"], row["score"], row["comment"]) == (tp_id, 4, "Niente da dire")
    browser_log.assert_no_page_errors()


# ---- fatigue ------------------------------------------------------------------------------------

def test_a_customer_who_just_answered_is_not_asked_again(app, page, browser_log, host_pages, widget_touchpoint):
    tp_id, pk = widget_touchpoint("csat")
    url = host_pages.url(pk=pk, cid="ext-77")
    page.goto(url)
    with page.expect_response(SCORE_POST):
        score_button(page, 5).click()
    page.get_by_role("button", name="No comment", exact=True).click()
    expect(page.get_by_text(THANKS)).to_be_visible()
    assert len(stored_responses(app)) == 1 and len(stored_displays(app)) == 1

    with page.expect_response(SURVEY_GET) as survey:
        page.goto(url)
    assert survey.value.json()["suppressed"] is True
    page.wait_for_load_state("networkidle")  # the load trigger has no delay: it would be up by now
    expect(page.locator("feedback-widget")).to_have_count(0)
    assert page.evaluate("FeedbackWidget.show()") is False  # nor when the host asks
    expect(page.locator("feedback-widget")).to_have_count(0)
    assert len(stored_displays(app)) == 1 and len(stored_responses(app)) == 1
    browser_log.assert_no_page_errors()


def test_an_anonymous_visitor_who_just_answered_is_not_asked_again(app, page, browser_log, host_pages,
                                                                  widget_touchpoint):
    tp_id, pk = widget_touchpoint("csat")
    url = host_pages.url(pk=pk)
    page.goto(url)
    with page.expect_response(SCORE_POST):
        score_button(page, 5).click()
    page.get_by_role("button", name="No comment", exact=True).click()
    expect(page.get_by_text(THANKS)).to_be_visible()

    page.goto(url)
    page.wait_for_load_state("networkidle")
    browser_log.assert_no_page_errors()
    assert page.locator("feedback-widget").count() == 0, "asked again on the very next page load"
    assert len(stored_displays(app)) == 1


# ---- the demo shop --------------------------------------------------------------------------------

def test_the_demo_cart_collects_an_answer(app, page, browser_log, live_server):
    with app.app_context():
        demo = ensure_demo()
        commit()
        with tenant_scope(demo.organization.id):
            cart_id = db.session.scalar(select(Touchpoint.id).where(Touchpoint.name == "Cart & checkout"))
        db.session.remove()
    seeded = {r["id"] for r in stored_responses(app)}

    page.goto(live_server.url("/demo/cart"))
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("status")).to_have_text("Thank you! Order A-1001 is confirmed.")
    expect(page.get_by_role("dialog")).to_be_visible()
    score_button(page, 3).click()
    comment = page.get_by_role("textbox", name=LOW_SCORE_PROMPT)
    expect(comment).to_be_focused()
    comment.fill("Free shipping was not applied.")
    with page.expect_response(COMMENT_PATCH) as patched:
        page.get_by_role("button", name="Send", exact=True).click()
    assert patched.value.status == 200

    [row] = [r for r in stored_responses(app) if r["id"] not in seeded]
    assert row["touchpoint_id"] == cart_id
    assert (row["score"], row["comment"], row["source"]) == (3, "Free shipping was not applied.", "widget")
    assert row["context"] == {"step": "order", "order_id": "A-1001"}
    browser_log.assert_no_page_errors()
