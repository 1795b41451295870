"""The survey's own triggers, in headless Chromium: on load after its delay, and on exit intent.

See conftest.py for the live server and the host pages.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from .support import DISPLAY_POST, SURVEY_GET, score_button, stored_displays

pytestmark = pytest.mark.browser


def test_the_load_trigger_opens_the_survey_after_its_delay(app, page, browser_log, host_pages, widget_touchpoint):
    tp_id, pk = widget_touchpoint("csat", trigger={"mode": "load", "delay_seconds": 2})
    with page.expect_response(SURVEY_GET):
        page.goto(host_pages.url(pk=pk))
    asked = time.monotonic()
    assert page.locator("feedback-widget").count() == 0  # not yet

    with page.expect_response(DISPLAY_POST, timeout=10_000):
        expect(page.get_by_role("dialog")).to_be_visible(timeout=10_000)
    waited = time.monotonic() - asked
    assert 1.5 <= waited < 6, waited  # 2 s after the survey came, less the time Playwright took to tell us
    expect(score_button(page, 1)).to_be_focused()  # nothing on the page had focus: it moves in
    assert [d["touchpoint_id"] for d in stored_displays(app)] == [tp_id]
    browser_log.assert_no_page_errors()


def test_the_exit_intent_trigger_opens_the_survey_when_the_pointer_leaves_through_the_top(
        app, page, browser_log, host_pages, widget_touchpoint):
    tp_id, pk = widget_touchpoint("nps", trigger={"mode": "exit_intent", "delay_seconds": 0})
    with page.expect_response(SURVEY_GET):
        page.goto(host_pages.url(pk=pk))
    page.wait_for_load_state("networkidle")

    # Moving about the page, over and off its elements, out through the bottom and the sides: no.
    page.mouse.move(640, 400)
    page.get_by_role("button", name="Place order").hover()
    page.get_by_role("textbox", name="Search the shop").hover()
    page.mouse.move(640, 400, steps=4)
    page.mouse.move(640, 805)
    page.mouse.move(-5, 400)
    page.mouse.move(1285, 400)
    page.mouse.move(640, 400)
    expect(page.locator("feedback-widget")).to_have_count(0)
    assert stored_displays(app) == []

    page.mouse.move(640, 20, steps=4)
    with page.expect_response(DISPLAY_POST):
        page.mouse.move(640, -5)  # towards the tabs and the address bar
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(score_button(page, 0)).to_be_focused()

    # Once per page: closing it and leaving again does not bring it back.
    page.keyboard.press("Escape")
    expect(page.locator("feedback-widget")).to_have_count(0)
    page.mouse.move(640, 400)
    page.mouse.move(640, -5)
    expect(page.locator("feedback-widget")).to_have_count(0)
    assert [d["touchpoint_id"] for d in stored_displays(app)] == [tp_id]
    browser_log.assert_no_page_errors()
