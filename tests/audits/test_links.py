"""Audit links and the walk page /a/{token}: an outside shopper walks one audit, and nothing else."""

from __future__ import annotations

import re
from datetime import timedelta
from html import escape as html_escape

import pytest

from feedback_service.audits import links
from feedback_service.models import utcnow
from tests.helpers.assertions import assert_error

from .conftest import logged


def new_audit(client, org, shop, **body) -> int:
    answer = client.post("/api/v1/audits", headers=org.headers, json={
        "journey_id": shop.journey_id, "shopper_name": "Sam <b>Shopper</b>",
        "scenario": "Buy shoes <script>alert(1)</script> with the holiday code", **body})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def make_link(client, org, audit_id, expires_in=timedelta(days=7)) -> dict:
    answer = client.post("/api/v1/audit-links", headers=org.headers,
                         json={"audit_id": audit_id, "expires_at": (utcnow() + expires_in).isoformat()})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def path_of(link: dict) -> str:
    return link["url"].removeprefix("http://feedback.test")


def form_token(page_html: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', page_html).group(1)


def test_a_shopper_walks_the_journey_step_by_step_and_submits(app, client, org, shop):
    audit_id = new_audit(client, org, shop)
    link = make_link(client, org, audit_id)
    assert link["url"].startswith("http://feedback.test/a/") and link["audit_id"] == audit_id
    page = client.get(path_of(link))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # Every shopper-supplied string is escaped.
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>Shopper</b>" not in html and "Sam &lt;b&gt;Shopper&lt;/b&gt;" in html
    steps = re.findall(r'<h2 id="s\d+-title"><span class="walk-step-n">(\d)\.</span> ([^<]+?)\s*<', html)
    assert steps == [(str(i), html_escape(name)) for i, name in enumerate(shop.touchpoints, start=1)]
    token = form_token(html)
    checkout = shop.touchpoints["Cart & checkout"]
    saved = client.post(f"{path_of(link)}/steps/{checkout}", data={
        "form_token": token, "expectation": "worse_than_expected", "severity": "really_bad", "effort": "days",
        "minutes": "4", "note": "Code <i>refused</i>"})
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(f"saved={checkout}#step-{shop.touchpoints['Contact support']}")
    # Saving the step again changes its one finding, and drops what a better judgement has no use for.
    again = client.post(f"{path_of(link)}/steps/{checkout}", data={
        "form_token": token, "expectation": "as_expected", "severity": "really_bad", "note": "Fine now"})
    assert again.status_code == 303
    returns = shop.touchpoints["Returns"]
    broke = client.post(f"{path_of(link)}/steps/{returns}", data={"form_token": token, "not_reached": "1"})
    assert broke.status_code == 303 and broke.headers["Location"].endswith("#submit")
    findings = client.get(f"/api/v1/audits/{audit_id}/findings", headers=org.headers).get_json()["data"]
    assert [(f["touchpoint_id"], f["expectation"], f["severity"], f["reached"]) for f in findings] == [
        (checkout, "as_expected", None, True), (returns, "worse_than_expected", "really_bad", False)]

    refused = client.post(f"{path_of(link)}/steps/{checkout}", data={
        "form_token": token, "expectation": "worse_than_expected"})
    assert refused.status_code == 422
    assert "This step was not saved" in refused.get_data(as_text=True)
    assert "severity" in refused.get_data(as_text=True)
    nothing = client.post(f"{path_of(link)}/steps/{checkout}", data={"form_token": token})
    assert nothing.status_code == 422 and "Choose how this step went" in nothing.get_data(as_text=True)

    done = client.post(f"{path_of(link)}/submit", data={"form_token": token})
    assert done.status_code == 303
    assert client.get(f"/api/v1/audits/{audit_id}", headers=org.headers).get_json()["status"] == "submitted"
    assert [e["audit"]["id"] for e in logged(app, org, "audit.submitted")] == [audit_id]
    assert "was submitted" in client.get(path_of(link)).get_data(as_text=True)


def test_a_link_cannot_change_a_submitted_audit(client, org, shop):
    audit_id = new_audit(client, org, shop)
    link = make_link(client, org, audit_id)
    token = form_token(client.get(path_of(link)).get_data(as_text=True))
    assert client.patch(f"/api/v1/audits/{audit_id}", headers=org.headers,
                        json={"status": "submitted"}).status_code == 200
    step = client.post(f"{path_of(link)}/steps/{shop.ids[0]}", data={"form_token": token, "expectation": "as_expected"})
    assert step.status_code == 409
    assert client.post(f"{path_of(link)}/submit", data={"form_token": token}).status_code == 409
    assert client.get(f"/api/v1/audits/{audit_id}/findings", headers=org.headers).get_json()["data"] == []
    # Nor is a new link made for it.
    assert_error(client.post("/api/v1/audit-links", headers=org.headers, json={
        "audit_id": audit_id, "expires_at": (utcnow() + timedelta(days=1)).isoformat()}), 409)


def test_an_expired_or_altered_link_is_refused(app, client, org, shop, monkeypatch):
    audit_id = new_audit(client, org, shop)
    link = make_link(client, org, audit_id, expires_in=timedelta(minutes=5))
    token = link["url"].rsplit("/", 1)[1]
    with app.test_request_context():
        assert links.read_link(token).audit_id == audit_id
        with pytest.raises(links.LinkRefused) as refused:
            links.read_link(token, now=utcnow() + timedelta(minutes=6))
        assert refused.value.expired
    page_token = form_token(client.get(path_of(link)).get_data(as_text=True))
    later = utcnow() + timedelta(minutes=6)
    monkeypatch.setattr(links, "utcnow", lambda: later)
    gone = client.get(path_of(link))
    assert gone.status_code == 410 and "expired" in gone.get_data(as_text=True)
    late = client.post(f"{path_of(link)}/steps/{shop.ids[0]}", data={"form_token": page_token,
                                                                     "expectation": "as_expected"})
    assert late.status_code == 410
    assert client.post(f"{path_of(link)}/submit", data={"form_token": page_token}).status_code == 410
    monkeypatch.undo()
    payload, _, signature = token.rpartition(".")
    assert client.get(f"/a/{payload}.{signature[::-1]}").status_code == 404
    assert client.get("/a/not-a-token").status_code == 404
    assert client.post("/a/not-a-token/submit").status_code == 404
    assert client.get(f"/api/v1/audits/{audit_id}", headers=org.headers).get_json()["status"] == "in_progress"


def test_a_link_reaches_only_its_own_audit(client, org, shop, make_org, make_shop):
    mine = new_audit(client, org, shop)
    other_audit = new_audit(client, org, shop)
    link = make_link(client, org, mine)
    other_link = make_link(client, org, other_audit)
    # A form token of another audit's page does not save a step on this one.
    other_token = form_token(client.get(path_of(other_link)).get_data(as_text=True))
    crossed = client.post(f"{path_of(link)}/steps/{shop.ids[0]}",
                          data={"form_token": other_token, "expectation": "as_expected"})
    assert crossed.status_code == 400
    # A touchpoint of another journey (here another organisation's) is not a step of this audit.
    other = make_org("Other shop")
    theirs = make_shop(other, suffix="-other")
    token = form_token(client.get(path_of(link)).get_data(as_text=True))
    foreign = client.post(f"{path_of(link)}/steps/{theirs.ids[0]}", data={"form_token": token,
                                                                         "expectation": "as_expected"})
    assert foreign.status_code == 404
    for audit_id in (mine, other_audit):
        assert client.get(f"/api/v1/audits/{audit_id}/findings", headers=org.headers).get_json()["data"] == []


def test_a_link_needs_a_future_expiry_within_ninety_days(client, org, shop):
    audit_id = new_audit(client, org, shop)
    for expires_in in (timedelta(minutes=-1), timedelta(days=91)):
        assert_error(client.post("/api/v1/audit-links", headers=org.headers, json={
            "audit_id": audit_id, "expires_at": (utcnow() + expires_in).isoformat()}), 422, "expires_at")
    assert_error(client.post("/api/v1/audit-links", headers=org.headers, json={"audit_id": audit_id}),
                 422, "expires_at")
    assert_error(client.post("/api/v1/audit-links", headers=org.headers, json={
        "audit_id": audit_id, "expires_at": "2030-01-01T00:00:00"}), 422, "expires_at")
