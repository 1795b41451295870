"""An outside shopper walks an audit from their link in a real browser, by keyboard alone: Tab to each
control, arrows and Space to choose, typing, Enter to save each step and to submit. The screenshot goes
to build/screenshots/ (ignored by git; docs/screenshots/ holds a copy)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from feedback_service.accounts import staff
from feedback_service.audits import links, walks
from feedback_service.core.database import commit
from feedback_service.extensions import db
from feedback_service.models import AuditFinding, utcnow

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "audit-walk.png"
STEPS = [("Advertisement", "Marketing"), ("Browse the shop", "Web"), ("Cart & checkout", "Web"),
         ("Contact support", "Support"), ("Delivery", "Shipping"), ("Returns", "Support")]


def test_a_shopper_walks_the_audit_link_by_keyboard(app, page, live_server, org, make_journey, make_touchpoint):
    from playwright.sync_api import expect

    journey_id = make_journey(org, "Buying shoes online")
    with app.app_context(), org.scope():
        teams = {name: staff.create_team(name=name).id for name in dict.fromkeys(team for _, team in STEPS)}
        commit()
    ids = [make_touchpoint(org, journey_id, name=name, team_id=teams[team])[0] for name, team in STEPS]
    with app.app_context(), org.scope():
        audit = walks.create_audit(journey_id=journey_id, shopper_name="Sam <Shopper>",
                                   scenario="Buy running shoes with the holiday code FREESHIP, then ask about shipping.")
        commit()
        audit_id = audit.id
        with app.test_request_context():
            token = links.create_link(audit_id, utcnow() + timedelta(days=7))["token"]

    page.set_viewport_size({"width": 400, "height": 860})  # a phone
    page.goto(f"{live_server.origin}/a/{token}")
    expect(page.get_by_role("heading", name="Audit: Buying shoes online", level=1)).to_be_visible()
    expect(page.get_by_text("Walked by Sam <Shopper>")).to_be_visible()
    keys = page.keyboard

    def step(number: int):
        return page.locator(f"#step-{ids[number - 1]}")

    def walk_step(number: int, *, arrows: int, severity: int = 0, effort: int = 0, minutes: str = "",
                  note: str = "", not_reached: bool = False):
        """From just before the step: Tab into its choices, arrows to choose, then the fields in order."""
        section = step(number)
        keys.press("Tab")
        expect(section.get_by_role("radio").first).to_be_focused()
        if not not_reached:
            keys.press("Space")
            for _ in range(arrows):
                keys.press("ArrowDown")
        keys.press("Tab")
        expect(section.get_by_label("If worse: how bad?")).to_be_focused()
        for _ in range(severity):
            keys.press("ArrowDown")
        keys.press("Tab")
        expect(section.get_by_label("Effort to fix")).to_be_focused()
        for _ in range(effort):
            keys.press("ArrowDown")
        keys.press("Tab")
        expect(section.get_by_label("Minutes it took")).to_be_focused()
        keys.type(minutes)
        keys.press("Tab")
        expect(section.get_by_label("What happened (your evidence)")).to_be_focused()
        keys.type(note)
        keys.press("Tab")
        expect(section.get_by_role("checkbox")).to_be_focused()
        if not_reached:
            keys.press("Space")
        keys.press("Tab")
        expect(section.get_by_role("button", name=f"Save step {number}")).to_be_focused()
        keys.press("Enter")
        # The answer sends the page on to the next step: Tab carries on from there once it has loaded.
        page.wait_for_url(f"**saved={ids[number - 1]}#*")
        page.wait_for_load_state("load")
        expect(section.get_by_text("saved", exact=True)).to_be_visible()

    walk_step(1, arrows=1, note="The code is on the banner.")  # as expected
    walk_step(2, arrows=0, note="Found my size at once.")  # better than expected
    walk_step(3, arrows=2, severity=1, effort=2, minutes="4",
              note="FREESHIP was refused <three> times.")  # worse: really bad, days
    walk_step(4, arrows=2, severity=1, effort=3, minutes="15", note="15 minutes on hold.")  # really bad, a project
    walk_step(5, arrows=1)
    walk_step(6, arrows=0, note="The returns page would not load.", not_reached=True)

    expect(page.get_by_text("You have saved 6 of 6 steps.")).to_be_visible()
    expect(step(3).get_by_role("radio", name="Worse than expected")).to_be_checked()
    expect(step(3).get_by_label("What happened (your evidence)")).to_have_value("FREESHIP was refused <three> times.")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    keys.press("Tab")
    expect(page.get_by_role("button", name="Submit the audit")).to_be_focused()
    keys.press("Enter")
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    assert page.evaluate("window.__violations") == []

    with app.app_context(), org.scope():
        audit = walks.get_audit(audit_id)
        found = [(f.touchpoint_id, f.expectation, f.severity, f.effort, f.minutes, f.reached)
                 for f in db.session.query(AuditFinding).order_by(AuditFinding.touchpoint_id)]
        assert audit.status == "submitted"
        db.session.remove()
    assert found == [
        (ids[0], "as_expected", None, None, None, True),
        (ids[1], "better_than_expected", None, None, None, True),
        (ids[2], "worse_than_expected", "really_bad", "days", 4, True),
        (ids[3], "worse_than_expected", "really_bad", "project", 15, True),
        (ids[4], "as_expected", None, None, None, True),
        (ids[5], "worse_than_expected", "really_bad", None, None, False),
    ]
