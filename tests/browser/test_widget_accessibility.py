"""The widget for keyboard, screen-reader and phone users, in headless Chromium: where focus goes
and comes back, what the live region says, motion, and the size of its targets on a small screen.

See conftest.py for the live server and the host pages.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .support import (
    OPENED,
    SCORE_POST,
    live_region,
    record_requests,
    score_button,
    stored_displays,
    stored_responses,
)

pytestmark = pytest.mark.browser


# ---- focus ---------------------------------------------------------------------------------------

def test_a_survey_opening_by_itself_leaves_focus_with_a_customer_typing_on_the_page(
        app, page, browser_log, host_pages, widget_touchpoint):
    tp_id, pk = widget_touchpoint("nps", trigger={"mode": "load", "delay_seconds": 2})
    sent = record_requests(page)
    page.goto(host_pages.url(pk=pk))
    search = page.get_by_role("textbox", name="Search the shop")
    search.focus()
    expect(page.locator("feedback-widget")).to_have_count(0)  # it opens while the customer types
    page.keyboard.type("running", delay=40)
    expect(page.get_by_role("dialog")).to_be_visible()
    # The keys go wherever focus is: a space or Enter on a score button would choose that score.
    page.keyboard.type(" shoes 42 ", delay=40)
    page.keyboard.press("Enter")

    expect(search).to_be_focused()
    expect(search).to_have_value("running shoes 42 ")
    # Announced politely instead, off screen: a screen-reader user hears that it is there.
    expect(live_region(page)).to_have_text(OPENED)
    assert live_region(page).bounding_box()["width"] <= 1
    expect(page.get_by_role("button", name="Place order")).to_be_visible()
    assert [r for r in sent if SCORE_POST(r)] == []
    assert stored_responses(app) == []
    assert len(stored_displays(app)) == 1

    # Keyboard users reach it next in the Tab order, after the page's own controls.
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Place order")).to_be_focused()
    page.keyboard.press("Tab")
    expect(score_button(page, 0)).to_be_focused()
    browser_log.assert_no_page_errors()


def test_escape_closes_the_survey_and_focus_returns_to_where_it_was(app, page, browser_log, host_pages,
                                                                    widget_touchpoint):
    tp_id, pk = widget_touchpoint("csat")
    page.goto(host_pages.url(pk=pk, trigger="manual"))
    order = page.get_by_role("button", name="Place order")
    order.focus()
    page.keyboard.press("Enter")  # the host's button calls FeedbackWidget.show()
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(score_button(page, 1)).to_be_focused()  # asked for by the host: focus moves in
    page.keyboard.press("ArrowRight")
    expect(score_button(page, 2)).to_be_focused()

    page.keyboard.press("Escape")
    expect(page.locator("feedback-widget")).to_have_count(0)
    expect(order).to_be_focused()
    assert page.evaluate("window.hostShowResult") is True
    assert stored_responses(app) == []
    browser_log.assert_no_page_errors()


# ---- motion --------------------------------------------------------------------------------------

MOTION_JS = """() => {
  const root = document.querySelector('feedback-widget').shadowRoot;
  const all = [...root.querySelectorAll('*')].map(el => getComputedStyle(el));
  return {animations: [...new Set(all.map(s => s.animationName))].sort(),
          transitions: [...new Set(all.map(s => s.transitionDuration))].sort()};
}"""


def test_no_animation_or_transition_under_prefers_reduced_motion(page, browser_log, host_pages,
                                                                 widget_touchpoint):
    tp_id, pk = widget_touchpoint("csat")
    page.emulate_media(reduced_motion="reduce")
    page.goto(host_pages.url(pk=pk))
    expect(page.get_by_role("dialog")).to_be_visible()
    assert page.evaluate(MOTION_JS) == {"animations": ["none"], "transitions": ["0s"]}

    # The same card without the preference does move, so the check above is not empty.
    page.emulate_media(reduced_motion="no-preference")
    moving = page.evaluate(MOTION_JS)
    assert "fbw" in moving["animations"] and any(d != "0s" for d in moving["transitions"]), moving
    browser_log.assert_no_page_errors()


# ---- on a phone ------------------------------------------------------------------------------------

SCALE_BOXES_JS = """() => {
  const root = document.querySelector('feedback-widget').shadowRoot;
  return {buttons: [...root.querySelectorAll('[role=group] button')].map(b => {
            const r = b.getBoundingClientRect();
            return {name: b.textContent, x: r.x, y: r.y, width: r.width, height: r.height};
          }),
          viewport: innerWidth, scrollWidth: document.documentElement.scrollWidth};
}"""


@pytest.mark.parametrize("width", [320, 360])
def test_every_nps_score_is_a_target_of_at_least_24px_on_a_narrow_phone(page, browser_log, host_pages,
                                                                        widget_touchpoint, width):
    tp_id, pk = widget_touchpoint("nps")
    page.set_viewport_size({"width": width, "height": 640})
    page.goto(host_pages.url(pk=pk))
    expect(page.get_by_role("dialog")).to_be_visible()

    layout = page.evaluate(SCALE_BOXES_JS)
    assert [b["name"] for b in layout["buttons"]] == [str(n) for n in range(11)]
    for box in layout["buttons"]:  # WCAG 2.5.8: at least 24 x 24 CSS px
        assert box["width"] >= 24 and box["height"] >= 24, box
        assert box["x"] >= 0 and box["x"] + box["width"] <= layout["viewport"], box  # all on screen
    assert layout["scrollWidth"] <= layout["viewport"]  # no horizontal scrolling
    for n in (0, 10):
        expect(score_button(page, n)).to_be_in_viewport(ratio=1)
    browser_log.assert_no_page_errors()
