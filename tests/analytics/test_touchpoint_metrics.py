"""GET /api/v1/touchpoints/{id}/metrics: the headline with an honest interval, and its trend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from feedback_service.analytics.intervals import nps_interval, wilson
from feedback_service.core.database import commit
from feedback_service.extensions import db
from feedback_service.loop import opening
from feedback_service.models import Display, Response
from tests.helpers.assertions import assert_error

# A Wednesday, so that weeks (from Monday) and days are told apart.
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def metrics(client, org, touchpoint_id, **query):
    answer = client.get(f"/api/v1/touchpoints/{touchpoint_id}/metrics", headers=org.headers,
                        query_string={"to": NOW.isoformat(), **query})
    return answer


def test_wilson_and_the_nps_interval_give_the_textbook_figures():
    assert wilson(240, 400) == pytest.approx(type(wilson(1, 1))(55.1, 64.7, 0.95, "wilson"))
    two_bad = wilson(0, 2)
    assert (two_bad.low, two_bad.high) == (0.0, 65.8)  # two answers know little
    all_good = wilson(10, 10)
    assert (all_good.low, all_good.high) == (72.2, 100.0)  # never past 100, never zero width
    nps = nps_interval(promoters=50, detractors=20, n=100)  # NPS 30
    assert (nps.low, nps.high, nps.method) == (14.0, 44.3, "adjusted_wald_trinomial")
    assert nps_interval(5, 0, 5).high == 100.0 and nps_interval(5, 0, 5).low > 0
    assert wilson(0, 0) is None and nps_interval(0, 0, 0) is None


def test_a_touchpoints_figures_come_with_their_interval_n_and_a_weekly_series(
        client, org, make_touchpoint, make_response):
    touchpoint_id, _ = make_touchpoint(org, survey={"metric": "csat"})
    # 40 answers over three weeks: 24 in the top box (60 %).
    scores = [5, 4, 4, 3, 2] * 8
    for i, score in enumerate(scores):
        make_response(org, touchpoint_id, score=score, created_at=NOW - timedelta(days=20) + timedelta(hours=12 * i))

    answer = metrics(client, org, touchpoint_id, **{"from": (NOW - timedelta(days=21)).isoformat()})

    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["metric"], body["n"], body["score"], body["mean"]) == ("csat", 40, 60.0, 3.6)
    assert body["ci"]["method"] == "wilson" and body["ci"]["level"] == 0.95
    assert body["ci"]["low"] < 60.0 < body["ci"]["high"]
    assert body["provisional"] is False and body["min_n"] == 30
    weeks = body["series"]
    assert [datetime.fromisoformat(w["start"]).weekday() for w in weeks] == [0] * len(weeks)
    assert sum(w["n"] for w in weeks) == 40
    assert all(w["provisional"] for w in weeks)  # no single week has 30 answers
    assert all(w["ci_low"] <= w["score"] <= w["ci_high"] for w in weeks if w["n"])


def test_few_answers_are_provisional_and_an_empty_bucket_is_shown_empty(client, org, make_touchpoint, make_response):
    touchpoint_id, _ = make_touchpoint(org, survey={"metric": "nps"})
    make_response(org, touchpoint_id, score=10, created_at=NOW - timedelta(days=2))
    make_response(org, touchpoint_id, score=2, created_at=NOW - timedelta(days=2))

    body = metrics(client, org, touchpoint_id, interval="day", **{"from": (NOW - timedelta(days=3)).isoformat()}).json

    assert (body["n"], body["score"], body["provisional"]) == (2, 0.0, True)
    assert body["ci"]["method"] == "adjusted_wald_trinomial" and body["ci"]["low"] < 0 < body["ci"]["high"]
    by_day = {w["start"][:10]: w for w in body["series"]}
    assert by_day["2026-11-23"]["n"] == 2
    assert by_day["2026-11-22"] == {"start": by_day["2026-11-22"]["start"], "n": 0, "score": None, "mean": None,
                                    "ci_low": None, "ci_high": None, "provisional": True}


def test_channel_sentiment_response_rate_and_the_most_negative_comments(
        app, client, org, make_touchpoint, make_response):
    touchpoint_id, _ = make_touchpoint(org, survey={"metric": "csat"})
    at = NOW - timedelta(days=1)
    angry = make_response(org, touchpoint_id, score=1, comment="Rude and useless, never again.", created_at=at,
                          sentiment=("negative", -0.8))
    meh = make_response(org, touchpoint_id, score=2, comment="Slow.", created_at=at, source="email",
                        sentiment=("negative", -0.2))
    make_response(org, touchpoint_id, score=5, comment="Lovely!", created_at=at, sentiment=("positive", 0.7))
    for _ in range(2):
        make_response(org, touchpoint_id, score=4, created_at=at)
    with app.app_context(), org.scope():
        db.session.add_all([Display(touchpoint_id=touchpoint_id, source="widget", created_at=at,
                                    organization_id=org.id) for _ in range(8)])
        follow_up_id = opening.open_for_response(db.session.get(Response, angry)).id
        commit()

    body = metrics(client, org, touchpoint_id).json
    assert body["sentiment"] == {"n": 3, "positive": 1, "neutral": 0, "negative": 2,
                                 "shares": {"positive": 33.3, "neutral": 0.0, "negative": 66.7}}
    # Four widget answers of eight showings; the emailed answer was never "shown" by the widget.
    assert (body["displays"], body["response_rate"]) == (8, 50.0)
    assert [c["response_id"] for c in body["negative_comments"]] == [angry, meh]
    assert body["negative_comments"][0]["follow_up_id"] == follow_up_id

    by_email = metrics(client, org, touchpoint_id, channel="email").json
    assert (by_email["n"], by_email["displays"], by_email["response_rate"]) == (1, 0, None)


def test_bad_queries_name_their_field_and_other_tenants_touchpoints_are_not_found(
        client, org, make_org, make_touchpoint):
    touchpoint_id, _ = make_touchpoint(org)
    assert_error(metrics(client, org, touchpoint_id, interval="year"), 422, "interval")
    assert_error(metrics(client, org, touchpoint_id, channel="fax"), 422, "channel")
    assert_error(metrics(client, org, touchpoint_id, **{"from": (NOW + timedelta(days=1)).isoformat()}), 422, "from")
    assert_error(metrics(client, org, touchpoint_id, interval="day",
                         **{"from": (NOW - timedelta(days=800)).isoformat()}), 422, "interval")
    other = make_org("Other shop")
    other_touchpoint, _ = make_touchpoint(other)
    assert metrics(client, org, other_touchpoint).status_code == 404


@pytest.mark.parametrize(("path", "query", "field"), [
    ("/api/v1/journeys/{journey}/report", {"from": "0001-01-01T00:00:00+00:00", "to": "0001-01-05T00:00:00+00:00"},
     "from"),
    ("/api/v1/journeys/{journey}/report", {"from": "9999-12-31T01:00:00+00:00", "to": "9999-12-31T02:00:00+00:00"},
     "from"),
    ("/api/v1/touchpoints/{touchpoint}/themes", {"to": "0001-01-05T00:00:00+00:00"}, "to"),
    ("/api/v1/touchpoints/{touchpoint}/metrics", {"to": "0001-01-05T00:00:00+00:00"}, "to"),
])
def test_a_period_at_the_calendars_edge_is_refused_by_name_not_a_500(client, org, make_journey, make_touchpoint,
                                                                    path, query, field):
    journey_id = make_journey(org)
    touchpoint_id, _ = make_touchpoint(org, journey_id)
    answer = client.get(path.format(journey=journey_id, touchpoint=touchpoint_id), query_string=query,
                        headers=org.headers)
    assert_error(answer, 422, field)
