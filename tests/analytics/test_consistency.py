"""Consistency: a touchpoint whose figure swings more than its sampling explains is flagged."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from feedback_service.analytics.consistency import homogeneity_p
from feedback_service.models import utcnow


def test_the_chi_square_test_on_hand_computed_tables():
    # Two weeks of 40 answers, 20 satisfied each: the same experience, p = 1.
    assert homogeneity_p("csat", [Counter({5: 20, 1: 20}), Counter({4: 20, 2: 20})]) == pytest.approx(1.0)
    # 36 of 40 satisfied, then 12 of 40: expected 24 and 16 each week, chi² = 2 × (12²/24 + 12²/16) = 30,
    # one degree of freedom: p = 4.3e-8.
    assert homogeneity_p("csat", [Counter({5: 36, 1: 4}), Counter({5: 12, 1: 28})]) == pytest.approx(4.3e-8, rel=0.02)
    # NPS has three categories: promoters, passives, detractors.
    assert homogeneity_p("nps", [Counter({10: 10, 8: 10, 0: 10}), Counter({10: 10, 8: 10, 0: 10})]) == pytest.approx(1)
    # One group, or one category in use, tests nothing.
    assert homogeneity_p("csat", [Counter({5: 10})]) is None
    assert homogeneity_p("csat", [Counter({5: 10}), Counter({4: 30})]) is None


def test_a_touchpoint_that_swings_week_to_week_is_inconsistent_a_steady_one_is_not(
        client, org, make_journey, make_touchpoint, make_response, make_key):
    journey_id = make_journey(org)
    swinging, _ = make_touchpoint(org, journey_id, name="Delivery", survey={"metric": "csat"})
    steady, _ = make_touchpoint(org, journey_id, name="Returns", survey={"metric": "csat"})
    thin, _ = make_touchpoint(org, journey_id, name="Advert", survey={"metric": "csat"})
    now = utcnow()
    for week in range(6):
        at = now - timedelta(days=7 * week + 2)
        good = 36 if week % 2 else 10  # 90 %, then 25 %, of 40
        for i in range(40):
            make_response(org, swinging, score=5 if i < good else 1, created_at=at)
            make_response(org, steady, score=5 if i < 24 + (week % 2) * 2 else 2, created_at=at)
        for i in range(5):  # too few a week to take part
            make_response(org, thin, score=5 if week % 2 else 1, created_at=at)

    body = client.get(f"/api/v1/journeys/{journey_id}/report", headers=make_key(org, "viewer")).json
    by_name = {t["name"]: t["consistency"] for t in body["touchpoints"]}

    assert by_name["Delivery"]["inconsistent"] is True
    assert by_name["Delivery"]["periods"] == 6 and by_name["Delivery"]["spread"] == 65.0
    assert by_name["Delivery"]["p_periods"] < 0.01
    assert by_name["Returns"]["inconsistent"] is False and by_name["Returns"]["spread"] == 5.0
    assert by_name["Returns"]["p_periods"] > 0.5
    assert by_name["Advert"] == {"spread": None, "inconsistent": False, "periods": 0, "p_periods": None,
                                 "p_channels": None}
