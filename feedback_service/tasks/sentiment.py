"""Score comments with VADER.

A job takes response ids, reads the rows that are still pending, and writes
each result with ``UPDATE … WHERE sentiment_status = 'pending'``: a second run
of the same job, or a sweep that re-enqueued it, writes nothing more.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from flask import current_app
from sqlalchemy import bindparam, select, update
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from ..extensions import db
from ..models import Response, utcnow

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def analyzer() -> SentimentIntensityAnalyzer:
    # Loading the lexicon takes ~100 ms: once per process, not per comment.
    return SentimentIntensityAnalyzer()


def label_for(compound: float) -> str:
    if compound >= current_app.config["SENTIMENT_POSITIVE_THRESHOLD"]:
        return "positive"
    if compound <= current_app.config["SENTIMENT_NEGATIVE_THRESHOLD"]:
        return "negative"
    return "neutral"


def score_text(text: str) -> dict:
    scores = analyzer().polarity_scores(text)
    return {
        "compound": scores["compound"],
        "positive": scores["pos"],
        "neutral": scores["neu"],
        "negative": scores["neg"],
        "label": label_for(scores["compound"]),
    }


_table = Response.__table__
_write_score = (
    update(_table)
    .where(_table.c.id == bindparam("rid"), _table.c.sentiment_status == "pending")
    .values(
        sentiment_status="scored",
        sentiment_compound=bindparam("compound"),
        sentiment_positive=bindparam("positive"),
        sentiment_neutral=bindparam("neutral"),
        sentiment_negative=bindparam("negative"),
        sentiment_label=bindparam("label"),
        scored_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
)


def score_responses(response_ids: list[int]) -> int:
    """Score those of these responses still pending; returns how many were written."""
    rows = db.session.execute(
        select(_table.c.id, _table.c.comment).where(
            _table.c.id.in_(response_ids), _table.c.sentiment_status == "pending"
        )
    ).all()
    if not rows:
        return 0
    now = utcnow()
    params = [{"rid": rid, "now": now, **score_text(comment or "")} for rid, comment in rows]
    result = db.session.execute(_write_score, params)
    db.session.commit()
    log.info("scored %d of %d responses", len(rows), len(response_ids))
    return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(rows)


def score_response(response_id: int) -> int:
    return score_responses([response_id])
