"""The widget as a guest on pages it does not control: hostile CSS, a strict CSP, an origin
it is not allowed on, an API that is down, an edit token that expired, a context it cannot send.

Headless Chromium against the real app on a live server; see conftest.py.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlparse

import pytest
from itsdangerous import TimestampSigner
from playwright.sync_api import expect

from feedback_service.collection import tokens as links

from .support import (
    COMMENT_PATCH,
    COMMENT_PROMPT,
    DISPLAY_POST,
    QUEUE_KEY,
    SCORE_POST,
    SURVEY_GET,
    THANKS,
    queue,
    record_requests,
    score_button,
    stored_displays,
    stored_responses,
    wait_until_queue_empty,
)

pytestmark = pytest.mark.browser


# ---- hostile CSS and a strict CSP -----------------------------------------------------------

HOST_STYLES_JS = """
window.__hostStyles = () => {
  const out = {};
  for (const sel of ['html', 'body', 'h1', '#intro', '#order', '#host-input']) {
    const s = getComputedStyle(document.querySelector(sel));
    out[sel] = ['display', 'fontSize', 'fontFamily', 'color', 'backgroundColor', 'lineHeight',
                'letterSpacing', 'position'].map(p => s[p]).join(' | ');
  }
  return out;
};
document.addEventListener('DOMContentLoaded', () => {
  window.__hostBefore = {widget: !!document.querySelector('feedback-widget'), styles: window.__hostStyles()};
});
"""

WIDGET_STYLES_JS = """() => {
  const root = document.querySelector('feedback-widget').shadowRoot;
  const css = el => getComputedStyle(el);
  const button = root.querySelector('[role=group] button');
  return {mode: root.mode, question: css(root.querySelector('.q')).fontSize,
          button: [css(button).display, css(button).fontSize, button.getBoundingClientRect().height],
          documentSheets: document.styleSheets.length, documentAdopted: document.adoptedStyleSheets.length};
}"""


def test_hostile_css_and_a_strict_csp_do_not_break_it(app, page, browser_log, host_pages, widget_touchpoint):
    tp_id, pk = widget_touchpoint("csat")
    page.add_init_script(HOST_STYLES_JS)
    loaded = page.goto(host_pages.url("hostile", pk=pk))
    csp = loaded.headers["content-security-policy"]
    assert f"script-src 'self' {host_pages.api};" in csp and f"style-src 'nonce-{host_pages.nonce}'" in csp

    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert 360 <= box["width"] <= 400 and 120 <= box["height"] <= 300, box  # a normal card, not 40px type
    assert box["x"] + box["width"] <= 1280 and box["y"] + box["height"] <= 800, box  # bottom right, on screen
    styles = page.evaluate(WIDGET_STYLES_JS)
    assert styles["mode"] == "open"
    assert styles["question"] == "16px"
    assert styles["button"][0] != "none" and styles["button"][1] == "15px" and 36 <= styles["button"][2] <= 48
    assert styles["documentSheets"] == 1 and styles["documentAdopted"] == 0  # its CSS stays in its shadow

    score_button(page, 4).click()
    comment = page.get_by_role("textbox", name=COMMENT_PROMPT)
    expect(comment).to_be_focused()
    comment.fill("Works despite the page's CSS")
    with page.expect_response(COMMENT_PATCH) as patched:
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.get_by_text(THANKS)).to_be_visible()  # before the widget closes, 4 s on
    assert patched.value.status == 200

    before = page.evaluate("window.__hostBefore")
    assert before["widget"] is False  # taken before the widget rendered
    assert page.evaluate("window.__hostStyles()") == before["styles"]  # the page's own styles unchanged
    assert before["styles"]["h1"].startswith("block | 40px") and before["styles"]["#order"].startswith("none")
    assert page.evaluate("window.__violations") == []
    assert browser_log.csp_messages() == []
    [row] = stored_responses(app)
    assert (row["touchpoint_id"], row["score"], row["comment"]) == (tp_id, 4, "Works despite the page's CSS")
    browser_log.assert_no_page_errors()


# ---- one global, nothing else ------------------------------------------------------------------

# Taken before any script of the page runs (a property of document, so it adds no global itself).
WINDOW_BEFORE_JS = """Object.defineProperty(document, '__windowBefore',
                                          {value: Object.getOwnPropertyNames(window)});"""
WINDOW_ADDED_JS = """() => {
  const before = new Set(document.__windowBefore);
  return Object.getOwnPropertyNames(window).filter(k => !before.has(k) && k !== '__violations');
}"""


def test_it_adds_only_feedback_widget_to_window(page, browser_log, host_pages, widget_touchpoint):
    tp_id, pk = widget_touchpoint("csat")
    page.add_init_script(WINDOW_BEFORE_JS)
    page.goto(host_pages.url(pk=pk))
    # Every path it has run by the end: the flush, the survey, rendering, the score, the comment, close.
    with page.expect_response(SCORE_POST):
        score_button(page, 4).click()
    page.get_by_role("textbox", name=COMMENT_PROMPT).fill("Nothing global")
    with page.expect_response(COMMENT_PATCH):
        page.get_by_role("button", name="Send", exact=True).click()
    page.keyboard.press("Escape")
    expect(page.locator("feedback-widget")).to_have_count(0)

    assert page.evaluate(WINDOW_ADDED_JS) == ["FeedbackWidget"]
    assert page.evaluate("Object.keys(FeedbackWidget).sort()") == ["hide", "show"]
    assert page.evaluate("Object.isFrozen(FeedbackWidget)") is True
    assert page.evaluate("customElements.get('feedback-widget')") is None  # no custom element registered
    browser_log.assert_no_page_errors()


# ---- the <style nonce> fallback ------------------------------------------------------------------

# As in browsers without constructable stylesheets (Safari < 16.4).
NO_ADOPTED_SHEETS_JS = """delete Document.prototype.adoptedStyleSheets;
delete ShadowRoot.prototype.adoptedStyleSheets;"""
STYLE_FALLBACK_JS = """() => {
  const root = document.querySelector('feedback-widget').shadowRoot;
  const styles = root.querySelectorAll('style');
  return {adopted: 'adoptedStyleSheets' in root, styles: styles.length,
          nonce: styles.length ? styles[0].nonce : null,
          question: getComputedStyle(root.querySelector('.q')).fontSize,
          card: getComputedStyle(root.querySelector('[role=dialog]')).position};
}"""


@pytest.mark.parametrize("given", ["data-style-nonce", "the script's nonce"])
def test_without_adopted_stylesheets_its_style_element_carries_the_nonce_a_strict_csp_asks_for(
        page, browser_log, host_pages, widget_touchpoint, given):
    tp_id, pk = widget_touchpoint("csat")
    page.add_init_script(NO_ADOPTED_SHEETS_JS)
    nonce = {"style_nonce": host_pages.nonce} if given == "data-style-nonce" else {"script_nonce": host_pages.nonce}
    loaded = page.goto(host_pages.url("hostile", pk=pk, **nonce))
    assert f"style-src 'nonce-{host_pages.nonce}'" in loaded.headers["content-security-policy"]

    expect(page.get_by_role("dialog")).to_be_visible()
    assert page.evaluate(STYLE_FALLBACK_JS) == {"adopted": False, "styles": 1, "nonce": host_pages.nonce,
                                                "question": "16px", "card": "fixed"}
    box = page.get_by_role("dialog").bounding_box()
    assert 360 <= box["width"] <= 400 and box["x"] + box["width"] <= 1280, box  # the card, bottom right
    assert page.evaluate("window.__violations") == []
    assert browser_log.csp_messages() == []
    browser_log.assert_no_page_errors()


def test_without_adopted_stylesheets_or_a_nonce_the_csp_blocks_its_styles(page, browser_log, host_pages,
                                                                          widget_touchpoint):
    # The control for the test above: that page's policy really refuses a <style> without the nonce.
    tp_id, pk = widget_touchpoint("csat")
    page.add_init_script(NO_ADOPTED_SHEETS_JS)
    page.goto(host_pages.url("hostile", pk=pk))
    page.wait_for_selector("feedback-widget", state="attached")  # (wait_for_function would need eval)
    styles = page.evaluate(STYLE_FALLBACK_JS)
    assert styles["styles"] == 1 and styles["nonce"] == "" and styles["card"] != "fixed", styles
    for _ in range(50):  # the violation is reported by a task of its own
        if page.evaluate("window.__violations").count(f"style-src-elem inline {host_pages.api}/widget.js"):
            break
        page.wait_for_timeout(100)
    else:
        pytest.fail(f"no style-src violation: {page.evaluate('window.__violations')}")
    browser_log.assert_no_page_errors()


# ---- an origin the touchpoint does not list -----------------------------------------------------

def test_a_page_on_an_origin_not_allowed_cannot_submit(app, page, browser_log, host_pages, live_server,
                                                       widget_touchpoint):
    tp_id, pk = widget_touchpoint("nps")
    assert host_pages.foreign_origin != host_pages.origin
    # An answer left pending on that origin (say the owner removed it from allowed_origins since):
    # the widget tries to send it on load, as it would any answer.
    key = str(uuid.uuid4())
    entry = {"base": live_server.origin, "pk": pk, "key": key, "body": {"score": 7}}
    page.add_init_script(f"""if (location.origin === {host_pages.foreign_origin!r}) localStorage.setItem(
        {QUEUE_KEY!r}, JSON.stringify([Object.assign({json.dumps(entry)}, {{at: Date.now()}})]));""")
    failed = []
    page.on("requestfailed", lambda request: failed.append(request))

    page.goto(host_pages.url(pk=pk, foreign=True))
    # show() first waits for the pending answer to be tried, then asks for the survey itself.
    assert page.evaluate("FeedbackWidget.show()") is False
    expect(page.locator("feedback-widget")).to_have_count(0)

    # Both the pending answer's POST and the survey were refused by the browser: no CORS grant.
    refused_in_browser = {(r.method, urlparse(r.url).path) for r in failed if SCORE_POST(r) or SURVEY_GET(r)}
    assert refused_in_browser == {("POST", f"/w/{pk}/responses"), ("GET", f"/w/{pk}/survey")}, \
        [(r.method, r.url, r.failure) for r in failed]
    assert any("blocked by CORS policy" in text for _, text in browser_log.console), browser_log.console
    assert [e["key"] for e in queue(page)] == [key]  # kept to retry later; never counted as sent

    # What the server answers that origin (and, for contrast, the allowed one).
    def call(method: str, path: str, origin: str, body: bytes | None = None):
        headers = {"Origin": origin, "Content-Type": "application/json", "Idempotency-Key": key,
                   "Access-Control-Request-Method": "POST"}
        request = urllib.request.Request(live_server.url(path), data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    for method in ("GET", "OPTIONS"):
        path = f"/w/{pk}/survey" if method == "GET" else f"/w/{pk}/responses"
        assert call(method, path, host_pages.origin)[1]["Access-Control-Allow-Origin"] == host_pages.origin
        assert "Access-Control-Allow-Origin" not in call(method, path, host_pages.foreign_origin)[1]
    status, headers, body = call("POST", f"/w/{pk}/responses", host_pages.foreign_origin, b'{"score": 7}')
    assert status == 403 and "Access-Control-Allow-Origin" not in headers
    assert host_pages.foreign_origin in json.loads(body)["message"]

    assert stored_responses(app) == []
    assert stored_displays(app) == []
    browser_log.assert_no_page_errors()


# ---- the API is down when the customer answers ---------------------------------------------------

@pytest.mark.parametrize("failure", ["network error", "503"])
def test_an_answer_given_while_the_api_is_down_arrives_on_the_next_load_once(
        app, page, browser_log, host_pages, widget_touchpoint, failure):
    tp_id, pk = widget_touchpoint("nps")

    def down(route):
        if failure == "503":
            route.fulfill(status=503, json={"code": 503, "status": "Service Unavailable", "message": "down"},
                          headers={"Access-Control-Allow-Origin": host_pages.origin})
        else:
            route.abort("internetdisconnected")

    is_submission = lambda url: "/responses" in urlparse(url).path  # noqa: E731
    page.route(is_submission, down)
    sent = record_requests(page)
    page.goto(host_pages.url(pk=pk))
    score_button(page, 8).click()
    comment = page.get_by_role("textbox", name=COMMENT_PROMPT)
    expect(comment).to_be_focused()
    comment.fill("Sent while the API was down")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text(THANKS)).to_be_visible()

    # Every attempt failed: the answer waits in localStorage, comment included.
    page.wait_for_function(f"(JSON.parse(localStorage.getItem({QUEUE_KEY!r})) || [{{}}])[0].comment")
    [entry] = queue(page)
    assert entry["pk"] == pk and entry["body"]["score"] == 8 and entry["comment"] == "Sent while the API was down"
    attempts = [r for r in sent if SCORE_POST(r)]
    assert len(attempts) >= 1
    assert {r.headers.get("idempotency-key") for r in attempts} == {entry["key"]}
    assert stored_responses(app) == []

    # The API is back: the next load sends it, score then comment, with the same key.
    page.unroute(is_submission, down)
    sent.clear()
    page.reload()
    page.wait_for_function(f"localStorage.getItem({QUEUE_KEY!r}) === null")
    [row] = stored_responses(app)
    assert (row["touchpoint_id"], row["score"], row["comment"]) == (tp_id, 8, "Sent while the API was down")
    assert row["idempotency_key"] == entry["key"]
    resent = [r for r in sent if SCORE_POST(r)]
    assert [r.headers.get("idempotency-key") for r in resent] == [entry["key"]]
    assert len([r for r in sent if COMMENT_PATCH(r)]) == 1

    # And once only: a further load sends no answer at all.
    sent.clear()
    with page.expect_response(SURVEY_GET):  # the flush runs before the survey is asked for
        page.reload()
    page.wait_for_load_state("networkidle")
    assert [r for r in sent if SCORE_POST(r) or COMMENT_PATCH(r)] == []
    expect(page.locator("feedback-widget")).to_have_count(0)  # and this browser was just asked
    assert len(stored_responses(app)) == 1
    browser_log.assert_no_page_errors()


# ---- the comment outlives its edit token -------------------------------------------------------

def test_a_comment_sent_after_its_edit_token_expired_still_arrives(app, page, browser_log, host_pages,
                                                                  widget_touchpoint, monkeypatch):
    tp_id, pk = widget_touchpoint("nps")
    page.goto(host_pages.url(pk=pk))
    # The customer chose a score, then took longer than the edit token's life to write the comment:
    # the token handed out with the score was signed that long ago.
    with monkeypatch.context() as clock:
        issued = int(time.time()) - int(links.EDIT_TOKEN_TTL.total_seconds()) - 60
        clock.setattr(TimestampSigner, "get_timestamp", lambda signer: issued)
        with page.expect_response(SCORE_POST) as posted:
            score_button(page, 7).click()
        assert posted.value.status == 201

    comment = page.get_by_role("textbox", name=COMMENT_PROMPT)
    comment.fill("Took my time to write this")
    with page.expect_response(COMMENT_PATCH) as refused:
        page.get_by_role("button", name="Send", exact=True).click()
    assert refused.value.status == 403  # that token expired
    page.wait_for_function(f"localStorage.getItem({QUEUE_KEY!r}) === null")

    [row] = stored_responses(app)
    assert (row["score"], row["comment"]) == (7, "Took my time to write this")
    browser_log.assert_no_page_errors()


# ---- a context the API would refuse ---------------------------------------------------------------

def test_context_the_api_would_refuse_is_trimmed_and_the_answer_kept(app, page, browser_log, host_pages,
                                                                     widget_touchpoint):
    # One bad context value makes the API refuse the whole answer (422), which the widget then drops:
    # what it sends must be what the API accepts.
    tp_id, pk = widget_touchpoint("csat")
    page.goto(host_pages.url(pk=pk, trigger="manual"))
    with page.expect_response(DISPLAY_POST) as display:
        shown = page.evaluate("""FeedbackWidget.show({context: {
            order_id: 'A-1001', ['k'.repeat(65)]: 'key too long', '': 'empty key', nested: {a: 1},
            note: 'a'.repeat(199) + '\\u{1F600}' + 'cut here', nul: 'a\\u0000b', lone: 'x\\ud83dy', n: 3.5,
            big: 1e16, nan: NaN, edge: -1e15}})""")
    assert shown is True and display.value.status == 202
    with page.expect_response(SCORE_POST) as posted:
        score_button(page, 5).click()
    assert posted.value.status == 201, posted.value.text()

    [row] = stored_responses(app)
    assert row["context"] == {"order_id": "A-1001", "note": "a" * 199 + "\U0001F600", "nul": "ab", "lone": "xy",
                              "n": 3.5, "big": "10000000000000000", "edge": -1e15}
    wait_until_queue_empty(page)
    browser_log.assert_no_page_errors()
