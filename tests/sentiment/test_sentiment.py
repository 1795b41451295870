"""Scoring comments: what is written back, the events it logs, the follow-ups it
re-prioritises, and the drain that shares a backlog. The same specifications on
SQLite and on PostgreSQL, whose write path is a single set-based statement."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from feedback_service import create_app
from feedback_service.core.database import commit
from feedback_service.extensions import db
from feedback_service.loop import opening
from feedback_service.loop import workflow as follow_ups
from feedback_service.models import Event, FollowUp, FollowUpActivity, Response, WebhookDelivery, WebhookEndpoint
from feedback_service.sentiment import rules as sentiment
from feedback_service.sentiment.jobs import drain_pending, rescore, score_responses


@pytest.fixture
def touchpoint(org, make_touchpoint):
    touchpoint_id, _ = make_touchpoint(org, name="Delivery", channel="web", survey={"metric": "csat"})
    return touchpoint_id


def scored_events(app) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(select(Event).where(Event.type == "response.scored").order_by(Event.id)).all()
        return [{"organization_id": e.organization_id, **e.data} for e in rows]


def sentiment_of(app, response_id: int) -> tuple:
    with app.app_context():
        r = db.session.get(Response, response_id)
        return (r.sentiment_status, r.sentiment_reason, r.sentiment_label, r.sentiment_compound)


def events_per_response(app) -> dict[int, int]:
    counts: dict[int, int] = {}
    for event in scored_events(app):
        counts[event["response"]["id"]] = counts.get(event["response"]["id"], 0) + 1
    return counts


def delivery_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(WebhookDelivery))


@pytest.fixture
def scored_hook(app, org):
    """An endpoint that wants every response.scored event; its deliveries fail at once (a closed port)."""
    with app.app_context(), org.scope():
        endpoint = WebhookEndpoint(url="http://127.0.0.1:9/scored", events=["response.scored"],
                                   secret="whsec_" + "A" * 32)
        db.session.add(endpoint)
        commit()
        return endpoint.id


def open_follow_up(app, org, response_id: int) -> int:
    with app.app_context(), org.scope():
        follow_up = opening.open_for_response(db.session.get(Response, response_id))
        commit()
        return follow_up.id


def test_a_scored_comment_is_written_back_with_its_event(app, org, touchpoint, make_response):
    response_id = make_response(org, touchpoint, score=2, comment="Good service, thanks.",
                                customer={"external_id": "c-7", "email": "c7@example.com"})

    with app.app_context():
        assert score_responses([response_id]) == 1
        response = db.session.get(Response, response_id)
        created_at, customer_id = response.created_at, response.customer_id
        journey_id = response.touchpoint.journey_id
    [event] = scored_events(app)

    assert sentiment_of(app, response_id) == ("scored", None, "positive", 0.7003)
    assert datetime.fromisoformat(event["response"].pop("created_at")) == created_at
    assert event == {
        "organization_id": org.id,
        "response": {"id": response_id, "score": 2, "metric": "csat", "comment": "Good service, thanks.",
                     "context": {}, "source": "widget",
                     "sentiment": {"status": "scored", "reason": None, "compound": 0.7003, "positive": 0.853,
                                   "neutral": 0.147, "negative": 0.0, "label": "positive"}},
        "touchpoint": {"id": touchpoint, "name": "Delivery", "channel": "web", "journey_id": journey_id},
        "question": "How satisfied are you with your experience?",
        "customer": {"id": customer_id, "external_id": "c-7", "email": "c7@example.com"},
    }


def test_a_comment_vader_cannot_read_is_skipped_with_its_language(app, org, touchpoint, make_response):
    response_id = make_response(org, touchpoint, comment="Merci beaucoup pour votre aide rapide")

    with app.app_context():
        score_responses([response_id])
    [event] = scored_events(app)

    assert sentiment_of(app, response_id) == ("skipped", "language:fr", None, None)
    assert event["response"]["sentiment"] == {"status": "skipped", "reason": "language:fr", "compound": None,
                                              "positive": None, "neutral": None, "negative": None, "label": None}
    assert event["customer"] is None


# What each comment is, as a person reading it would say: "en" for whatever
# VADER can read, the language otherwise. Short and long, typos, emoji, mixed.
LANGUAGES = [
    ("good", "en"),
    ("Great service!", "en"),
    ("ok thanks", "en"),
    ("slow", "en"),
    ("Not bad", "en"),
    ("Fast delivery, great service", "en"),
    ("Thanks Sofia, you were great", "en"),
    ("I had to explain my problem three times. Nobody listened.", "en"),
    ("Waited 15 minutes on hold before anyone answered. Unacceptable.", "en"),
    ("Ordered on Monday, still nothing. Not impressed.", "en"),
    ("The delivry was realy slow and the box was damaged", "en"),
    ("Horible servise, never again", "en"),
    ("Love it 😍", "en"),
    ("Great product, fast shipping 👍", "en"),
    ("Brilliant – the courier even rang ahead 👍", "en"),
    ("👍", "en"),
    ("Sehr schlecht", "de"),
    ("Der Service war sehr schlecht und langsam", "de"),
    ("Der Paketbote war heute sehr unfreundlich", "de"),
    ("Das Paket kam an und so weiter", "de"),
    ("Vielen Dank", "de"),
    ("Muy malo", "es"),
    ("La entrega fue muy lenta y el paquete llegó roto", "es"),
    ("muchas gracias", "es"),
    ("Merci beaucoup pour votre aide rapide", "fr"),
    ("Très bien", "fr"),
    ("Le colis est arrivé en retard", "fr"),
    ("Het pakket was te laat en de bezorger was onvriendelijk", "nl"),
    ("Heel goed", "nl"),
    ("Slechte service", "nl"),
    ("I pacchi sono in ritardo", "it"),
    ("To jest do niczego", "pl"),
    ("配送が遅すぎる", "ja"),
    ("التوصيل كان بطيئا جدا", "ar"),
    # Mixed: what most of it is.
    ("The Lieferung was super schnell, thanks a lot", "en"),
    ("Parcel arrived, but the Verpackung was kaputt", "en"),
    ("Super Service, alles bestens und schnell geliefert", "de"),
    ("配送が遅すぎる, very bad", "ja"),
]


@pytest.mark.parametrize(("comment", "language"), LANGUAGES, ids=[comment for comment, _ in LANGUAGES])
def test_a_comment_is_scored_only_when_it_is_english(comment, language):
    result = sentiment.score_text(comment)

    assert sentiment.language_of(comment) == language
    if language == "en":
        assert (result["status"], result["reason"]) == ("scored", None)
        assert result["label"] in ("positive", "neutral", "negative")
    else:
        assert result == {"status": "skipped", "reason": f"language:{language}", "compound": None,
                          "positive": None, "neutral": None, "negative": None, "label": None}


def test_german_with_a_word_vader_knows_is_stored_skipped_with_its_language(app, org, touchpoint, make_response):
    # "war" is in VADER's lexicon (and "die"): one such word once made a German comment English.
    german = make_response(org, touchpoint, comment="Der Service war sehr schlecht und langsam")
    japanese = make_response(org, touchpoint, comment="配送が遅すぎる")
    english = make_response(org, touchpoint, comment="Slow and rude")

    with app.app_context():
        assert score_responses([german, japanese, english]) == 3
    reasons = {e["response"]["id"]: e["response"]["sentiment"]["reason"] for e in scored_events(app)}

    assert sentiment_of(app, german) == ("skipped", "language:de", None, None)
    assert sentiment_of(app, japanese) == ("skipped", "language:ja", None, None)
    assert sentiment_of(app, english)[:3] == ("scored", None, "negative")
    assert reasons == {german: "language:de", japanese: "language:ja", english: None}


def test_a_response_is_scored_once_however_often_its_job_runs(app, org, touchpoint, make_response):
    response_id = make_response(org, touchpoint, comment="Lovely help from Sofia.")

    with app.app_context():
        written = [score_responses([response_id]), score_responses([response_id]), drain_pending()]

    assert written == [1, 0, 0]
    assert len(scored_events(app)) == 1


def test_two_jobs_scoring_the_same_rows_at_once_log_each_row_once(app, org, touchpoint, make_response,
                                                                  scored_hook):
    ids = [make_response(org, touchpoint, comment=f"Fast delivery, great service, order {n}.") for n in range(40)]
    start, written, failures = threading.Barrier(2), [], []

    def job():
        with app.app_context():
            start.wait()
            try:
                written.append(score_responses(ids))
            except Exception as error:  # reported below, not lost in the thread
                failures.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert failures == []
    assert len(written) == 2 and sum(written) == 40
    assert events_per_response(app) == {rid: 1 for rid in ids}
    assert delivery_count(app) == 40


def test_a_job_run_twice_in_a_row_logs_each_row_once(app, org, touchpoint, make_response, scored_hook):
    ids = [make_response(org, touchpoint, comment=f"Parcel {n} arrived late and damaged.") for n in range(5)]

    with app.app_context():
        written = [score_responses(ids), score_responses(ids), drain_pending()]

    assert written == [5, 0, 0]
    assert events_per_response(app) == {rid: 1 for rid in ids}
    assert delivery_count(app) == 5


def test_an_events_created_at_is_utc_in_pythons_iso_shape_whatever_the_sessions_time_zone(
        app, org, touchpoint, make_response, database_kind):
    on_the_second = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    with_a_fraction = datetime(2026, 3, 1, 23, 30, 5, 123400, tzinfo=UTC)
    ids = [make_response(org, touchpoint, comment="Great service!", created_at=at)
           for at in (on_the_second, with_a_fraction)]

    with app.app_context():
        if database_kind == "postgresql":
            # For the scoring transaction only (SET LOCAL): the pooled connection keeps UTC.
            db.session.execute(text("SET LOCAL TIME ZONE 'Asia/Tokyo'"))
            assert db.session.scalar(text("SHOW TIME ZONE")) == "Asia/Tokyo"
        assert score_responses(ids) == 2
    stamps = [e["response"]["created_at"] for e in scored_events(app)]

    assert stamps == [on_the_second.isoformat(), with_a_fraction.isoformat()]
    assert stamps == ["2026-03-01T23:30:00+00:00", "2026-03-01T23:30:05.123400+00:00"]


def test_labels_follow_the_configured_thresholds(app, org, touchpoint, make_response, monkeypatch):
    okay = make_response(org, touchpoint, comment="It was okay.")  # compound 0.2263
    monkeypatch.setitem(app.config, "SENTIMENT_POSITIVE_THRESHOLD", 0.5)

    with app.app_context():
        score_responses([okay])

    assert sentiment_of(app, okay)[2] == "neutral"
    assert scored_events(app)[0]["response"]["sentiment"]["label"] == "neutral"


def test_rescoring_after_a_threshold_change_writes_new_labels_and_events(app, org, touchpoint, make_response,
                                                                         monkeypatch):
    okay = make_response(org, touchpoint, comment="It was okay.")
    with app.app_context():
        score_responses([okay])
    monkeypatch.setitem(app.config, "SENTIMENT_POSITIVE_THRESHOLD", 0.5)

    with app.app_context():
        assert rescore([okay]) == 1

    assert sentiment_of(app, okay)[2] == "neutral"
    assert [e["response"]["sentiment"]["label"] for e in scored_events(app)] == ["positive", "neutral"]


def state_of(app, response_id: int) -> tuple:
    with app.app_context():
        r = db.session.get(Response, response_id)
        return (r.sentiment_label, r.sentiment_compound, r.scored_at, r.updated_at)


@pytest.fixture
def scored_comments(app, org, make_touchpoint, make_response):
    """Comments at two touchpoints, one of them old, all scored with the default thresholds."""
    delivery, _ = make_touchpoint(org, name="Delivery", survey={"metric": "csat"})
    returns, _ = make_touchpoint(org, name="Returns", survey={"metric": "csat"})
    old = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    rows = {
        "delivery okay": make_response(org, delivery, comment="It was okay."),  # compound 0.2263
        "delivery great": make_response(org, delivery, comment="Excellent service, thank you so much!"),
        "delivery bad": make_response(org, delivery, comment="Terrible, never again."),
        "delivery german": make_response(org, delivery, comment="Sehr schlecht"),
        "returns okay": make_response(org, returns, comment="It was okay."),
        "returns okay, old": make_response(org, returns, comment="It was okay.", created_at=old),
        "returns great, old": make_response(org, returns, comment="Excellent service, thank you so much!",
                                            created_at=old),
    }
    with app.app_context():
        assert drain_pending() == len(rows)
    return {"delivery": delivery, "returns": returns, **rows}


def scored_event_ids(app) -> list[int]:
    return [e["response"]["id"] for e in scored_events(app)]


def test_rescore_for_one_touchpoint_logs_only_the_comments_whose_label_changed(app, runner, scored_comments,
                                                                                monkeypatch):
    before = {key: state_of(app, rid) for key, rid in scored_comments.items() if " " in key}
    logged = len(scored_events(app))
    monkeypatch.setitem(app.config, "SENTIMENT_POSITIVE_THRESHOLD", 0.5)

    result = runner.invoke(args=["rescore", "--touchpoint", str(scored_comments["delivery"])])

    assert result.exit_code == 0, result.output
    assert "Re-scoring 4 comments" in result.stderr  # the progress bar
    assert result.stdout.strip() == "Checked 4 comments: 1 changed (one response.scored event each), 3 unchanged."
    okay = scored_comments["delivery okay"]
    assert scored_event_ids(app)[logged:] == [okay]
    assert scored_events(app)[-1]["response"]["sentiment"]["label"] == "neutral"
    assert state_of(app, okay)[:2] == ("neutral", 0.2263)
    assert state_of(app, okay)[2] > before["delivery okay"][2]
    # Nothing else was written: not the others at the touchpoint, not another touchpoint's.
    assert {key: state_of(app, rid) for key, rid in scored_comments.items() if " " in key and key != "delivery okay"} \
        == {key: state for key, state in before.items() if key != "delivery okay"}


def test_rescore_since_a_date_leaves_older_comments_alone(app, runner, scored_comments, monkeypatch):
    logged = len(scored_events(app))
    monkeypatch.setitem(app.config, "SENTIMENT_POSITIVE_THRESHOLD", 0.5)

    result = runner.invoke(args=["rescore", "--since", "2025-01-01"])

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Checked 5 comments: 2 changed (one response.scored event each), 3 unchanged."
    assert scored_event_ids(app)[logged:] == [scored_comments["delivery okay"], scored_comments["returns okay"]]
    assert state_of(app, scored_comments["returns okay, old"])[0] == "positive"


def test_rescore_with_nothing_changed_logs_nothing(app, runner, scored_comments, monkeypatch):
    logged = len(scored_events(app))

    unchanged = runner.invoke(args=["rescore"])
    monkeypatch.setitem(app.config, "SENTIMENT_POSITIVE_THRESHOLD", 0.5)
    changed = runner.invoke(args=["rescore", "--touchpoint", str(scored_comments["returns"])])
    again = runner.invoke(args=["rescore", "--touchpoint", str(scored_comments["returns"])])

    assert unchanged.stdout.strip() == "Checked 7 comments: 0 changed (one response.scored event each), 7 unchanged."
    assert changed.stdout.strip() == "Checked 3 comments: 2 changed (one response.scored event each), 1 unchanged."
    assert again.stdout.strip() == "Checked 3 comments: 0 changed (one response.scored event each), 3 unchanged."
    assert sorted(scored_event_ids(app)[logged:]) == sorted([scored_comments["returns okay"],
                                                             scored_comments["returns okay, old"]])


def test_rescore_scores_a_comment_still_pending_and_logs_it(app, org, touchpoint, make_response):
    pending = make_response(org, touchpoint, comment="Lovely help from Sofia.")

    with app.app_context():
        assert rescore([pending]) == 1
        assert rescore([pending]) == 0

    assert sentiment_of(app, pending)[:3] == ("scored", None, "positive")
    assert scored_event_ids(app) == [pending]


def test_scoring_a_batch_recomputes_the_priority_of_the_follow_ups_it_changes(app, org, touchpoint,
                                                                               make_response):
    furious = make_response(org, touchpoint, score=1, comment="Horrible, rude and useless. I am furious!")
    calm = make_response(org, touchpoint, score=3, comment="The parcel came.")
    closed = make_response(org, touchpoint, score=1, comment="Horrible, rude and useless. I am furious!")
    ids = {rid: open_follow_up(app, org, rid) for rid in (furious, calm, closed)}
    with app.app_context(), org.scope():
        follow_ups.transition(ids[closed], "no_action", "test", note="Duplicate of another complaint.")
        commit()

    with app.app_context():
        assert drain_pending() == 3
        priorities = {rid: db.session.get(FollowUp, fid).priority for rid, fid in ids.items()}
        changes = db.session.execute(
            select(FollowUpActivity.follow_up_id, FollowUpActivity.before, FollowUpActivity.after)
            .where(FollowUpActivity.kind == "priority_changed")).all()
        due = db.session.get(FollowUp, ids[furious])
        hours = (due.due_at - due.created_at).total_seconds() / 3600

    assert priorities == {furious: "urgent", calm: "normal", closed: "high"}
    assert [(fid, before["priority"], after["priority"]) for fid, before, after in changes] == [
        (ids[furious], "high", "urgent")]
    assert round(hours) == 4  # the organisation's SLA for urgent


def test_a_migration_run_in_process_leaves_the_scoring_log_on(app, app_config, fresh_database_url, org,
                                                              touchpoint, make_response, caplog):
    migrated = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": fresh_database_url})
    try:
        with migrated.app_context():
            upgrade()  # Alembic's env.py configures logging from alembic.ini
    finally:
        with migrated.app_context():
            db.engine.dispose()
    make_response(org, touchpoint, comment="Lovely help from Sofia.")
    caplog.set_level(logging.INFO, logger="feedback_service.sentiment.jobs")

    with app.app_context():
        drain_pending()

    assert not logging.getLogger("feedback_service.sentiment.jobs").disabled
    assert [r.getMessage() for r in caplog.records if r.name == "feedback_service.sentiment.jobs"] == [
        "scored a batch of 1 responses"]


def test_the_claim_reads_only_the_batch_it_takes_not_the_backlog_or_the_scored(app, org, touchpoint,
                                                                                make_response, database_kind):
    with app.app_context():
        template = db.session.get(Response, make_response(org, touchpoint, comment="Fast delivery"))
        db.session.execute(Response.__table__.insert(), [
            {"organization_id": org.id, "touchpoint_id": touchpoint, "survey_version_id": template.survey_version_id,
             "metric": "csat", "score": 4, "comment": f"Comment {n}", "context": {}, "source": "widget",
             "sentiment_status": "scored" if n < 2000 else "pending",
             "created_at": template.created_at, "updated_at": template.updated_at} for n in range(4000)])
        commit()
        # What autovacuum does to any table that grew this much (the test server runs without it).
        # Without any statistics PostgreSQL guesses a handful of pending rows, and sorting a handful
        # looks cheaper than walking the index in order.
        db.session.execute(text("ANALYZE response"))
        claim = "SELECT id, comment FROM response WHERE sentiment_status = 'pending' ORDER BY id LIMIT 100"
        if database_kind == "sqlite":
            steps = [row.detail for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {claim}"))]
        else:
            [plan] = db.session.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {claim} FOR UPDATE SKIP LOCKED")).scalar()
        db.session.rollback()
    if database_kind == "sqlite":  # no row counts in SQLite's plan: it walks the partial index, in order, no sort
        assert steps == ["SCAN response USING INDEX ix_response_sentiment_pending"], steps
        return

    def nodes(node):
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)
    scans = [n for n in nodes(plan["Plan"]) if "Scan" in n["Node Type"]]
    rows_read = sum(n["Actual Rows"] + n.get("Rows Removed by Filter", 0) for n in scans)

    assert [n.get("Index Name") for n in scans] == ["ix_response_sentiment_pending"]
    assert rows_read <= 101  # the 100 it claims (a scan may look one row ahead), out of 2,000 pending


def test_preloading_leaves_nothing_for_a_forked_job_to_load():
    sentiment.preload()

    assert sentiment.known_words.cache_info().currsize == 1
    assert sentiment.detector.cache_info().currsize == 1


def test_postgresqls_one_statement_stores_what_the_orm_path_stores(app, org, touchpoint, make_response,
                                                                  database_kind):
    """The one fast path of scoring, held to its reference: the ORM's bulk update and a read."""
    if database_kind != "postgresql":
        pytest.skip("the statement is PostgreSQL's")
    from feedback_service.models import utcnow
    from feedback_service.sentiment import scoring

    customer = {"external_id": "c-1", "email": "c1@example.com"}
    ids = [make_response(org, touchpoint, comment=text, customer=who) for text, who in (
        ("Lovely help, thank you.", customer), ("Awful wait, never again.", None), ("Ganz schlecht.", None))]
    with app.app_context():
        scores = scoring.score_comments(zip(ids, ("Lovely help, thank you.", "Awful wait, never again.",
                                                  "Ganz schlecht."), strict=True))
    now = utcnow()

    def stored(store) -> list[dict]:
        with app.app_context(), org.scope():
            rows = [row._asdict() for row in store(scores, now)]
            db.session.rollback()
        return rows

    fast, reference = stored(scoring.store_scores), stored(scoring.store_scores_orm)
    assert fast == reference and [row["id"] for row in fast] == ids
    assert {row["sentiment_status"] for row in fast} == {"scored", "skipped"}
