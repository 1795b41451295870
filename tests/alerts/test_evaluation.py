"""The rules' judgement: a breach fires once, holds, re-arms when the figure recovers and fires again;
each kind on answers built to sit either side of its line; too few answers say nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from feedback_service.alerts.jobs import evaluate_alert_rule, evaluate_alert_rules
from feedback_service.core.database import commit
from feedback_service.extensions import db
from feedback_service.journeys import touchpoints
from feedback_service.models import AlertRule, utcnow
from feedback_service.worker.schedule import PERIODIC_JOBS

from .conftest import alert_emails, alert_rows, logged

MINUTES = timedelta(minutes=10)  # longer than ALERT_EVALUATION_SECONDS: each look is due


def test_an_alert_fires_once_holds_through_its_breach_rearms_and_fires_again(
        app, org, shop, answers, look, make_rule):
    checkout = shop.touchpoints["Cart & checkout"]
    rule_id = make_rule(org, checkout, "below_threshold", threshold=60, window_hours=24, min_n=20)
    start = utcnow()
    answers(org, checkout, [2] * 25 + [5] * 5)  # CSAT 16.7 % of 30, its interval's top well under 60

    assert look(start + MINUTES) == 1
    [alert] = alert_rows(app, org)
    assert (alert.rule_id, alert.kind, alert.metric, alert.value, alert.n) == (rule_id, "below_threshold", "csat",
                                                                               16.7, 30)
    assert alert.ci_high < 60 and alert.recovered_at is None
    told = len(alert_emails(app, org))
    assert told > 0

    # Still in breach: nothing fires, nobody is told again.
    answers(org, checkout, [1] * 10)
    assert look(start + 2 * MINUTES) == 0
    assert len(alert_rows(app, org)) == 1 and len(alert_emails(app, org)) == told

    # It recovers once the headline itself is back at the line: 70 more happy answers make 68.2 %.
    answers(org, checkout, [5] * 70)
    assert look(start + 3 * MINUTES) == 0
    [ended] = alert_rows(app, org)
    assert ended.recovered_at is not None and ended.end_reason == "recovered" and ended.recovered_value == 68.2
    [recovery] = logged(app, org, "alert.recovered")
    assert recovery["alert"]["id"] == alert.id and recovery["alert"]["end_reason"] == "recovered"

    # A day and a half later the window holds only new answers, and they are bad again: a new alert.
    later = start + timedelta(hours=36)
    answers(org, checkout, [1] * 30, at=later - timedelta(hours=1))
    assert look(later) == 1
    first, second = alert_rows(app, org)
    assert first.id == alert.id and second.recovered_at is None and second.value == 0.0
    assert len(alert_emails(app, org)) == 2 * told
    assert [e["alert"]["id"] for e in logged(app, org, "alert.triggered")] == [first.id, second.id]


def test_a_headline_below_the_line_but_not_surely_below_it_holds_its_fire(app, org, shop, answers, look,
                                                                          make_rule):
    checkout = shop.touchpoints["Cart & checkout"]
    make_rule(org, checkout, "below_threshold", threshold=60, min_n=20)
    answers(org, checkout, [5] * 11 + [1] * 9)  # 55 %: below 60, but its interval reaches 74 %

    assert look(utcnow() + MINUTES) == 0
    assert alert_rows(app, org) == []
    with app.app_context(), org.scope():
        rule = db.session.scalars(db.select(AlertRule)).one()
        assert (rule.last_value, rule.last_n, rule.state) == (55.0, 20, "armed")


def test_fewer_answers_than_min_n_neither_fire_nor_recover(app, org, shop, answers, look, make_rule):
    checkout = shop.touchpoints["Cart & checkout"]
    make_rule(org, checkout, "below_threshold", threshold=60, min_n=20)
    start = utcnow()
    answers(org, checkout, [1] * 19)
    assert look(start + MINUTES) == 0

    answers(org, checkout, [1])
    assert look(start + 2 * MINUTES) == 1

    # Two days on, the window is empty: a quiet spell is not a recovery.
    assert look(start + timedelta(days=2)) == 0
    [alert] = alert_rows(app, org)
    assert alert.recovered_at is None


def test_nps_lines_are_on_nps_scale(app, org, shop, answers, look, make_rule):
    delivery = shop.touchpoints["Delivery"]
    make_rule(org, delivery, "below_threshold", threshold=0, min_n=30)
    answers(org, delivery, [0] * 20 + [7] * 5 + [10] * 5)  # NPS −50

    assert look(utcnow() + MINUTES) == 1
    [alert] = alert_rows(app, org)
    assert (alert.metric, alert.value) == ("nps", -50.0) and alert.ci_high < 0


def test_a_drop_against_the_trailing_average_fires_beyond_its_interval(app, org, shop, answers, look, make_rule):
    checkout = shop.touchpoints["Cart & checkout"]
    make_rule(org, checkout, "drop", threshold=15, window_hours=24, min_n=30)
    now = utcnow()
    # The four days before the window: 90 % satisfied, 100 answers.
    answers(org, checkout, [5] * 90 + [2] * 10, at=now - timedelta(days=2))
    # The window: 50 % of 40.
    answers(org, checkout, [5] * 20 + [1] * 20, at=now - timedelta(hours=2))

    assert look(now + MINUTES) == 1
    [alert] = alert_rows(app, org)
    assert (alert.kind, alert.value, alert.baseline, alert.n, alert.baseline_n) == ("drop", 40.0, 90.0, 40, 100)
    assert alert.ci_high < alert.baseline


def test_a_small_drop_or_one_within_the_interval_does_not_fire(app, org, shop, answers, look, make_rule):
    checkout, support = shop.touchpoints["Cart & checkout"], shop.touchpoints["Contact support"]
    make_rule(org, checkout, "drop", threshold=15, min_n=30)
    make_rule(org, support, "drop", threshold=15, min_n=5)
    now = utcnow()
    for touchpoint in (checkout, support):
        answers(org, touchpoint, [5] * 90 + [2] * 10, at=now - timedelta(days=2))
    answers(org, checkout, [5] * 32 + [1] * 8, at=now - timedelta(hours=2))  # 80 %: down 10, not 15
    answers(org, support, [5] * 4 + [1] * 2, at=now - timedelta(hours=2))  # 66.7 %: down 23, but of six

    assert look(now + MINUTES) == 0
    with app.app_context(), org.scope():
        seen = {rule.touchpoint_id: rule.last_value for rule in db.session.scalars(db.select(AlertRule))}
    assert seen == {checkout: 10.0, support: 23.3}


def test_a_drop_needs_min_n_in_the_trailing_period_too(app, org, shop, answers, look, make_rule):
    checkout = shop.touchpoints["Cart & checkout"]
    make_rule(org, checkout, "drop", threshold=15, min_n=30)
    now = utcnow()
    answers(org, checkout, [5] * 29, at=now - timedelta(days=2))
    answers(org, checkout, [1] * 40, at=now - timedelta(hours=2))
    assert look(now + MINUTES) == 0


def test_a_surge_of_negative_comments_counts_scored_comments_only(app, org, shop, answers, look, make_rule):
    checkout = shop.touchpoints["Cart & checkout"]
    make_rule(org, checkout, "negative_surge", threshold=40, min_n=20)
    now = utcnow()
    # 12 of 19 scored comments negative, and a pile still waiting for their score: not yet 20 scored.
    answers(org, checkout, [2] * 19 + [2] * 10,
            sentiments=["negative"] * 12 + ["neutral"] * 4 + ["positive"] * 3 + ["pending"] * 10)
    assert look(now + MINUTES) == 0

    answers(org, checkout, [1], sentiments=["negative"])  # 13 of 20: 65 %, surely above 40 %
    assert look(now + 2 * MINUTES) == 1
    [alert] = alert_rows(app, org)
    assert (alert.kind, alert.value, alert.n) == ("negative_surge", 65.0, 20) and alert.ci_low >= 40

    # Answers without a comment do not dilute it; positive comments do, and it recovers below 40 %.
    answers(org, checkout, [5] * 50)
    assert look(now + 3 * MINUTES) == 0
    assert alert_rows(app, org)[0].recovered_at is None
    answers(org, checkout, [5] * 20, sentiments=["positive"] * 20)
    assert look(now + 4 * MINUTES) == 0
    assert alert_rows(app, org)[0].end_reason == "recovered"


def test_rules_are_looked_at_on_the_worker_schedule_and_not_more_often(app, org, shop, answers, look, make_rule):
    assert any(job.func is evaluate_alert_rules for job in PERIODIC_JOBS)
    checkout = shop.touchpoints["Cart & checkout"]
    make_rule(org, checkout, min_n=20)  # looked at when saved: nothing to judge yet
    answers(org, checkout, [1] * 30)
    assert look() == 0  # looked at a moment ago
    assert look(utcnow() + timedelta(seconds=app.config["ALERT_EVALUATION_SECONDS"] + 1)) == 1


def test_a_rule_made_during_a_breach_fires_when_it_is_saved(app, org, shop, answers, make_rule):
    checkout = shop.touchpoints["Cart & checkout"]
    answers(org, checkout, [1] * 30)
    make_rule(org, checkout, min_n=20)
    assert len(alert_rows(app, org)) == 1


def test_two_workers_looking_at_once_fire_one_alert(app, org, shop, answers, make_rule):
    checkout = shop.touchpoints["Cart & checkout"]
    make_rule(org, checkout, min_n=20, enabled=False)
    answers(org, checkout, [1] * 30)
    with app.app_context(), org.scope():
        db.session.scalars(db.select(AlertRule)).one().enabled = True
        commit()

    def worker(_):
        with app.app_context():
            try:
                return evaluate_alert_rules(utcnow() + MINUTES)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(4) as pool:
        fired = list(pool.map(worker, range(4)))
    assert sum(fired) == 1
    assert len(alert_rows(app, org)) == 1


def test_the_one_rule_job_is_safe_to_run_twice(app, org, shop, answers, make_rule):
    checkout = shop.touchpoints["Cart & checkout"]
    rule_id = make_rule(org, checkout, min_n=20)
    answers(org, checkout, [1] * 30)
    with app.app_context():
        assert evaluate_alert_rule(rule_id) == "fired"
        assert evaluate_alert_rule(rule_id) == "in_breach"
        assert evaluate_alert_rule(10**6) == "gone"
    assert len(alert_rows(app, org)) == 1


def test_an_archived_touchpoint_ends_its_alert_and_is_not_judged(app, org, shop, answers, look, make_rule):
    checkout = shop.touchpoints["Cart & checkout"]
    make_rule(org, checkout, min_n=20)
    answers(org, checkout, [1] * 30)
    assert look(utcnow() + MINUTES) == 1
    with app.app_context(), org.scope():
        touchpoints.archive_touchpoint(checkout)
        commit()
    assert look(utcnow() + 2 * MINUTES) == 0
    [alert] = alert_rows(app, org)
    assert alert.end_reason == "touchpoint_archived"


@pytest.mark.parametrize("kind", ["below_threshold", "negative_surge"])
def test_other_organisations_rules_are_judged_on_their_own_answers(app, org, make_org, make_journey,
                                                                  make_touchpoint, answers, look, make_rule, kind):
    other = make_org("Other shop")
    ours, _ = make_touchpoint(org, name="Checkout")
    theirs, _ = make_touchpoint(other, name="Checkout")
    make_rule(org, ours, kind, threshold=40, min_n=20)
    make_rule(other, theirs, kind, threshold=40, min_n=20)
    answers(other, theirs, [1] * 30, sentiments=["negative"] * 30)

    assert look(utcnow() + MINUTES) == 1
    assert alert_rows(app, org) == [] and len(alert_rows(app, other)) == 1
