"""The touchpoint page (settings, embed code, preview, QR code, email links, answers) and the customer page."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from feedback_service.extensions import db
from feedback_service.models import Customer, Response, utcnow
from tests.helpers.console import PASSWORD, csrf_token, page_text, post_form, sign_in

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def touchpoint(org, make_team, make_journey, make_touchpoint):
    journey_id = make_journey(org, "Buying shoes")
    team_id = make_team(org, "Shipping")
    touchpoint_id, pk = make_touchpoint(
        org, journey_id, name="Delivery", channel="email", team_id=team_id,
        allowed_origins=["https://shop.example"],
        survey={"metric": "csat", "question": "How was your delivery?", "low_score_prompt": "What went wrong?",
                "fatigue_days": 14},
    )
    return touchpoint_id, pk


def test_the_touchpoint_page_shows_its_settings(admin_client, touchpoint):
    touchpoint_id, pk = touchpoint

    page = page_text(admin_client.get(f"/touchpoints/{touchpoint_id}"))

    for expected in ("<h1>Delivery</h1>", "Buying shoes", "Step 1", "Email", "Shipping", "https://shop.example",
                     "CSAT", "How was your delivery?", "What is the main reason for your score?",
                     "What went wrong?", "<code>en</code>", "once every 14 days", "v1", pk):
        assert expected in page, expected


def test_the_touchpoint_page_offers_the_embed_snippet_in_a_read_only_box(admin_client, touchpoint):
    touchpoint_id, pk = touchpoint

    page = page_text(admin_client.get(f"/touchpoints/{touchpoint_id}"))

    box = re.search(r'<textarea id="embed-snippet"[^>]*readonly[^>]*>(.*?)</textarea>', page, re.S)
    assert box
    assert html.unescape(box.group(1)) == (
        f'<script src="http://feedback.test/widget.js" data-touchpoint="{pk}" async></script>')
    assert '<label class="label" for="embed-snippet">' in page


def test_the_touchpoint_page_previews_the_hosted_page_and_shows_the_qr_code(admin_client, client, touchpoint):
    touchpoint_id, pk = touchpoint

    page = page_text(admin_client.get(f"/touchpoints/{touchpoint_id}"))

    assert re.search(rf'<iframe class="preview" src="/s/{pk}"[^>]*title="[^"]+"[^>]*sandbox', page)
    assert re.search(rf'<img src="/s/{pk}/qr.svg"[^>]*alt="QR code that opens the survey for Delivery"', page)
    assert f'href="/s/{pk}/qr.svg" download' in page
    assert f'href="/s/{pk}/qr.png" download' in page
    assert client.get(f"/s/{pk}/qr.svg").mimetype == "image/svg+xml"


def test_the_hosted_page_may_be_framed_by_this_site_only(client, touchpoint):
    _, pk = touchpoint

    policy = client.get(f"/s/{pk}").headers["Content-Security-Policy"]

    assert "frame-ancestors 'self'" in policy


def test_the_touchpoint_page_shows_how_to_make_email_links_with_the_api_and_the_cli(admin_client, touchpoint):
    touchpoint_id, _ = touchpoint

    page = html.unescape(page_text(admin_client.get(f"/touchpoints/{touchpoint_id}")))

    assert f"curl -X POST http://feedback.test/api/v1/touchpoints/{touchpoint_id}/email-links" in page
    assert "-H 'Authorization: Bearer sk_…'" in page
    assert "-H 'Content-Type: application/json'" in page
    assert """-d '{"customer_email": "ada@example.com"}'""" in page
    assert f"flask --app wsgi email-links {touchpoint_id} --customer-email ada@example.com" in page


def _generated_links(page: str) -> dict[int, str]:
    links = re.findall(r'<span class="score-chip[^"]*">(\d+)</span>\s*<a href="([^"]+)" class="link-url">', page)
    return {int(score): html.unescape(url) for score, url in links}


def test_email_links_generated_on_the_page_record_the_score_when_followed(app, admin_client, client, org, touchpoint):
    touchpoint_id, pk = touchpoint

    response = post_form(admin_client, f"/touchpoints/{touchpoint_id}",
                         f"/touchpoints/{touchpoint_id}/email-links", {"customer_email": "Ada@Example.com"})

    assert response.status_code == 200
    links = _generated_links(page_text(response))
    assert sorted(links) == [1, 2, 3, 4, 5]
    assert links[2].startswith(f"http://feedback.test/s/{pk}?score=2&t=")

    clicked = client.get(links[2])  # the customer, in their mail client: no console session

    assert clicked.status_code == 200
    with app.app_context(), org.scope():
        stored = db.session.scalars(select(Response)).all()
        assert [(r.touchpoint_id, r.score, r.source) for r in stored] == [(touchpoint_id, 2, "email")]
        assert stored[0].customer.email == "ada@example.com"
    assert client.get(links[2]).status_code == 200  # a second click stores nothing more
    with app.app_context(), org.scope():
        assert len(db.session.scalars(select(Response)).all()) == 1


def test_email_links_can_be_made_for_a_customer_id(app, admin_client, client, org, touchpoint):
    touchpoint_id, _ = touchpoint

    response = post_form(admin_client, f"/touchpoints/{touchpoint_id}",
                         f"/touchpoints/{touchpoint_id}/email-links", {"customer_id": "cust-42"})
    client.get(_generated_links(page_text(response))[5])

    with app.app_context(), org.scope():
        assert db.session.scalar(select(Customer.external_id)) == "cust-42"


def test_the_email_links_form_needs_an_email_or_an_id(admin_client, touchpoint):
    touchpoint_id, _ = touchpoint

    response = post_form(admin_client, f"/touchpoints/{touchpoint_id}", f"/touchpoints/{touchpoint_id}/email-links")

    assert response.status_code == 422
    assert "Enter the customer&#39;s email or your id for them." in page_text(response)
    assert not _generated_links(page_text(response))


def test_the_email_links_form_refuses_a_malformed_email(admin_client, touchpoint):
    touchpoint_id, _ = touchpoint

    response = post_form(admin_client, f"/touchpoints/{touchpoint_id}",
                         f"/touchpoints/{touchpoint_id}/email-links", {"customer_email": "not an email"})

    assert response.status_code == 422
    assert 'aria-invalid="true"' in page_text(response)


def test_the_email_links_form_without_csrf_is_400(admin_client, touchpoint):
    touchpoint_id, _ = touchpoint

    response = admin_client.post(f"/touchpoints/{touchpoint_id}/email-links", data={"customer_email": "a@b.example"})

    assert response.status_code == 400


def test_a_viewer_sees_the_how_to_but_cannot_generate_links(client, org, make_staff, touchpoint):
    touchpoint_id, _ = touchpoint
    make_staff(org, role="viewer")
    sign_in(client, f"viewer@org{org.id}.example", PASSWORD)

    page = page_text(client.get(f"/touchpoints/{touchpoint_id}"))
    response = client.post(f"/touchpoints/{touchpoint_id}/email-links",
                           data={"customer_email": "a@b.example", "csrf_token": csrf_token(page)})

    assert "email-links" in page and "Generate links" not in page
    assert response.status_code == 403


def policy_on_page(page: str) -> str:
    match = re.search(r"<dt>Follow-ups</dt><dd>([^<]*)</dd>", page)
    assert match, "the settings list shows the follow-up policy"
    return match.group(1)


def test_an_admin_sets_the_follow_up_policy_from_the_settings(app, admin_client, org, touchpoint):
    touchpoint_id, pk = touchpoint
    assert policy_on_page(page_text(admin_client.get(f"/touchpoints/{touchpoint_id}"))) == (
        "Every comment and every low score")

    saved = post_form(admin_client, f"/touchpoints/{touchpoint_id}", f"/touchpoints/{touchpoint_id}/follow-up-policy",
                      {"follow_up_policy": "comments"})

    assert saved.status_code == 302
    page = page_text(admin_client.get(saved.headers["Location"]))
    assert policy_on_page(page) == "Only answers with a comment"
    assert '<option selected value="comments">' in page
    admin_client.post(f"/w/{pk}/responses", json={"score": 1})  # a low score alone: nobody follows it up now
    assert admin_client.get("/api/v1/follow-ups", headers=org.headers).get_json()["data"] == []


def test_an_unknown_follow_up_policy_is_refused_and_changes_nothing(admin_client, org, touchpoint):
    touchpoint_id, _ = touchpoint

    refused = post_form(admin_client, f"/touchpoints/{touchpoint_id}",
                        f"/touchpoints/{touchpoint_id}/follow-up-policy", {"follow_up_policy": "everything"})

    assert refused.status_code == 422
    assert "Not a valid choice" in page_text(refused)
    assert admin_client.get(f"/api/v1/touchpoints/{touchpoint_id}",
                            headers=org.headers).get_json()["follow_up_policy"] == "low_scores"


def test_only_admins_change_the_follow_up_policy(client, org, make_staff, touchpoint):
    touchpoint_id, _ = touchpoint
    make_staff(org, role="agent")
    sign_in(client, f"agent@org{org.id}.example", PASSWORD)

    page = page_text(client.get(f"/touchpoints/{touchpoint_id}"))
    response = client.post(f"/touchpoints/{touchpoint_id}/follow-up-policy",
                           data={"follow_up_policy": "comments", "csrf_token": csrf_token(page)})

    assert policy_on_page(page) == "Every comment and every low score"
    assert "follow-up-policy" not in page
    assert response.status_code == 403


def test_recent_answers_are_listed_newest_first_with_their_customer(admin_client, org, touchpoint, make_response):
    touchpoint_id, _ = touchpoint
    make_response(org, touchpoint_id, score=5, comment="Older and happy",
                  created_at=utcnow() - timedelta(days=3), customer={"external_id": "cust-1", "email": None})
    make_response(org, touchpoint_id, score=1, comment="Newer and late")

    page = page_text(admin_client.get(f"/touchpoints/{touchpoint_id}"))

    assert page.index("Newer and late") < page.index("Older and happy")
    assert re.search(r'<a href="/customers/\d+">cust-1</a>', page)
    assert "Anonymous" in page


def test_customer_text_is_escaped_on_the_touchpoint_and_customer_pages(app, admin_client, org, touchpoint,
                                                                        make_response):
    touchpoint_id, _ = touchpoint
    make_response(org, touchpoint_id, score=1, comment=SCRIPT,
                  customer={"external_id": '"><svg onload=alert(1)>', "email": None})
    with app.app_context(), org.scope():
        customer_id = db.session.scalar(select(Customer.id))

    for path in (f"/touchpoints/{touchpoint_id}", f"/customers/{customer_id}"):
        page = page_text(admin_client.get(path))
        assert SCRIPT not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path
        assert "<svg onload" not in page, path


# ---- The customer page ---------------------------------------------------------

def test_the_customer_page_shows_the_timeline_across_touchpoints_newest_first(
        app, admin_client, org, touchpoint, make_touchpoint, make_response):
    touchpoint_id, _ = touchpoint
    checkout_id, _ = make_touchpoint(org, name="Checkout", survey={"metric": "ces"})
    person = {"external_id": "cust-7", "email": "cust7@mail.example"}
    make_response(org, checkout_id, score=6, comment="Easy checkout", customer=person,
                  created_at=utcnow() - timedelta(days=5))
    make_response(org, touchpoint_id, score=2, comment="Parcel was late", customer=person)
    with app.app_context(), org.scope():
        customer_id = db.session.scalar(select(Customer.id))

    page = page_text(admin_client.get(f"/customers/{customer_id}"))

    assert "<h1>cust-7</h1>" in page and "cust7@mail.example" in page
    assert page.index("Parcel was late") < page.index("Easy checkout")
    assert f'href="/touchpoints/{touchpoint_id}"' in page and f'href="/touchpoints/{checkout_id}"' in page
    assert "How was your delivery?" in page
    assert re.search(r'<span class="score-chip score-low"[^>]*>2</span>', page)
    assert re.search(r'<span class="score-chip score-high"[^>]*>6</span>', page)


def test_the_touchpoint_page_draws_its_weekly_trend_with_intervals_and_provisional_weeks(
        app, admin_client, org, touchpoint, make_response):
    touchpoint_id, _ = touchpoint
    now = utcnow()
    # One well-answered week (32 answers on its Tuesday), then a thin one.
    earlier = (now - timedelta(days=14)).replace(hour=12, minute=0, second=0, microsecond=0)
    tuesday = earlier - timedelta(days=earlier.weekday() - 1)
    for i in range(32):
        make_response(org, touchpoint_id, score=5 if i % 2 else 2, created_at=tuesday + timedelta(minutes=i))
    make_response(org, touchpoint_id, score=1, comment="The parcel was soaked.", created_at=now - timedelta(hours=1),
                  sentiment=("negative", -0.6))
    with app.app_context(), org.scope():
        from feedback_service.core.database import commit
        from feedback_service.loop import opening

        latest = db.session.scalar(select(Response).where(Response.comment.is_not(None)))
        follow_up = opening.open_for_response(latest)
        commit()
        follow_up_id = follow_up.id

    page = page_text(admin_client.get(f"/touchpoints/{touchpoint_id}"))

    assert "Trend, week by week" in page and '<svg class="trend-chart"' in page
    points = re.findall(r'<g class="bucket( provisional)?">', page)
    assert len(points) >= 2 and "" in points and " provisional" in points  # a full week and a thin one
    assert re.search(r'<span class="ci" title="95 % interval">[\d.]+%–[\d.]+%</span>', page)
    assert "The parcel was soaked." in page and f"/follow-ups/{follow_up_id}" in page
