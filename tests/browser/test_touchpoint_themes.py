"""The touchpoint page in a real browser: a CX lead reads what customers talk about there, each
theme with its share, sentiment and examples. The screenshot goes to build/screenshots/
(docs/screenshots/ holds a copy for the docs)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from feedback_service.models import utcnow
from feedback_service.sentiment.jobs import drain_pending
from feedback_service.themes.jobs import refresh_themes

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "touchpoint-themes.png"

# Sixty-odd comments: enough for three topics (one per twenty comments, themes/clustering.py).
COMMENTS = {
    2: ["The free shipping code did not work at checkout", "Free shipping code rejected, paid for delivery anyway",
        "Your free shipping code says invalid", "Free shipping code from the newsletter failed",
        "Why was my free shipping code not accepted?", "Free shipping code ignored at the payment step",
        "Shipping was charged even with the free shipping code", "The free shipping code only worked the second time",
        "Free shipping code expired a day early", "Got charged for shipping despite the free shipping code",
        "The free shipping code box just spins", "Free shipping code not valid on sale items, why?",
        "Tried the free shipping code three times", "Free shipping code from Instagram did nothing",
        "Free shipping code worked on the app but not the site", "The free shipping code is case sensitive",
        "Free shipping code removed at the last step", "Free shipping code not recognised",
        "Please fix the free shipping code", "Free shipping code failed again", "Shipping fee added, code ignored",
        "My free shipping code was declined"],
    3: ["The discount was not applied to my basket", "20% discount not applied at checkout",
        "Sale discount vanished when I paid", "Student discount not applied", "Discount code accepted, total unchanged",
        "My birthday discount was not applied", "The member discount did not apply", "Discount missing on the invoice",
        "Discount not applied to the second pair", "Black Friday discount not applied",
        "The 15% discount disappeared at payment", "Loyalty discount not applied again",
        "Discount shown on the banner but not applied", "Refer a friend discount never applied",
        "Newsletter discount not applied", "Discount was removed when I changed size",
        "The discount only applied to shipping", "Discount not applied, paid full price", "Where did my discount go?",
        "Discount not taken off the total"],
    5: ["Checkout was quick and easy", "Quick easy checkout, thanks", "Easy checkout on my phone",
        "Very quick checkout, love it", "Checkout easy and fast", "Super easy checkout", "Quick and easy, great",
        "Easy to pay, quick checkout", "Checkout was so easy", "Fast easy checkout as always",
        "Really quick checkout", "Easy checkout with Apple Pay", "Quick checkout, no problems",
        "Checkout was easy and clear", "Easy quick payment", "Quickest checkout I've used",
        "Easy checkout, great shop", "Simple and quick checkout", "Checkout easy peasy", "Easy, quick, done"],
}


def test_a_cx_lead_reads_what_customers_talk_about(page, live_server, app, org, make_touchpoint, make_response):
    from playwright.sync_api import expect

    touchpoint_id, _ = make_touchpoint(org, name="Checkout", survey={"metric": "csat"})
    now, i = utcnow(), 0
    for score, comments in COMMENTS.items():
        for comment in comments:
            i += 1
            make_response(org, touchpoint_id, score=score, comment=comment, created_at=now - timedelta(hours=3 * i))
    make_response(org, touchpoint_id, score=2, comment="Der Gutscheincode funktioniert nicht", created_at=now)
    with app.app_context():
        drain_pending()
        refresh_themes(touchpoint_id)

    page.goto(f"{live_server.origin}/login")
    page.get_by_label("Email").fill(org.admin_email)
    page.get_by_label("Password").fill(org.admin_password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.origin}/touchpoints/{touchpoint_id}")

    panel = page.locator("section[aria-labelledby=themes-title]")
    expect(panel.get_by_role("heading", name="What customers talk about")).to_be_visible()
    themes = panel.locator("ol.themes > li")
    expect(themes).to_have_count(3)
    expect(themes.first.get_by_role("heading", level=3)).to_contain_text("free shipping")
    expect(themes.first).to_contain_text("22 comments")
    expect(themes.first.get_by_role("list", name="Examples of free shipping")).to_be_visible()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=str(SCREENSHOT))
