"""GET /api/v1/journeys/{id}/report: where the journey hurts, touchpoint by touchpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest

from feedback_service import rollups
from feedback_service.core.database import commit
from feedback_service.extensions import db
from feedback_service.models import utcnow


@pytest.fixture
def journey(org, make_journey, make_touchpoint):
    journey_id = make_journey(org, "Buying shoes online")
    checkout, checkout_pk = make_touchpoint(org, journey_id, name="Cart & checkout", survey={"metric": "csat"})
    delivery, delivery_pk = make_touchpoint(org, journey_id, name="Delivery", survey={"metric": "nps"})
    returns, _ = make_touchpoint(org, journey_id, name="Returns", survey={"metric": "ces"})
    return {"id": journey_id, "checkout": (checkout, checkout_pk), "delivery": (delivery, delivery_pk),
            "returns": returns}


def answer(client, pk, score, comment=None):
    body = {"score": score, **({"comment": comment} if comment else {})}
    assert client.post(f"/w/{pk}/responses", json=body).status_code == 201


def test_the_report_gives_each_touchpoints_figures_and_ranks_the_one_that_hurts_most_first(
        client, org, journey):
    checkout, checkout_pk = journey["checkout"]
    delivery, delivery_pk = journey["delivery"]
    answer(client, checkout_pk, 5, "Great, quick and easy!")
    answer(client, checkout_pk, 4)
    answer(client, checkout_pk, 2, "Terrible. The coupon failed and the page crashed.")
    for score in (0, 3, 10):
        answer(client, delivery_pk, score)

    report = client.get(f"/api/v1/journeys/{journey['id']}/report", headers=org.headers)

    assert report.status_code == 200
    body = report.json
    assert body["journey_id"] == journey["id"] and body["from"] < body["to"]
    by_id = {t["touchpoint_id"]: t for t in body["touchpoints"]}
    assert [t["name"] for t in body["touchpoints"]] == ["Cart & checkout", "Delivery", "Returns"]
    assert by_id[checkout] | {"sentiment": None} == {
        "touchpoint_id": checkout, "name": "Cart & checkout", "position": 1, "metric": "csat", "n": 3,
        "score": 66.7, "mean": 3.67, "sentiment": None, "friction_score": 0.665, "band": "at_risk",
        "ci_low": 20.8, "ci_high": 93.9, "provisional": True,
        "consistency": {"spread": None, "inconsistent": False, "periods": 0, "p_periods": None, "p_channels": None},
        "themes": []}
    assert by_id[checkout]["sentiment"] == {"n": 2, "positive": 1, "neutral": 0, "negative": 1,
                                           "shares": {"positive": 50.0, "neutral": 0.0, "negative": 50.0}}
    assert (by_id[delivery]["score"], by_id[delivery]["mean"], by_id[delivery]["band"]) == (-33.3, 4.33, "hurting")
    returns = by_id[journey["returns"]]
    assert (returns["n"], returns["score"], returns["mean"], returns["friction_score"], returns["band"]) == (
        0, None, None, None, "no_data")
    # No answers, no rank. Three answers each say little: ranked by their intervals' upper ends,
    # checkout (at best 93.9 % satisfied) hurts more surely than delivery (at best NPS 55.1).
    assert (by_id[delivery]["provisional"], by_id[delivery]["ci_high"]) == (True, 55.1)
    assert body["friction_ranking"] == [checkout, delivery]


def test_two_bad_answers_do_not_outrank_four_hundred_mediocre_ones(app, client, org, journey, make_response):
    checkout, _ = journey["checkout"]
    delivery, _ = journey["delivery"]
    returns = journey["returns"]
    now = utcnow() - timedelta(hours=1)
    # Returns: two answers, both bad (CES 0 % easy). Checkout: 400 answers, 60 % satisfied.
    for _ in range(2):
        make_response(org, returns, score=1, created_at=now)
    with app.app_context(), org.scope():
        from feedback_service.models import Response, Touchpoint

        touchpoint = db.session.get(Touchpoint, checkout)
        mediocre = [Response(touchpoint=touchpoint, survey_version=touchpoint.survey, metric="csat",
                             score=4 if i % 5 < 3 else 2, sentiment_status="skipped",
                             sentiment_reason="no_comment", created_at=now, updated_at=now)
                    for i in range(400)]
        db.session.add_all(mediocre)
        db.session.flush()
        rollups.count(mediocre)
        commit()

    body = client.get(f"/api/v1/journeys/{journey['id']}/report", headers=org.headers).json

    by_id = {t["touchpoint_id"]: t for t in body["touchpoints"]}
    assert by_id[returns]["friction_score"] > by_id[checkout]["friction_score"]  # the points alone say returns
    assert (by_id[returns]["provisional"], by_id[checkout]["provisional"]) == (True, False)
    assert body["friction_ranking"] == [checkout, returns]  # the intervals say checkout surely hurts
    assert delivery not in body["friction_ranking"]


def test_the_period_bounds_what_is_counted(app, client, org, journey, make_response):
    checkout, _ = journey["checkout"]
    now = utcnow()
    make_response(org, checkout, score=1, created_at=now - timedelta(days=200))
    make_response(org, checkout, score=5, created_at=now - timedelta(days=10))

    recent = client.get(f"/api/v1/journeys/{journey['id']}/report", headers=org.headers).json
    older = client.get(f"/api/v1/journeys/{journey['id']}/report", headers=org.headers, query_string={
        "from": (now - timedelta(days=365)).isoformat(), "to": (now - timedelta(days=100)).isoformat()}).json

    [recent_checkout] = [t for t in recent["touchpoints"] if t["touchpoint_id"] == checkout]
    [older_checkout] = [t for t in older["touchpoints"] if t["touchpoint_id"] == checkout]
    assert (recent_checkout["n"], recent_checkout["score"]) == (1, 100.0)  # the default: the last 90 days
    assert (older_checkout["n"], older_checkout["score"]) == (1, 0.0)


@pytest.mark.parametrize("query,field", [
    ({"from": "2026-06-01T00:00:00+00:00", "to": "2026-05-01T00:00:00+00:00"}, "from"),
    ({"from": "last week"}, "from"),
    ({"to": "2026-05-01T00:00:00"}, "to"),  # no offset: which instant?
    ({"since": "2026-05-01T00:00:00+00:00"}, "since"),
])
def test_a_bad_period_is_a_422_naming_the_argument(client, org, journey, query, field):
    refused = client.get(f"/api/v1/journeys/{journey['id']}/report", headers=org.headers, query_string=query)
    assert refused.status_code == 422
    assert field in refused.json["errors"]


def test_another_organisations_journey_has_no_report(client, make_org, journey):
    other = make_org("Another shop")
    assert client.get(f"/api/v1/journeys/{journey['id']}/report", headers=other.headers).status_code == 404
