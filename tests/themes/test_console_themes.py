"""The touchpoint page's "What customers talk about" panel."""

from __future__ import annotations

import html
from datetime import timedelta

from feedback_service.models import utcnow
from feedback_service.sentiment.jobs import drain_pending
from feedback_service.themes.jobs import refresh_themes
from tests.helpers.console import page_text

from .comments import FREE_SHIPPING, HOLD_TIME


def test_the_touchpoint_page_shows_each_theme_with_its_share_sentiment_and_two_examples(
        app, admin_client, org, make_touchpoint, make_response):
    touchpoint_id, _ = make_touchpoint(org, name="Checkout")
    for i, text in enumerate(FREE_SHIPPING + HOLD_TIME):
        make_response(org, touchpoint_id, score=2, comment=text, created_at=utcnow() - timedelta(hours=i))
    with app.app_context():
        drain_pending()
        refresh_themes(touchpoint_id)

    page = html.unescape(page_text(admin_client.get(f"/touchpoints/{touchpoint_id}")))

    assert '<h2 id="themes-title">What customers talk about</h2>' in page
    panel = page.split('id="themes-title"', 1)[1].split("</section>", 1)[0]
    assert panel.count('<li class="theme theme-topic">') == 2
    assert "free shipping" in panel and "hold" in panel
    assert "12 comments · 50 %" in panel
    assert "negative ·" in panel and "positive</span>" in panel
    assert panel.count("<q>") == 4  # two examples each
    assert 'aria-label="Examples of' in panel


def test_before_the_worker_has_looked_the_panel_says_so(admin_client, org, make_touchpoint):
    touchpoint_id, _ = make_touchpoint(org, name="Checkout")

    page = page_text(admin_client.get(f"/touchpoints/{touchpoint_id}"))

    assert "Themes have not been found here yet" in page
