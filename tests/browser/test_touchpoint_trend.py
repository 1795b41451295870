"""The touchpoint page in a real browser: a staff member signs in and reads the weekly trend,
its intervals and its provisional weeks. The screenshot goes to build/screenshots/ (ignored by
git; docs/screenshots/ holds a copy for the docs)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from feedback_service.models import utcnow

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "touchpoint-trend.png"


def test_a_cx_lead_reads_the_weekly_trend_with_its_intervals(page, live_server, org, make_touchpoint, make_response):
    from playwright.sync_api import expect

    touchpoint_id, _ = make_touchpoint(org, name="Delivery", survey={"metric": "csat"})
    now = utcnow()
    # Twelve weeks: busy weeks with 30+ answers drifting down, and two thin weeks.
    for week in range(12):
        answers = 6 if week in (3, 8) else 34
        satisfied = 0.9 - week * 0.03
        for i in range(answers):
            score = 5 if i < answers * satisfied * 0.6 else 4 if i < answers * satisfied else 2
            make_response(org, touchpoint_id, score=score, created_at=now - timedelta(days=7 * (11 - week) + 1, minutes=i))

    page.goto(f"{live_server.origin}/login")
    page.get_by_label("Email").fill(org.admin_email)
    page.get_by_label("Password").fill(org.admin_password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.origin}/touchpoints/{touchpoint_id}")

    chart = page.get_by_role("img", name="CSAT per week")
    expect(chart).to_be_visible()
    assert page.locator("svg.trend-chart g.bucket").count() >= 12
    assert page.locator("svg.trend-chart g.bucket.provisional").count() >= 2
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True,
                    clip=page.locator("section[aria-labelledby=trend-title]").bounding_box())
    page.get_by_text("The figures").click()
    expect(page.get_by_role("cell", name="provisional").first).to_be_visible()
