"""Score comments with VADER, in batches, exactly once per comment.

Jobs never receive rows, only ids or nothing at all:

* ``score_responses(ids)`` scores those of the given responses still pending;
* ``score_pending_batch()`` claims up to ``BATCH`` pending rows (``FOR UPDATE
  SKIP LOCKED`` on PostgreSQL, so several workers share a backlog without
  overlap), scores them and writes the results back in one statement;
* ``drain_pending()`` repeats that until the backlog is empty.

Every write is ``UPDATE … WHERE sentiment_status = 'pending'``: a job that runs
twice, or a sweep that re-enqueued work already done, writes nothing more.
The analyzer is built once per process; VADER's lexicon takes ~100 ms to load.
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache

from flask import current_app
from sqlalchemy import bindparam, select, update
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from ..database import commit
from ..extensions import db
from ..models import Customer, Response, SurveyVersion, Touchpoint, utcnow
from ..services import events, follow_ups

log = logging.getLogger(__name__)

BATCH = 500
_table = Response.__table__

# Words nearly every English sentence of three words or more contains. Finding
# one is enough to call a comment English without asking the detector.
_ENGLISH_HINTS = frozenset(
    "the a an and or but is was are were be been it its i my me we our you your they he she "
    "to of in on at for with not no so very this that have has had do did don't can't it's "
    "i'm too just all again".split()
)
_PUNCTUATION = ".,!?;:\"()[]…-–—*"


@lru_cache(maxsize=1)
def analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def label_for(compound: float, positive: float, negative: float) -> str:
    if compound >= positive:
        return "positive"
    if compound <= negative:
        return "negative"
    return "neutral"


def language_of(text: str) -> str:
    """'en', or the detected language of a comment that is plainly not English."""
    # str.split and a set lookup: a few hundred nanoseconds for a typical
    # English comment, which meets a hint within its first words.
    words = text.lower().split()
    if len(words) < 3 or any(word.strip(_PUNCTUATION) in _ENGLISH_HINTS for word in words):
        return "en"
    import py3langid

    language, _ = py3langid.classify(text)
    return language


def score_text(text: str, thresholds: tuple[float, float] = (0.05, -0.05)) -> dict:
    """VADER's scores for one comment, or why it was skipped."""
    language = language_of(text)
    if language != "en":
        # VADER only knows English: a neutral score here would be a lie.
        return {"status": "skipped", "reason": f"language:{language}", "compound": None, "positive": None,
                "neutral": None, "negative": None, "label": None}
    scores = analyzer().polarity_scores(text)
    return {
        "status": "scored",
        "reason": None,
        "compound": scores["compound"],
        "positive": scores["pos"],
        "neutral": scores["neu"],
        "negative": scores["neg"],
        "label": label_for(scores["compound"], *thresholds),
    }


def thresholds() -> tuple[float, float]:
    return (current_app.config["SENTIMENT_POSITIVE_THRESHOLD"], current_app.config["SENTIMENT_NEGATIVE_THRESHOLD"])


_write_score = (
    update(_table)
    .where(_table.c.id == bindparam("rid"), _table.c.sentiment_status == "pending")
    .values(
        sentiment_status=bindparam("status"),
        sentiment_reason=bindparam("reason"),
        sentiment_compound=bindparam("compound"),
        sentiment_positive=bindparam("positive"),
        sentiment_neutral=bindparam("neutral"),
        sentiment_negative=bindparam("negative"),
        sentiment_label=bindparam("label"),
        scored_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
)


def _score_rows(rows) -> int:
    """Score (id, comment) rows, write them in one executemany and log a
    ``response.scored`` event for each, in the caller's transaction."""
    if not rows:
        return 0
    now, limits = utcnow(), thresholds()
    params = [{"rid": rid, "now": now, **score_text(comment or "", limits)} for rid, comment in rows]
    result = db.session.execute(_write_score, params)
    # The rows were claimed FOR UPDATE (or under SQLite's write lock), so each
    # one written here is written by this job only.
    written = result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(params)
    _record_scored_events(params, now)
    # The sentiment may make a follow-up more (or less) urgent.
    follow_ups.refresh_priorities([p["rid"] for p in params])
    return written


_tp = Touchpoint.__table__
_sv = SurveyVersion.__table__
_cu = Customer.__table__


def _record_scored_events(params: list[dict], now) -> None:
    """One ``response.scored`` event per row, with the labels a consumer needs."""
    scores = {p["rid"]: p for p in params}
    rows = db.session.execute(
        select(_table.c.id, _table.c.organization_id, _table.c.score, _table.c.metric, _table.c.comment,
               _table.c.context, _table.c.source, _table.c.created_at, _tp.c.id.label("touchpoint_id"),
               _tp.c.name, _tp.c.channel, _tp.c.journey_id, _sv.c.question, _cu.c.id.label("customer_id"),
               _cu.c.external_id, _cu.c.email)
        .join(_tp, _tp.c.id == _table.c.touchpoint_id)
        .join(_sv, _sv.c.id == _table.c.survey_version_id)
        .outerjoin(_cu, _cu.c.id == _table.c.customer_id)
        .where(_table.c.id.in_(list(scores)))
    ).all()
    # Through the event log's bulk entry, so the webhooks each event owes are written with it.
    events.record_many([
        {
            "organization_id": row.organization_id,
            "type": "response.scored",
            "created_at": now,
            "data": {
                "response": {
                    "id": row.id, "score": row.score, "metric": row.metric, "comment": row.comment,
                    "context": row.context, "source": row.source, "created_at": _iso(row.created_at),
                    "sentiment": {key: scores[row.id][key] for key in
                                  ("status", "reason", "compound", "positive", "neutral", "negative", "label")},
                },
                "touchpoint": {"id": row.touchpoint_id, "name": row.name, "channel": row.channel,
                               "journey_id": row.journey_id},
                "question": row.question,
                "customer": ({"id": row.customer_id, "external_id": row.external_id, "email": row.email}
                             if row.customer_id else None),
            },
        }
        for row in rows
    ])


def _iso(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def score_responses(response_ids: list[int]) -> int:
    """Score those of these responses still pending; returns how many were written."""
    rows = db.session.execute(
        select(_table.c.id, _table.c.comment)
        .where(_table.c.id.in_(response_ids), _table.c.sentiment_status == "pending")
        .with_for_update(skip_locked=True)
    ).all()
    written = _score_rows(rows)
    commit()  # and dispatch the webhook deliveries the scored events owe
    return written


def rescore(response_ids: list[int]) -> int:
    """Score these responses again (after a threshold change, say), whatever their state."""
    db.session.execute(
        update(_table).where(_table.c.id.in_(response_ids), _table.c.comment.is_not(None))
        .values(sentiment_status="pending")
    )
    return score_responses(response_ids)


def score_pending_batch(batch: int = BATCH) -> int:
    """Claim up to ``batch`` pending responses no other worker holds, and score them."""
    rows = db.session.execute(
        select(_table.c.id, _table.c.comment)
        .where(_table.c.sentiment_status == "pending")
        .order_by(_table.c.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    written = _score_rows(rows)
    commit()  # and dispatch the webhook deliveries the scored events owe
    if written:
        log.info("scored a batch of %d responses", written)
    return written


def drain_pending(batch: int = BATCH) -> int:
    """Score batches until a claim comes back empty; returns the total."""
    total = 0
    while (written := score_pending_batch(batch)) > 0:
        total += written
    return total
