"""The console's Audits pages: start an audit, walk it step by step, make a shopper's link, compare."""

from __future__ import annotations

import html
import re

from feedback_service.audits import walks
from feedback_service.core.database import commit
from tests.helpers.console import csrf_token, page_text, post_form, sign_in


def test_an_admin_starts_walks_submits_and_compares_an_audit(app, admin_client, org, shop):
    client = admin_client
    page = client.get("/audits")
    assert page.status_code == 200
    assert 'aria-current="page">Audits</a>' in page_text(page)
    started = post_form(client, "/audits", "/audits", {"journey_id": shop.journey_id,
                                                       "scenario": "Buy <em>shoes</em> with the code"})
    assert started.status_code == 302, page_text(started)
    audit_path = started.headers["Location"]
    audit_id = int(audit_path.rsplit("/", 1)[1])
    walk_page = page_text(client.get(audit_path))
    assert "Buy &lt;em&gt;shoes&lt;/em&gt; with the code" in walk_page
    assert walk_page.count('<section class="walk-step') == 6
    checkout = shop.touchpoints["Cart & checkout"]
    token = csrf_token(walk_page)
    refused = client.post(f"/audits/{audit_id}/steps/{checkout}", data={
        "csrf_token": token, "expectation": "worse_than_expected"})
    assert refused.status_code == 422 and "This step was not saved" in page_text(refused)
    saved = client.post(f"/audits/{audit_id}/steps/{checkout}", data={
        "csrf_token": token, "expectation": "worse_than_expected", "severity": "really_bad", "effort": "days",
        "note": "Code refused"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"#step-{checkout}")
    assert "Saved." in page_text(client.get(saved.headers["Location"]))
    link = client.post(f"/audits/{audit_id}/link", data={"csrf_token": token, "days": "7"})
    assert link.status_code == 200
    url = re.search(r'value="(http://feedback.test/a/[^"]+)"', page_text(link)).group(1)
    assert client.get(url.removeprefix("http://feedback.test")).status_code == 200
    submitted = client.post(f"/audits/{audit_id}/submit", data={"csrf_token": token})
    assert submitted.status_code == 302
    compared = page_text(client.get(submitted.headers["Location"]))
    assert "Walks of Buying shoes online compared" in compared and "Really bad" in compared
    listed = html.unescape(page_text(client.get("/audits")))
    assert "Submitted" in listed and f"#{audit_id}" in listed


def test_the_comparison_draws_the_inconsistent_step(app, admin_client, org, shop):
    with app.app_context(), org.scope():
        walks.seed_demo_walks(shop.journey_id, shop.auditor_id)
        commit()
    text = page_text(admin_client.get(f"/audits/compare/{shop.journey_id}"))
    rows = text.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    assert len(rows) == 6
    checkout = next(r for r in rows if "Cart &amp; checkout" in r)
    support = next(r for r in rows if "Contact support" in r)
    assert "audit-inconsistent" in checkout and "Inconsistent" in checkout
    assert "Consistent" in support and "15 min" in support and "Really bad" in support


def test_a_viewer_reads_but_cannot_start_or_walk_an_audit(app, client, org, shop, make_staff):
    make_staff(org, role="viewer", email="viewer@shop.example")
    assert sign_in(client, "viewer@shop.example", "staff-password-123").status_code == 302
    with app.app_context(), org.scope():
        audit = walks.create_audit(journey_id=shop.journey_id, shopper_name="Sam")
        commit()
        audit_id = audit.id
    assert client.get(f"/audits/{audit_id}").status_code == 200
    token = csrf_token(page_text(client.get("/settings")))
    assert client.post("/audits", data={"csrf_token": token, "journey_id": shop.journey_id}).status_code == 403
    assert client.post(f"/audits/{audit_id}/steps/{shop.ids[0]}",
                       data={"csrf_token": token, "expectation": "as_expected"}).status_code == 403


def test_another_organisations_audit_is_not_found_in_the_console(app, admin_client, make_org, make_shop):
    other = make_org("Other shop")
    theirs = make_shop(other, suffix="-other")
    with app.app_context(), other.scope():
        audit = walks.create_audit(journey_id=theirs.journey_id, shopper_name="Sam")
        commit()
        audit_id = audit.id
    assert admin_client.get(f"/audits/{audit_id}").status_code == 404
    assert admin_client.get(f"/audits/compare/{theirs.journey_id}").status_code == 404
