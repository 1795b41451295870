"""The scoring jobs: score given comments, drain every pending one, score stored ones again.

Jobs take ids (or nothing) and claim what they score: ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so several workers share a backlog without overlap
(SQLite's single writer does the same). A claim selects only comments still
pending, so a job run twice, or a sweep that enqueued work already done,
writes nothing more.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from ..core.database import commit, in_ids
from ..core.jobs import after_window
from ..extensions import db
from ..models import Response
from .scoring import BATCH, SENTIMENT_KEYS, changed_sentiment, score_comments, write_sentiment

log = logging.getLogger(__name__)


def score_responses(response_ids: list[int]) -> int:
    """Score those of these responses still pending; returns how many were written."""
    claimed = db.session.execute(_pending().where(in_ids(Response.id, response_ids))).all()
    written = write_sentiment(score_comments(claimed))
    commit()  # and hand over the webhook deliveries the events owe
    return written


def score_pending_batch(batch: int = BATCH) -> int:
    """Claim up to ``batch`` pending comments no other worker holds, and score them."""
    claimed = db.session.execute(_pending().limit(batch)).all()
    written = write_sentiment(score_comments(claimed))
    commit()
    if written:
        log.info("scored a batch of %d responses", written)
    return written


def drain_pending(window_end: float | None = None, batch: int = BATCH) -> int:
    """Score batches until none is left (and once more after ``window_end``); returns the total."""
    total = _drain(batch)
    if after_window(window_end):
        total += _drain(batch)
    return total


def rescore(response_ids: list[int]) -> int:
    """Score these responses' comments again (after a threshold change, say).

    Only the rows whose sentiment changes (label, scores, or skipped or not)
    are written, each with its ``response.scored`` event; the others keep
    their ``scored_at`` and ``updated_at``. Returns how many changed.
    """
    rows = db.session.execute(
        select(Response.id, Response.comment, *(getattr(Response, f"sentiment_{key}") for key in SENTIMENT_KEYS))
        .where(in_ids(Response.id, response_ids), Response.comment.is_not(None))
        .order_by(Response.id)
        .with_for_update()  # a drain scoring one of them first is waited for, then compared with
    ).all()
    changed = write_sentiment(changed_sentiment(rows))
    commit()
    return changed


def _pending():
    return (select(Response.id, Response.comment)
            .where(Response.sentiment_status == "pending")
            .order_by(Response.id)
            .with_for_update(skip_locked=True))


def _drain(batch: int) -> int:
    total = 0
    while (written := score_pending_batch(batch)) > 0:
        total += written
    return total
