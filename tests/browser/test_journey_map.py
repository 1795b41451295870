"""The demo's journey map in a real browser: a CX lead sees where the journey hurts, how sure each
figure is, how it moved week by week, and where customers are lost between stations.
The screenshot goes to build/screenshots/journey-map.png (docs/screenshots/ holds a copy)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from feedback_service.core.database import commit
from feedback_service.core.tenancy import tenant_scope
from feedback_service.demo.seed import DEMO_ADMIN_EMAIL, demo_password, ensure_demo
from feedback_service.extensions import db
from feedback_service.models import Journey

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "journey-map.png"


def test_the_demo_journey_map_shows_intervals_trends_and_the_customers_lost_between_stations(
        app, page, live_server):
    from playwright.sync_api import expect

    with app.app_context():
        demo = ensure_demo()
        commit()
        with tenant_scope(demo.organization.id):
            journey_id = db.session.scalar(select(Journey.id))
        password = demo_password()
        db.session.remove()

    page.goto(live_server.url("/login"))
    page.get_by_label("Email").fill(DEMO_ADMIN_EMAIL)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url(f"/journeys/{journey_id}"))

    expect(page.get_by_role("img", name="Journey map of Buying shoes online")).to_be_visible()
    svg = page.locator("svg.journey-svg")
    # Six stations, each answered one with its trend; five steps between them.
    assert svg.locator("a.station").count() == 6
    assert svg.locator("g.spark").count() == 6
    assert svg.locator("g.step-link").count() == 5
    # Few answer about the advert: its figure is provisional. Delivery swings with the carrier.
    expect(svg.locator("a.station.provisional")).to_have_count(1)
    expect(svg.locator("a.station.inconsistent text.name")).to_have_text("Delivery")
    # The backlog: the walks' findings, and root causes the follow-ups keep resolving, at every station.
    expect(svg.locator("text.to-fix")).to_have_count(6)
    # The step that loses most customers is the one into the checkout, drawn red.
    losing = svg.locator("g.step-link.loses").first
    expect(losing.locator("text.step-label")).to_contain_text("worse")
    transitions = page.get_by_role("region", name="Between the stations")
    expect(transitions).to_contain_text("Most customers are lost from Browse the shop to Cart & checkout")
    table = page.get_by_role("region", name="Touchpoints in order")
    expect(table.get_by_role("row", name="Cart & checkout")).to_contain_text("free shipping")

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1360, "height": 900})
    page.screenshot(path=str(SCREENSHOT), full_page=True)
