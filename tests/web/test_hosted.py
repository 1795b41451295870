"""Channels beyond the web page: the hosted survey, email one-click links, QR codes."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from feedback_service.extensions import db
from feedback_service.models import Response


@pytest.fixture
def touchpoint(org, make_touchpoint):
    tp_id, pk = make_touchpoint(org, name="Delivery", channel="email", survey={"metric": "csat"})
    return {"id": tp_id, "pk": pk}


def form_token(page: bytes) -> str:
    return re.search(rb'name="form_token" value="([^"]+)"', page).group(1).decode()


def responses(app) -> list[Response]:
    with app.app_context():
        return list(db.session.scalars(select(Response).order_by(Response.id)))


def path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_hosted_page_is_a_plain_form_with_every_score(client, touchpoint):
    page = client.get(f"/s/{touchpoint['pk']}")
    assert page.status_code == 200
    html = page.data.decode()
    assert "<script" not in html  # works with JavaScript off
    assert [int(v) for v in re.findall(r'name="score" value="(\d+)"', html)] == [1, 2, 3, 4, 5]
    assert "How satisfied are you" in html
    assert ">Send</button>" in html


def test_hosted_form_stores_score_and_comment_once(app, client, touchpoint):
    token = form_token(client.get(f"/s/{touchpoint['pk']}").data)
    form = {"form_token": token, "score": "2", "comment": "Box was crushed", "src": "qr"}
    first = client.post(f"/s/{touchpoint['pk']}", data=form)
    again = client.post(f"/s/{touchpoint['pk']}", data=form)  # a double click
    assert first.status_code == again.status_code == 200
    stored = responses(app)
    assert [(r.score, r.comment, r.source) for r in stored] == [(2, "Box was crushed", "qr")]


def test_hosted_form_without_comment_offers_the_comment_step(app, client, touchpoint):
    token = form_token(client.get(f"/s/{touchpoint['pk']}").data)
    step = client.post(f"/s/{touchpoint['pk']}", data={"form_token": token, "score": "1"}).data.decode()
    response_id = re.search(r'name="response_id" value="(\d+)"', step).group(1)
    edit_token = re.search(r'name="edit_token" value="([^"]+)"', step).group(1)
    assert "We are sorry" in step  # the low-score prompt
    client.post(f"/s/{touchpoint['pk']}/comment",
                data={"response_id": response_id, "edit_token": edit_token, "comment": "Two days late"})
    assert [(r.score, r.comment) for r in responses(app)] == [(1, "Two days late")]


def test_the_hosted_comment_box_still_takes_the_comment_hours_later(app, client, touchpoint, monkeypatch):
    """People leave the tab open; the widget's own edit token lasts 30 minutes, this form a day."""
    import time as real_time

    import itsdangerous.timed

    token = form_token(client.get(f"/s/{touchpoint['pk']}").data)
    step = client.post(f"/s/{touchpoint['pk']}", data={"form_token": token, "score": "2"}).data.decode()
    response_id = re.search(r'name="response_id" value="(\d+)"', step).group(1)
    edit_token = re.search(r'name="edit_token" value="([^"]+)"', step).group(1)
    later = real_time.time() + 3 * 3600

    class ThreeHoursLater:
        @staticmethod
        def time():
            return later

    monkeypatch.setattr(itsdangerous.timed, "time", ThreeHoursLater)
    widget = client.patch(f"/w/{touchpoint['pk']}/responses/{response_id}", json={"comment": "Too late here"},
                          headers={"Authorization": f"Bearer {edit_token}"})
    hosted = client.post(f"/s/{touchpoint['pk']}/comment",
                         data={"response_id": response_id, "edit_token": edit_token, "comment": "Box was crushed"})

    assert widget.status_code == 403
    assert hosted.status_code == 200 and "expired" not in hosted.data.decode()
    assert [(r.score, r.comment) for r in responses(app)] == [(2, "Box was crushed")]


def test_too_many_answers_get_a_page_saying_when_to_try_again(app, client, touchpoint, monkeypatch):
    monkeypatch.setitem(app.config, "WIDGET_SUBMIT_LIMIT", "2/minute")
    token = form_token(client.get(f"/s/{touchpoint['pk']}").data)
    for score in ("4", "5"):
        client.post(f"/s/{touchpoint['pk']}", data={"form_token": form_token(client.get(f"/s/{touchpoint['pk']}").data),
                                                   "score": score})

    refused = client.post(f"/s/{touchpoint['pk']}", data={"form_token": token, "score": "3"})

    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "Please try again in" in refused.data.decode() and 'name="score"' in refused.data.decode()
    assert [r.score for r in responses(app)] == [4, 5]


def test_hosted_form_refuses_a_score_off_the_scale(app, client, touchpoint):
    token = form_token(client.get(f"/s/{touchpoint['pk']}").data)
    answer = client.post(f"/s/{touchpoint['pk']}", data={"form_token": token, "score": "9"})
    assert answer.status_code == 422
    assert "choose a score from 1 to 5" in answer.data.decode()
    assert responses(app) == []


def test_hosted_form_honeypot_stores_nothing(app, client, touchpoint):
    token = form_token(client.get(f"/s/{touchpoint['pk']}").data)
    answer = client.post(f"/s/{touchpoint['pk']}", data={"form_token": token, "score": "5", "website": "x"})
    assert answer.status_code == 200
    assert responses(app) == []


def test_email_link_records_the_score_on_the_click_once(app, client, org, touchpoint):
    made = client.post(f"/api/v1/touchpoints/{touchpoint['id']}/email-links", headers=org.headers,
                       json={"customer_id": "cust-9", "customer_email": "Nia@Example.com"})
    assert made.status_code == 201
    assert sorted(made.json["links"]) == ["1", "2", "3", "4", "5"]
    click = client.get(path(made.json["links"]["4"]))
    assert click.status_code == 200
    assert "name=\"comment\"" in click.data.decode()
    client.get(path(made.json["links"]["4"]))
    stored = responses(app)
    assert [(r.score, r.source) for r in stored] == [(4, "email")]
    customer = client.get(f"/api/v1/customers/{stored[0].customer_id}", headers=org.headers).json
    assert (customer["external_id"], customer["email"]) == ("cust-9", "nia@example.com")


def test_clicking_another_score_in_the_same_email_corrects_it(app, client, org, touchpoint):
    links = client.post(f"/api/v1/touchpoints/{touchpoint['id']}/email-links", headers=org.headers,
                        json={"customer_email": "a@example.com"}).json["links"]
    client.get(path(links["1"]))
    client.get(path(links["5"]))
    assert [r.score for r in responses(app)] == [5]


def _links(client, org, touchpoint) -> dict:
    return client.post(f"/api/v1/touchpoints/{touchpoint['id']}/email-links", headers=org.headers,
                       json={"customer_email": "nia@example.com"}).json["links"]


def _follow_ups(client, org) -> list[tuple[int, str]]:
    return [(f["response_id"], f["priority"]) for f in client.get("/api/v1/follow-ups", headers=org.headers).json["data"]]


def _updates(client, org) -> list[int]:
    events = client.get("/api/v1/events?type=response.updated", headers=org.headers).json["data"]
    return [e["data"]["response"]["score"] for e in events]


def test_a_score_corrected_down_from_the_email_opens_its_follow_up(app, client, org, touchpoint):
    links = _links(client, org, touchpoint)
    client.get(path(links["5"]))
    assert _follow_ups(client, org) == []  # a 5 without a comment needs none

    client.get(path(links["1"]))  # mis-tapped: the customer meant 1

    [stored] = responses(app)
    assert stored.score == 1
    assert _follow_ups(client, org) == [(stored.id, "high")]
    assert _updates(client, org) == [1]


def test_a_score_corrected_up_from_the_email_makes_its_follow_up_less_urgent(app, client, org, touchpoint):
    links = _links(client, org, touchpoint)
    client.get(path(links["1"]))
    [(response_id, before)] = _follow_ups(client, org)

    client.get(path(links["4"]))

    [(_, after)] = _follow_ups(client, org)
    assert (before, after) == ("high", "normal")  # a 4 is satisfied, not delighted (loop.priority)
    assert _updates(client, org) == [4]


def test_a_forged_or_foreign_link_records_nothing(app, client, org, make_touchpoint, touchpoint):
    other_id, other_pk = make_touchpoint(org, name="Returns")
    links = client.post(f"/api/v1/touchpoints/{other_id}/email-links", headers=org.headers,
                        json={"customer_email": "a@example.com"}).json
    foreign = client.get(f"/s/{touchpoint['pk']}?score=3&t={links['token']}")
    forged = client.get(f"/s/{touchpoint['pk']}?score=3&t={links['token'][:-2]}xx")
    assert "expired or is not valid" in foreign.data.decode()
    assert "expired or is not valid" in forged.data.decode()
    assert responses(app) == []


def test_email_links_need_a_valid_customer_email(client, org, touchpoint):
    answer = client.post(f"/api/v1/touchpoints/{touchpoint['id']}/email-links", headers=org.headers,
                         json={"customer_email": "nope"})
    assert answer.status_code == 422
    assert "customer_email" in answer.json["errors"]


def test_email_links_cli_prints_one_link_per_score(runner, touchpoint):
    result = runner.invoke(args=["email-links", str(touchpoint["id"]), "--customer-email", "a@example.com"])
    assert result.exit_code == 0, result.output
    assert len(re.findall(r"/s/pk_\w+\?score=\d&t=", result.output)) == 5


def test_qr_codes_point_at_the_hosted_page(client, touchpoint):
    svg = client.get(f"/s/{touchpoint['pk']}/qr.svg")
    png = client.get(f"/s/{touchpoint['pk']}/qr.png")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")


def test_touchpoint_api_lists_its_channels(client, org, touchpoint):
    body = client.get(f"/api/v1/touchpoints/{touchpoint['id']}", headers=org.headers).json
    assert body["hosted_url"].endswith(f"/s/{touchpoint['pk']}")
    assert body["qr_code_svg_url"].endswith("/qr.svg")
    assert f'data-touchpoint="{touchpoint["pk"]}"' in body["embed_snippet"]


def test_one_customer_across_channels(app, client, org, make_touchpoint):
    web_id, web_pk = make_touchpoint(org, name="Cart & checkout", channel="web")
    mail_id, _ = make_touchpoint(org, name="Delivery", channel="email")
    client.post(f"/w/{web_pk}/responses", json={"score": 2, "customer": {"id": "u-1", "email": "ann@example.com"},
                                                 "comment": "Free shipping did not apply"})
    links = client.post(f"/api/v1/touchpoints/{mail_id}/email-links", headers=org.headers,
                        json={"customer_email": "ann@example.com"}).json["links"]
    client.get(path(links["5"]))
    found = client.get("/api/v1/customers?email=ANN@example.com", headers=org.headers).json["data"]
    assert len(found) == 1
    timeline = client.get(f"/api/v1/customers/{found[0]['id']}", headers=org.headers).json["timeline"]
    answers = [(e["touchpoint_name"], e["source"]) for e in timeline if e["type"] == "response"]
    assert answers == [("Delivery", "email"), ("Cart & checkout", "widget")]
    follow_ups = [(e["touchpoint_name"], e["status"]) for e in timeline if e["type"] == "follow_up"]
    assert follow_ups == [("Cart & checkout", "new")]  # the comment opened one; nobody owns it yet
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 2
