"""The Alerts page in a real browser: a CX lead signs in after an alert fired at checkout and reads
what broke, how sure it is and which teams were told; the neighbours' step shows on the touchpoint
page too. The screenshot goes to build/screenshots/ (ignored by git; docs/screenshots/ holds a copy)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from feedback_service.accounts import staff
from feedback_service.alerts import rules
from feedback_service.alerts.jobs import evaluate_alert_rules
from feedback_service.core.database import commit
from feedback_service.extensions import db
from feedback_service.models import utcnow

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "alerts.png"


def test_a_cx_lead_reads_an_alert_and_who_was_told(app, page, live_server, org, make_journey, make_touchpoint,
                                                   make_response):
    from playwright.sync_api import expect

    journey_id = make_journey(org, "Buying shoes online")
    with app.app_context(), org.scope():
        teams = {}
        for name in ("Marketing", "Procurement", "Web", "Support"):
            lead = staff.create_user(email=f"{name.lower()}@shop.example", name=f"{name} lead")
            teams[name] = staff.create_team(name=name, member_ids=[lead.id], lead_id=lead.id).id
        commit()
    steps = {}
    for name, team, metric in (("Advertisement", "Marketing", "csat"), ("Browse the shop", "Procurement", "ces"),
                               ("Cart & checkout", "Web", "ces"), ("Contact support", "Support", "csat")):
        steps[name], _ = make_touchpoint(org, journey_id, name=name, team_id=teams[team], survey={"metric": metric})
    now = utcnow()
    # Checkout: a week of answers, mostly hard going; support: fine.
    for i in range(36):
        make_response(org, steps["Cart & checkout"], score=6 if i % 4 == 0 else 2,
                      created_at=now - timedelta(hours=2, minutes=i * 20))
    for i in range(30):
        make_response(org, steps["Contact support"], score=5 if i % 5 else 3,
                      created_at=now - timedelta(hours=3, minutes=i * 30))
    with app.app_context(), org.scope():
        rules.create_rule(touchpoint_id=steps["Cart & checkout"], kind="below_threshold", threshold=50,
                          window_hours=168, min_n=30)
        rules.create_rule(touchpoint_id=steps["Cart & checkout"], kind="drop", threshold=15, window_hours=24,
                          min_n=30)
        rules.create_rule(touchpoint_id=steps["Contact support"], kind="below_threshold", threshold=60,
                          window_hours=168, min_n=20)
        commit()
    with app.app_context():
        evaluate_alert_rules(now + timedelta(hours=1))
        db.session.remove()

    page.goto(f"{live_server.origin}/login")
    page.get_by_label("Email").fill(org.admin_email)
    page.get_by_label("Password").fill(org.admin_password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Alerts").click()

    expect(page.get_by_role("heading", name="Alerts", level=1)).to_be_visible()
    breach = page.locator("section[aria-labelledby=open-title] tbody tr")
    expect(breach).to_have_count(1)
    expect(breach.first).to_contain_text("Cart & checkout")
    expect(breach.first).to_contain_text("Procurement")
    expect(breach.first).to_contain_text("step before")
    expect(breach.first).to_contain_text("Support")
    expect(page.locator("section[aria-labelledby=rules-title]")).to_contain_text("In breach")
    expect(page.locator("section[aria-labelledby=rules-title]")).to_contain_text("Armed")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.get_by_role("link", name="Cart & checkout").first.click()
    expect(page.locator("section[aria-labelledby=alerts-title]")).to_contain_text("still in breach")
