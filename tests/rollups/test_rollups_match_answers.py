"""The rollups are a cache of counts: after any mix of writes they must equal a count of the answers.

Hypothesis draws sequences of what happens to answers in the service (new answers through
the intake, dated ones as the demo stores them, one-click corrections from an email,
comments added and removed, scoring, rescoring after a threshold change, erasures) and
after each sequence compares every rollup row with a fresh count of the answers, and the
figures for a random period with a count of that period's answers.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from feedback_service import rollups
from feedback_service.collection import comments, intake, tokens
from feedback_service.core.database import commit
from feedback_service.customers.identity import resolve_customer
from feedback_service.extensions import db
from feedback_service.models import Response, ResponseRollup, StepRollup, Touchpoint, utcnow
from feedback_service.rollups import steps
from feedback_service.rollups.counting import key_of
from feedback_service.rollups.reading import split
from feedback_service.sentiment.jobs import rescore, score_pending_batch
from feedback_service.sentiment.scoring import initial_sentiment

COMMENTS = [None, "Great, thanks!", "Terrible, the code never worked.", "It was fine.", "Slow and rude.", ""]

operation = st.one_of(
    st.tuples(st.just("answer"), st.integers(0, 1), st.integers(0, 10), st.sampled_from(COMMENTS),
              st.integers(0, 3)),
    st.tuples(st.just("dated"), st.integers(0, 1), st.integers(0, 10), st.sampled_from(COMMENTS),
              st.integers(0, 96)),
    st.tuples(st.just("email_click"), st.integers(0, 1), st.integers(0, 10), st.integers(0, 2)),
    st.tuples(st.just("comment"), st.integers(0, 50), st.sampled_from(COMMENTS)),
    st.tuples(st.just("score")),
    st.tuples(st.just("rescore"), st.floats(-0.6, 0.6)),
    st.tuples(st.just("erase"), st.integers(0, 50)),
)


def _in_scale(touchpoint: Touchpoint, score: int) -> int:
    return 1 + score % 5 if touchpoint.survey.metric == "csat" else score


def _apply(app, op, touchpoint_ids: list[int]) -> None:
    kind = op[0]
    touchpoint = db.session.get(Touchpoint, touchpoint_ids[op[1] % 2]) if kind in ("answer", "dated",
                                                                               "email_click") else None
    if kind == "answer":
        _, _, score, comment, customer = op
        intake.submit_response(touchpoint, score=_in_scale(touchpoint, score), comment=comment,
                               customer={"id": f"c{customer}"})
    elif kind == "dated":
        # Stored as the demo stores its history: the row, then its count.
        _, _, score, comment, hours_ago = op
        at = utcnow() - timedelta(hours=hours_ago, minutes=7)
        # Written now about an earlier moment (an import through the service): updated_at is now.
        answer = Response(touchpoint=touchpoint, survey_version=touchpoint.survey, metric=touchpoint.survey.metric,
                          score=_in_scale(touchpoint, score), comment=comment or None, created_at=at,
                          customer=resolve_customer(external_id=f"c{hours_ago % 4}", email=None, seen_at=at),
                          **initial_sentiment(comment or None))
        db.session.add(answer)
        db.session.flush()
        rollups.count([answer])
    elif kind == "email_click":
        _, _, score, customer = op
        token = tokens.email_link_token(touchpoint, customer_id=f"mail{customer}", customer_email=None)
        intake.submit_from_link(touchpoint, token, _in_scale(touchpoint, score))
    elif kind == "comment":
        answer = _pick(op[1])
        if answer is not None:
            token, _ = tokens.edit_token(answer.id, answer.touchpoint_id)
            comments.add_comment(db.session.get(Touchpoint, answer.touchpoint_id), answer.id, token, op[2])
    elif kind == "score":
        score_pending_batch()
    elif kind == "rescore":
        app.config["SENTIMENT_POSITIVE_THRESHOLD"] = abs(op[1])
        app.config["SENTIMENT_NEGATIVE_THRESHOLD"] = -abs(op[1])
        rescore(list(db.session.scalars(select(Response.id).where(Response.sentiment_status == "scored"))))
    elif kind == "erase":
        # What erasing a customer's answer must do: take its count away, remove the row, and
        # follow the customer's steps again without it.
        answer = _pick(op[1])
        if answer is not None:
            rollups.uncount([answer])
            db.session.execute(delete(Response).where(Response.id == answer.id))
            steps.refresh_customers([answer.customer_id] if answer.customer_id else [])
    commit()


def _pick(index: int) -> Response | None:
    answers = db.session.scalars(select(Response).order_by(Response.id)).all()
    return answers[index % len(answers)] if answers else None


def _stored_rollups() -> Counter:
    return Counter({(r.touchpoint_id, r.day, r.source, r.metric, r.score, r.sentiment): r.count
                    for r in db.session.scalars(select(ResponseRollup)) if r.count})


def _stored_steps() -> dict:
    return {(r.from_touchpoint_id, r.to_touchpoint_id, r.day): (r.steps, round(r.change_sum, 6), r.worse,
                                                                r.contacted_support)
            for r in db.session.scalars(select(StepRollup)) if r.steps}


def _walked_afresh() -> dict:
    answers = db.session.execute(select(Response).where(Response.customer_id.is_not(None))
                                 .order_by(Response.customer_id, Response.created_at, Response.id)).scalars().all()
    support = set(db.session.scalars(select(Touchpoint.id).where(Touchpoint.channel.in_(steps.SUPPORT_CHANNELS))))
    walks: dict[int, list] = {}
    for answer in answers:
        walks.setdefault(answer.customer_id, []).append(answer)
    totals: dict = {}
    for walk in walks.values():
        for step in steps.steps_of(walk, support, timedelta(days=30)):
            n, change, worse, called = totals.get((step.from_touchpoint_id, step.to_touchpoint_id, step.day),
                                                  (0, 0.0, 0, 0))
            totals[(step.from_touchpoint_id, step.to_touchpoint_id, step.day)] = (
                n + 1, change + step.change, worse + step.worse, called + step.contacted_support)
    return {key: (n, round(change, 6), worse, called) for key, (n, change, worse, called) in totals.items()}


def _recounted() -> Counter:
    keys = Counter(key_of(r) for r in db.session.scalars(select(Response)))
    return Counter({(k.touchpoint_id, k.day, k.source, k.metric, k.score, k.sentiment): n for k, n in keys.items()})


@pytest.fixture
def two_touchpoints(org, make_touchpoint):
    csat, _ = make_touchpoint(org, name="Checkout", survey={"metric": "csat"})
    nps, _ = make_touchpoint(org, name="Support line", channel="phone", survey={"metric": "nps"})
    return [csat, nps]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=25), start_hours=st.floats(0, 120),
       length_hours=st.floats(0.01, 120))
def test_rollups_equal_a_count_of_the_answers_after_any_writes(
        app, org, two_touchpoints, operations, start_hours, length_hours):
    thresholds = (app.config["SENTIMENT_POSITIVE_THRESHOLD"], app.config["SENTIMENT_NEGATIVE_THRESHOLD"])
    try:
        with app.app_context(), org.scope():
            for op in operations:
                _apply(app, op, two_touchpoints)
            assert _stored_rollups() == _recounted()
            # The steps between touchpoints: the worker's sweep, run twice (exactly once: the
            # second changes nothing), equals following every customer afresh.
            commit()
            steps.sweep()
            steps.sweep()
            assert _stored_steps() == _walked_afresh()

            until = utcnow() - timedelta(hours=start_hours)
            since = until - timedelta(hours=length_hours)
            answers = db.session.scalars(select(Response).where(
                Response.created_at >= since, Response.created_at <= until)).all()
            expected = Counter((r.touchpoint_id, r.score, key_of(r).sentiment) for r in answers)
            assert rollups.tallies(two_touchpoints, since, until, by=("touchpoint_id", "score", "sentiment")) == expected
    finally:
        app.config["SENTIMENT_POSITIVE_THRESHOLD"], app.config["SENTIMENT_NEGATIVE_THRESHOLD"] = thresholds


def test_a_period_is_whole_days_and_at_most_two_part_days():
    at = utcnow().replace(hour=10, minute=0, second=0, microsecond=0)
    same_day = split(at, at + timedelta(hours=5))
    assert same_day.whole_days is None and len(same_day.part_days) == 1 and same_day.part_days[0].closed
    midnight = at.replace(hour=0)
    exact = split(midnight, midnight + timedelta(days=3))
    assert exact.whole_days == (midnight.date(), (midnight + timedelta(days=3)).date())
    assert [p.start for p in exact.part_days] == [midnight + timedelta(days=3)]  # the instant `until` itself
    spread = split(at, at + timedelta(days=2))
    assert spread.whole_days == ((at + timedelta(days=1)).date(), (at + timedelta(days=2)).date())
    assert [(p.day, p.closed) for p in spread.part_days] == [(at.date(), False), ((at + timedelta(days=2)).date(), True)]


def test_rebuild_recounts_what_was_stored_around_the_service(app, org, two_touchpoints, make_response):
    for score in (1, 4, 5):
        make_response(org, two_touchpoints[0], score=score, created_at=utcnow() - timedelta(days=score))
    with app.app_context(), org.scope():
        db.session.execute(delete(ResponseRollup))  # as after loading answers straight into the tables
        commit()
        assert _stored_rollups() == Counter()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rollups", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Rollups rebuilt: 3 answers at 2 touchpoints; 0 steps of 0 customers between them." in result.output
    with app.app_context(), org.scope():
        assert _stored_rollups() == _recounted() and sum(_stored_rollups().values()) == 3
    assert runner.invoke(args=["rollups", "rebuild", "--organization", "999999"]).exit_code != 0
