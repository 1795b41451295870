"""The Backlog board in a real browser: after the demo's two audits, a CX lead opens the board, reads
the hold time at the top (the fixed phone number below, done, with its before/after check) and moves
the hold-time item to "Planned" by keyboard alone. The screenshot goes to build/screenshots/ (ignored
by git; docs/screenshots/ holds a copy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedback_service.accounts import staff
from feedback_service.audits import walks
from feedback_service.backlog import intake
from feedback_service.core.database import commit

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "backlog.png"
STEPS = [("Advertisement", "Marketing"), ("Browse the shop", "Procurement"), ("Cart & checkout", "Web"),
         ("Contact support", "Support"), ("Delivery", "Shipping"), ("Returns", "Support")]


def test_a_cx_lead_moves_the_top_item_by_keyboard(app, page, live_server, org, make_journey, make_touchpoint):
    from playwright.sync_api import expect

    journey_id = make_journey(org, "Buying shoes online")
    with app.app_context(), org.scope():
        teams = {name: staff.create_team(name=name).id for name in dict.fromkeys(team for _, team in STEPS)}
        auditor = staff.create_user(email="ann@shop.example", name="Ann Auditor")
        commit()
        auditor_id = auditor.id
    for name, team in STEPS:
        make_touchpoint(org, journey_id, name=name, team_id=teams[team])
    with app.app_context(), org.scope():
        walks.seed_demo_walks(journey_id, auditor_id)
        intake.seed_demo_backlog()
        commit()

    page.goto(f"{live_server.origin}/login")
    page.get_by_label("Email").fill(org.admin_email)
    page.get_by_label("Password").fill(org.admin_password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Backlog", exact=True).click()

    expect(page.get_by_role("heading", name="Backlog", level=1)).to_be_visible()
    todo = page.locator("section[aria-labelledby=todo-title] tbody tr")
    expect(todo).to_have_count(1)
    expect(todo.first).to_contain_text("15 minutes on hold")
    closed = page.locator("section[aria-labelledby=closed-title] tbody tr")
    expect(closed.filter(has_text="phone number is hidden")).to_have_count(1)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    status = todo.first.get_by_label("Status of “15 minutes on hold before anyone answered”")
    status.focus()
    page.keyboard.press("ArrowDown")  # Open -> Planned
    page.keyboard.press("Tab")  # the Move button
    page.keyboard.press("Enter")
    expect(page.get_by_text("is planned")).to_be_visible()
    expect(page.locator("section[aria-labelledby=todo-title] tbody tr").first.locator("select")).to_have_value(
        "planned")

    page.locator("section[aria-labelledby=closed-title]").get_by_role(
        "link", name="The phone number is hidden in the small print at the foot of the FAQ", exact=True).click()
    expect(page.get_by_role("heading", name="Did it help?")).to_be_visible()
    expect(page.locator("section[aria-labelledby=check-title]")).to_contain_text("Worst audit finding")
