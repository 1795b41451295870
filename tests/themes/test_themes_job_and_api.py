"""The themes job (found again, stored in place of the old, safe to run twice), its sweep, and
GET /api/v1/touchpoints/{id}/themes: shape, from/to, bad input, another organisation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from feedback_service.extensions import db
from feedback_service.models import Theme, ThemeMember, ThemeRun, utcnow
from feedback_service.sentiment.jobs import drain_pending
from feedback_service.themes.jobs import refresh_themes, sweep_themes, touchpoints_due
from feedback_service.themes.store import top_themes
from tests.helpers.assertions import assert_error

from .comments import ELSEWHERE, FREE_SHIPPING, HOLD_TIME

NOW = utcnow()


@pytest.fixture
def checkout(app, org, make_touchpoint, make_response):
    """A touchpoint with free-shipping complaints ten days ago and hold-time ones two days ago,
    a few comments in other languages, and answers without a comment; all scored."""
    touchpoint_id, _ = make_touchpoint(org, name="Checkout", survey={"metric": "csat"})
    for i, text in enumerate(FREE_SHIPPING):
        make_response(org, touchpoint_id, score=2, comment=text, created_at=NOW - timedelta(days=10, minutes=i))
    for i, text in enumerate(HOLD_TIME):
        make_response(org, touchpoint_id, score=3, comment=text, created_at=NOW - timedelta(days=2, minutes=i))
    for i, (text, _) in enumerate(ELSEWHERE):
        make_response(org, touchpoint_id, score=3, comment=text, created_at=NOW - timedelta(days=5, minutes=i))
    for i in range(3):
        make_response(org, touchpoint_id, score=5, created_at=NOW - timedelta(days=1, minutes=i))
    with app.app_context():
        drain_pending()
    return touchpoint_id


def stored(app, touchpoint_id):
    with app.app_context():
        themes = [(t.position, t.label, t.kind, t.terms) for t in db.session.scalars(
            select(Theme).where(Theme.touchpoint_id == touchpoint_id).order_by(Theme.position))]
        members = sorted(db.session.execute(
            select(ThemeMember.response_id, ThemeMember.weight, Theme.label)
            .outerjoin(Theme, Theme.id == ThemeMember.theme_id)
            .where(ThemeMember.touchpoint_id == touchpoint_id)).all())
        return themes, members


def themes(client, org, touchpoint_id, **query):
    return client.get(f"/api/v1/touchpoints/{touchpoint_id}/themes", headers=org.headers, query_string=query)


def test_the_job_stores_the_themes_and_run_twice_stores_the_same(app, checkout):
    with app.app_context():
        assert refresh_themes(checkout) == 3  # two topics, and the German comments
    first = stored(app, checkout)
    with app.app_context():
        assert refresh_themes(checkout) == 3  # two topics, and the German comments
    second = stored(app, checkout)

    assert first[0] == [(p, label, kind, terms) for p, label, kind, terms in second[0]]  # same themes
    assert [(r, w, label) for r, w, label in first[1]] == [(r, w, label) for r, w, label in second[1]]
    assert len(first[1]) == len(FREE_SHIPPING) + len(HOLD_TIME) + len(ELSEWHERE)  # every comment, themed or not
    with app.app_context():
        assert db.session.scalar(select(Theme.id).where(Theme.touchpoint_id == checkout).limit(1)) is not None
        run = db.session.get(ThemeRun, checkout)
        assert run.comments == len(first[1]) and run.computed_at >= NOW


def test_the_api_serves_each_theme_with_its_share_sentiment_and_examples_largest_first(client, app, org, checkout):
    with app.app_context():
        refresh_themes(checkout)

    answer = themes(client, org, checkout)

    assert answer.status_code == 200, answer.json
    body = answer.json
    total = len(FREE_SHIPPING) + len(HOLD_TIME) + len(ELSEWHERE)
    assert body["touchpoint_id"] == checkout and body["comments"] == total
    data = body["data"]
    assert [t["n"] for t in data] == sorted((t["n"] for t in data), reverse=True)
    labels = [t["label"] for t in data]
    assert any("free shipping" in label for label in labels) and any("hold" in label for label in labels)
    for theme in data:
        assert set(theme) >= {"label", "n", "share", "sentiment", "examples"}
        assert set(theme["sentiment"]) == {"positive", "neutral", "negative"}
        assert sum(theme["sentiment"].values()) <= theme["n"]
        assert theme["share"] == round(theme["n"] / total, 3)
        assert 1 <= len(theme["examples"]) <= 3
        assert all(set(e) == {"response_id", "comment"} and e["comment"] for e in theme["examples"])
    assert body["unthemed"] == total - sum(t["n"] for t in data)


def test_from_and_to_recount_the_stored_assignment(client, app, org, checkout):
    with app.app_context():
        refresh_themes(checkout)

    recent = themes(client, org, checkout, **{"from": (NOW - timedelta(days=3)).isoformat(),
                                              "to": NOW.isoformat()}).json
    older = themes(client, org, checkout, **{"from": (NOW - timedelta(days=11)).isoformat(),
                                             "to": (NOW - timedelta(days=9)).isoformat()}).json

    assert [t["n"] for t in recent["data"]] == [len(HOLD_TIME)] and "hold" in recent["data"][0]["label"]
    assert recent["comments"] == len(HOLD_TIME) and recent["data"][0]["share"] == 1.0
    assert [t["n"] for t in older["data"]] == [len(FREE_SHIPPING)]
    assert "free shipping" in older["data"][0]["label"]


def test_bad_periods_are_422_naming_the_field(client, org, checkout):
    assert_error(themes(client, org, checkout, **{"from": "yesterday"}), 422, "from")
    assert_error(themes(client, org, checkout, to="2026-01-01T00:00:00"), 422, "to")  # no offset
    assert_error(themes(client, org, checkout, **{"from": NOW.isoformat(), "to": (NOW - timedelta(days=1)).isoformat()}),
                 422, "from")
    assert_error(themes(client, org, checkout, colour="red"), 422, "colour")


def test_another_organisations_touchpoint_is_404(client, app, make_org, checkout):
    with app.app_context():
        refresh_themes(checkout)
    other = make_org("Other shop")

    assert_error(themes(client, other, checkout), 404)
    assert_error(themes(client, other, 2**31), 404)


def test_before_the_first_run_the_answer_is_empty_and_says_so(client, org, checkout):
    body = themes(client, org, checkout).json
    assert (body["data"], body["comments"], body["computed_at"]) == ([], 0, None)


def test_the_sweep_finds_new_touchpoints_then_changed_ones_and_leaves_the_rest(app, org, checkout, make_touchpoint,
                                                                              make_response):
    app.config["THEMES_REFRESH_MINUTES"] = 0
    try:
        with app.app_context():
            assert touchpoints_due() == [checkout]
            assert sweep_themes() == 1  # without Redis: done here and now
            assert touchpoints_due() == []
            assert top_themes([checkout])[checkout]
        make_response(org, checkout, score=1, comment="The hold time was forty minutes again")
        with app.app_context():
            assert touchpoints_due() == []  # still pending: its language is not known yet
            drain_pending()
            assert touchpoints_due() == [checkout]
        app.config["THEMES_REFRESH_MINUTES"] = 60
        with app.app_context():
            assert touchpoints_due() == []  # found less than an hour ago: it waits
    finally:
        app.config["THEMES_REFRESH_MINUTES"] = 60


def test_top_themes_gives_each_touchpoint_its_largest_topics(app, org, checkout, make_touchpoint):
    quiet, _ = make_touchpoint(org, name="Quiet")
    with app.app_context():
        refresh_themes(checkout)
        refresh_themes(quiet)
        with org.scope():
            top = top_themes([checkout, quiet], limit=1)

    assert set(top) == {checkout, quiet} and top[quiet] == []
    assert len(top[checkout]) == 1 and top[checkout][0].kind == "topic" and top[checkout][0].n == 12
