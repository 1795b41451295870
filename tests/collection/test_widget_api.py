"""The public submit API: what a customer's browser may send, and what it gets back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from feedback_service.extensions import db
from feedback_service.journeys.widget_texts import UI_TEXTS
from feedback_service.models import Display, Response

ORIGIN = "https://shop.example.com"


@pytest.fixture
def touchpoint(org, make_touchpoint):
    """A CES touchpoint embedded on shop.example.com."""
    tp_id, pk = make_touchpoint(org, name="Cart & checkout", allowed_origins=[ORIGIN],
                                survey={"metric": "ces", "low_score_prompt": "What went wrong?"})
    return {"id": tp_id, "pk": pk}


def post(client, pk, body, origin=ORIGIN, key=None, **kwargs):
    headers = {"Origin": origin} if origin else {}
    if key:
        headers["Idempotency-Key"] = key
    return client.post(f"/w/{pk}/responses", json=body, headers=headers, **kwargs)


def count(app, model=Response) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_survey_describes_what_to_show(client, touchpoint):
    body = client.get(f"/w/{touchpoint['pk']}/survey", headers={"Origin": ORIGIN}).json
    assert body["survey"]["metric"] == "ces"
    assert body["survey"]["scale"] == {"min": 1, "max": 7, "low_score_max": 3}
    assert body["survey"]["texts"]["send"] == "Send"
    assert body["suppressed"] is False
    assert body["trigger"]["mode"] == "load"


def test_survey_picks_a_translation_from_accept_language(client, org, make_touchpoint):
    _, pk = make_touchpoint(org, survey={"metric": "csat", "translations": {"de": {"question": "Wie war es?"}}})
    body = client.get(f"/w/{pk}/survey", headers={"Accept-Language": "de-DE,de;q=0.9"}).json
    assert body["survey"]["question"] == "Wie war es?"
    assert body["survey"]["language"] == "de"
    assert body["survey"]["texts"]["send"] == "Senden"


def test_the_widgets_words_come_from_the_translation_shown_then_english(client, org, make_touchpoint):
    _, pk = make_touchpoint(org, survey={"metric": "csat", "translations": {
        "it": {"question": "Com'è andata?", "texts": {"send": "Invia", "close": "Chiudi"}}}})
    texts = client.get(f"/w/{pk}/survey", headers={"Accept-Language": "de-CH,it;q=0.8"}).json["survey"]["texts"]
    # Italian where the translation says it; English, not the browser's German, for the rest.
    assert texts["send"] == "Invia" and texts["close"] == "Chiudi"
    assert texts["skip"] == "No comment" and texts["queued_score"] == UI_TEXTS["en"]["queued_score"]
    assert set(texts) == set(UI_TEXTS["en"])


def test_a_survey_gives_the_widgets_words_in_its_own_language(client, org, make_touchpoint):
    _, pk = make_touchpoint(org, survey={"metric": "csat", "language": "de", "texts": {"send": "Abschicken"},
                                         "translations": {"it": {"texts": {"send": "Invia"}}}})
    body = client.get(f"/w/{pk}/survey", headers={"Accept-Language": "de-DE"}).json["survey"]
    assert body["language"] == "de"
    assert body["texts"]["send"] == "Abschicken"  # its own word over the built-in "Senden"
    assert body["texts"]["close"] == "Schließen"  # the built-in German for the rest
    assert body["question"] == "Wie zufrieden sind Sie mit Ihrer Erfahrung?"


def test_score_alone_is_stored_as_a_partial_response(app, client, touchpoint):
    answer = post(client, touchpoint["pk"], {"score": 6})
    assert answer.status_code == 201
    assert answer.json["id"] and answer.json["edit_token"]
    assert answer.json["follow_up_prompt"] == "What is the main reason for your score?"
    assert count(app) == 1


def test_low_score_gets_the_low_score_prompt(client, touchpoint):
    assert post(client, touchpoint["pk"], {"score": 2}).json["follow_up_prompt"] == "What went wrong?"


def test_comment_is_added_to_the_same_response_with_the_edit_token(app, client, org, touchpoint):
    first = post(client, touchpoint["pk"], {"score": 2}).json
    patched = client.patch(f"/w/{touchpoint['pk']}/responses/{first['id']}", json={"comment": "  Slow checkout.  "},
                           headers={"Origin": ORIGIN, "Authorization": f"Bearer {first['edit_token']}"})
    assert patched.status_code == 200
    stored = client.get(f"/api/v1/responses/{first['id']}", headers=org.headers).json
    assert stored["comment"] == "Slow checkout."
    assert stored["sentiment"]["status"] == "scored"  # in-process scoring ran after the commit
    assert stored["sentiment"]["label"] in {"negative", "neutral"}
    assert count(app) == 1


def test_comment_needs_the_token_of_that_response(client, touchpoint):
    first = post(client, touchpoint["pk"], {"score": 5}).json
    second = post(client, touchpoint["pk"], {"score": 6}).json
    url = f"/w/{touchpoint['pk']}/responses/{second['id']}"
    wrong = client.patch(url, json={"comment": "hi"}, headers={"Authorization": f"Bearer {first['edit_token']}"})
    missing = client.patch(url, json={"comment": "hi"})
    assert wrong.status_code == 403
    assert missing.status_code == 401


def test_comment_is_trimmed_and_empty_means_none(org, client, touchpoint):
    answer = post(client, touchpoint["pk"], {"score": 5, "comment": "   "}).json
    assert answer["comment"] is None
    stored = client.get(f"/api/v1/responses/{answer['id']}", headers=org.headers).json
    assert stored["sentiment"] == {**stored["sentiment"], "status": "skipped", "reason": "no_comment"}


@pytest.mark.parametrize("body, field", [
    ({"score": 0}, "score"),
    ({"score": 8}, "score"),
    ({"score": "5"}, "score"),
    ({"score": 4.5}, "score"),
    ({}, "score"),
    ({"score": 5, "comment": "x" * 5001}, "comment"),
    ({"score": 5, "context": {f"k{i}": i for i in range(21)}}, "context"),
    ({"score": 5, "context": {"nested": {"a": 1}}}, "context"),
    ({"score": 5, "context": {"long": "x" * 201}}, "context"),
    ({"score": 5, "context": ["not", "an", "object"]}, "context"),
    ({"score": 5, "context": {"order": 10**16}}, "context"),
    ({"score": 5, "customer": {"email": "not-an-email"}}, "customer"),
    ({"score": 5, "unexpected": 1}, "unexpected"),
])
def test_invalid_answers_are_refused_naming_the_field_and_store_nothing(app, client, touchpoint, body, field):
    answer = post(client, touchpoint["pk"], body)
    assert answer.status_code == 422
    assert field in answer.json["errors"]
    assert count(app) == 0


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_numbers_json_does_not_have_are_refused_as_malformed(app, client, touchpoint, number):
    """Python's JSON parser takes these; no database column and no webhook consumer can read them."""
    answer = client.post(f"/w/{touchpoint['pk']}/responses", data='{"score": 5, "context": {"n": %s}}' % number,
                         headers={"Origin": ORIGIN, "Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json["message"] == "The request body is not valid JSON."
    assert count(app) == 0


def test_comment_of_5000_characters_after_trimming_is_accepted(client, touchpoint):
    assert post(client, touchpoint["pk"], {"score": 5, "comment": "  " + "x" * 5000 + "  "}).status_code == 201


def test_body_over_16_kb_is_413(app, client, touchpoint):
    answer = post(client, touchpoint["pk"], {"score": 5, "comment": "x" * 17000})
    assert answer.status_code == 413
    assert answer.json["code"] == 413
    assert count(app) == 0


def test_wrong_content_type_is_415(app, client, touchpoint):
    answer = client.post(f"/w/{touchpoint['pk']}/responses", data="score=5", headers={"Origin": ORIGIN},
                         content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 415
    assert count(app) == 0


def test_unknown_or_archived_key_is_404(client, org, touchpoint):
    assert post(client, "pk_doesnotexist", {"score": 5}).status_code == 404
    client.delete(f"/api/v1/touchpoints/{touchpoint['id']}", headers=org.headers)
    assert post(client, touchpoint["pk"], {"score": 5}).status_code == 404
    assert client.get(f"/w/{touchpoint['pk']}/survey").status_code == 404


def test_a_widget_on_any_page_can_read_that_its_key_is_unknown(client):
    """So it drops the answer instead of queueing it for retries that can never succeed."""
    refused = post(client, "pk_doesnotexist", {"score": 5}, origin="https://anywhere.example")
    assert refused.status_code == 404
    assert refused.headers["Access-Control-Allow-Origin"] == "https://anywhere.example"
    assert "Access-Control-Allow-Credentials" not in refused.headers


def test_honeypot_answers_like_success_and_stores_nothing(app, client, touchpoint):
    answer = post(client, touchpoint["pk"], {"score": 5, "website": "http://spam.example"})
    assert answer.status_code == 201
    assert answer.json["id"] is None
    assert count(app) == 0


def test_same_idempotency_key_and_body_replays_the_first_answer(app, client, touchpoint):
    first = post(client, touchpoint["pk"], {"score": 5, "comment": "Fine"}, key="k-1")
    again = post(client, touchpoint["pk"], {"score": 5, "comment": "Fine"}, key="k-1")
    assert again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(app) == 1


def test_same_idempotency_key_with_another_body_is_422(app, client, touchpoint):
    post(client, touchpoint["pk"], {"score": 5}, key="k-2")
    clash = post(client, touchpoint["pk"], {"score": 1}, key="k-2")
    assert clash.status_code == 422
    assert "idempotency_key" in clash.json["errors"]
    assert count(app) == 1


def test_idempotency_keys_are_per_touchpoint(app, client, org, make_touchpoint, touchpoint):
    _, other_pk = make_touchpoint(org, name="Delivery", allowed_origins=[ORIGIN])
    post(client, touchpoint["pk"], {"score": 5}, key="shared")
    assert post(client, other_pk, {"score": 5}, key="shared").status_code == 201
    assert count(app) == 2


def test_overlong_idempotency_key_is_422(client, touchpoint):
    answer = post(client, touchpoint["pk"], {"score": 5}, key="k" * 256)
    assert answer.status_code == 422
    assert "idempotency_key" in answer.json["errors"]


def test_allowed_origin_gets_cors_without_credentials(client, touchpoint):
    answer = post(client, touchpoint["pk"], {"score": 5})
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Credentials" not in answer.headers
    preflight = client.options(f"/w/{touchpoint['pk']}/responses", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, idempotency-key"})
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Idempotency-Key" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers


def test_every_widget_answer_varies_on_origin_once(client, touchpoint):
    """Caches between the browser and us must not hand one origin's grant to another."""
    granted = post(client, touchpoint["pk"], {"score": 5})
    refused = client.get(f"/w/{touchpoint['pk']}/survey", headers={"Origin": "https://evil.example"})
    serverside = post(client, touchpoint["pk"], {"score": 5}, origin=None)
    for answer in (granted, refused, serverside):
        assert [v.strip() for v in answer.headers.get("Vary", "").split(",")].count("Origin") == 1, answer.headers


def test_vary_keeps_what_was_there_and_adds_origin_once():
    from flask import Flask, Response

    from feedback_service.core.http.cors import add_cors_headers

    with Flask(__name__).test_request_context("/", headers={"Origin": ORIGIN}):
        varied = Response(headers={"Vary": "Accept-Encoding"})
        already = Response(headers={"Vary": "origin"})
        assert add_cors_headers(varied, True).headers["Vary"] == "Accept-Encoding, Origin"
        assert add_cors_headers(already, False).headers["Vary"] == "origin"


def test_other_origin_gets_no_cors_grant_and_403_on_post(app, client, touchpoint):
    evil = "https://evil.example"
    survey = client.get(f"/w/{touchpoint['pk']}/survey", headers={"Origin": evil})
    assert "Access-Control-Allow-Origin" not in survey.headers
    preflight = client.options(f"/w/{touchpoint['pk']}/responses",
                               headers={"Origin": evil, "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    answer = post(client, touchpoint["pk"], {"score": 5}, origin=evil)
    assert answer.status_code == 403
    assert count(app) == 0


def test_an_origin_that_only_shares_a_prefix_is_refused(client, touchpoint):
    assert post(client, touchpoint["pk"], {"score": 5}, origin=ORIGIN + ".evil.example").status_code == 403


def test_displays_are_counted(app, client, touchpoint):
    shown = client.post(f"/w/{touchpoint['pk']}/displays", json={"customer": {"id": "c-1"}},
                        headers={"Origin": ORIGIN})
    assert shown.status_code == 202
    assert count(app, Display) == 1


def test_a_customer_asked_recently_is_suppressed_at_that_touchpoint(client, org, make_touchpoint, touchpoint):
    post(client, touchpoint["pk"], {"score": 5, "customer": {"id": "c-7"}})
    here = client.get(f"/w/{touchpoint['pk']}/survey?customer_id=c-7").json
    _, elsewhere_pk = make_touchpoint(org, name="Delivery")
    elsewhere = client.get(f"/w/{elsewhere_pk}/survey?customer_id=c-7").json
    stranger = client.get(f"/w/{touchpoint['pk']}/survey?customer_id=c-8").json
    assert here["suppressed"] is True
    assert elsewhere["suppressed"] is False  # no organisation-wide cap set
    assert stranger["suppressed"] is False


def test_organisation_wide_cap_suppresses_every_touchpoint(client, org, make_touchpoint, touchpoint):
    capped = client.patch("/api/v1/organization", json={"survey_cap_days": 7}, headers=org.headers)
    assert capped.json["survey_cap_days"] == 7
    _, elsewhere_pk = make_touchpoint(org, name="Delivery")
    client.post(f"/w/{touchpoint['pk']}/displays", json={"customer": {"email": "ann@example.com"}})
    assert client.get(f"/w/{elsewhere_pk}/survey?customer_email=ann@example.com").json["suppressed"] is True


def test_fatigue_window_of_zero_never_suppresses(client, org, make_touchpoint):
    _, pk = make_touchpoint(org, survey={"fatigue_days": 0})
    post(client, pk, {"score": 4, "customer": {"id": "c-1"}}, origin=None)
    assert client.get(f"/w/{pk}/survey?customer_id=c-1").json["suppressed"] is False


def test_rate_limit_answers_429_with_retry_after(app, client, touchpoint, monkeypatch):
    monkeypatch.setitem(app.config, "WIDGET_SUBMIT_LIMIT", "30/minute")
    statuses = [post(client, touchpoint["pk"], {"score": 5}).status_code for _ in range(31)]
    assert statuses[:30] == [201] * 30
    assert statuses[30] == 429
    blocked = post(client, touchpoint["pk"], {"score": 5})
    assert blocked.json["code"] == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert count(app) == 30


def test_follow_up_prompt_follows_the_customers_language(client, org, make_touchpoint):
    _, pk = make_touchpoint(org, survey={"metric": "csat", "translations": {
        "fr": {"comment_prompt": "Pourquoi cette note ?", "low_score_prompt": "Qu'est-ce qui n'allait pas ?"}}})
    high = client.post(f"/w/{pk}/responses", json={"score": 5}, headers={"Accept-Language": "fr-FR"})
    low = client.post(f"/w/{pk}/responses", json={"score": 1}, headers={"Accept-Language": "fr"})
    english = client.post(f"/w/{pk}/responses", json={"score": 5}, headers={"Accept-Language": "en-GB,fr;q=0.5"})
    assert high.json["follow_up_prompt"] == "Pourquoi cette note ?"
    assert low.json["follow_up_prompt"] == "Qu'est-ce qui n'allait pas ?"
    assert english.json["follow_up_prompt"] == "What is the main reason for your score?"


def test_replay_hands_out_a_fresh_edit_token_that_works(client, touchpoint):
    first = post(client, touchpoint["pk"], {"score": 3}, key="replay-token")
    again = post(client, touchpoint["pk"], {"score": 3}, key="replay-token")
    patched = client.patch(f"/w/{touchpoint['pk']}/responses/{again.json['id']}", json={"comment": "ok then"},
                           headers={"Authorization": f"Bearer {again.json['edit_token']}"})
    assert first.json["id"] == again.json["id"]
    assert patched.status_code == 200


def test_survey_cap_is_validated(client, org):
    answer = client.patch("/api/v1/organization", json={"survey_cap_days": -1}, headers=org.headers)
    assert answer.status_code == 422
    assert "survey_cap_days" in answer.json["errors"]
