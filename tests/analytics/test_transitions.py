"""Transitions between stations, on customers constructed by hand, and the steps they come from."""

from __future__ import annotations

from datetime import timedelta

import pytest

from feedback_service.extensions import db
from feedback_service.models import StepRollup, utcnow
from feedback_service.rollups import steps

NOW = utcnow().replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=5)


@pytest.fixture
def stations(org, make_journey, make_touchpoint):
    journey_id = make_journey(org, "Buying shoes")
    made, pks = {}, {}
    for name, metric, channel in (("Browse", "csat", "web"), ("Checkout", "ces", "web"),
                                  ("Call us", "csat", "phone"), ("Delivery", "csat", "email")):
        made[name], pks[name] = make_touchpoint(org, journey_id, name=name, channel=channel,
                                                survey={"metric": metric})
    return journey_id, made, pks


def _walk(org, make_response, made, customer, *answers):
    for days, name, score in answers:
        make_response(org, made[name], score=score, customer={"external_id": customer, "email": None},
                      created_at=NOW + timedelta(days=days))


def test_transitions_count_each_customers_step_to_the_next_station(app, org, client, stations, make_response,
                                                                  make_key):
    journey_id, made, _ = stations
    # Ada: pleased browsing (CSAT 5 = 1.0), then a bad checkout (CES 2 = 1/6), then a call (CSAT 1 = 0).
    _walk(org, make_response, made, "ada", (0, "Browse", 5), (1, "Checkout", 2), (2, "Call us", 1))
    # Ben: browsing so-so (CSAT 2 = 0.25), checkout a breeze (CES 7 = 1.0): better by 0.75.
    _walk(org, make_response, made, "ben", (0, "Browse", 2), (0.5, "Checkout", 7))
    # Cleo checks out 40 days after browsing: another visit, not one walk (ANALYTICS_TRANSITION_DAYS is 30).
    _walk(org, make_response, made, "cleo", (-40, "Browse", 4), (0, "Checkout", 1))
    # Dan: checkout (CES 3 = 1/3), then the phone (CSAT 1 = 0).
    _walk(org, make_response, made, "dan", (0, "Checkout", 3), (1, "Call us", 1))
    # Answers without a customer cannot be followed.
    make_response(org, made["Browse"], score=1, created_at=NOW)
    make_response(org, made["Checkout"], score=1, created_at=NOW)
    with app.app_context():
        steps.rebuild()  # the answers are dated in the past, where the sweep of changes does not look

    key = make_key(org, "viewer")
    body = client.get(f"/api/v1/journeys/{journey_id}/report", headers=key).json
    found = {(t["from_touchpoint_id"], t["to_touchpoint_id"]): t for t in body["transitions"]}

    assert list(found) == [(made["Browse"], made["Checkout"]), (made["Checkout"], made["Call us"]),
                           (made["Call us"], made["Delivery"])]
    # Ada (-0.833) and Ben (+0.75); Ada then called, which is what the checkout's failure costs.
    assert found[(made["Browse"], made["Checkout"])] == {
        "from_touchpoint_id": made["Browse"], "to_touchpoint_id": made["Checkout"], "customers": 2,
        "mean_change": -0.042, "share_worse": 50.0, "share_contacted_support": 50.0, "customers_lost": 1}
    # Ada (1/6 → 0) and Dan (1/3 → 0): both worse; the call is this pair's own station.
    assert found[(made["Checkout"], made["Call us"])] == {
        "from_touchpoint_id": made["Checkout"], "to_touchpoint_id": made["Call us"], "customers": 2,
        "mean_change": -0.25, "share_worse": 100.0, "share_contacted_support": 0.0, "customers_lost": 2}
    assert found[(made["Call us"], made["Delivery"])]["customers"] == 0
    assert found[(made["Call us"], made["Delivery"])]["mean_change"] is None
    assert body["losing_transition"]["to_touchpoint_id"] == made["Call us"]


def test_the_sweep_follows_new_answers_once_however_often_it_runs(app, org, client, stations):
    _, made, pks = stations
    for name, score in (("Browse", 5), ("Checkout", 1)):
        answered = client.post(f"/w/{pks[name]}/responses", json={"score": score, "customer": {"id": "eve"}})
        assert answered.status_code == 201, answered.json

    with app.app_context():
        assert steps.sweep() == 1
        steps.sweep()  # nothing new: the same steps, not twice as many
        rows = db.session.scalars(db.select(StepRollup)).all()
        assert [(r.from_touchpoint_id, r.to_touchpoint_id, r.steps, r.worse) for r in rows] == [
            (made["Browse"], made["Checkout"], 1, 1)]
        db.session.remove()


def test_a_pass_cut_short_goes_on_from_where_it_stopped(app, org, client, stations):
    _, made, pks = stations
    for customer in ("fay", "gus", "hal"):
        for name, score in (("Browse", 5), ("Checkout", 1)):
            assert client.post(f"/w/{pks[name]}/responses",
                               json={"score": score, "customer": {"id": customer}}).status_code == 201

    with app.app_context():
        assert steps.sweep(limit=2) == 2  # two customers, and the mark moves to the second's answers
        assert steps.sweep(limit=2) >= 1  # the third (and, within the look-back, maybe one again)
        [row] = db.session.scalars(db.select(StepRollup)).all()
        assert (row.steps, row.worse) == (3, 3)
        db.session.remove()
