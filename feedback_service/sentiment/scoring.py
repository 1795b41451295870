"""Writing sentiment back: once per comment, with its event and the priorities it moves.

The caller holds the rows it scores (claimed ``FOR UPDATE``, or under
SQLite's write lock), so what it writes is exactly what it read: a row scored
meanwhile by someone else was not claimed. Each row written gets one
``response.scored`` event, built by the event log's one payload builder, and
the follow-ups of those answers get the priority their sentiment now calls
for, all in the caller's transaction.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select, update

from ..core.database import in_ids
from ..events.log import record_many
from ..events.payloads import response_data
from ..extensions import db
from ..loop.priority import refresh_priorities
from ..models import Customer, Response, SurveyVersion, Touchpoint, utcnow
from .rules import score_text, thresholds

# Rows per claim, and so per transaction: the claim, the commit and the look-ups
# of a batch are paid once for all of its rows.
BATCH = 1000
SENTIMENT_KEYS = ("status", "reason", "compound", "positive", "neutral", "negative", "label")


def initial_sentiment(comment: str | None) -> dict:
    """A new answer's sentiment columns: a comment waits for its score; no comment, nothing to score."""
    if comment:
        return {"sentiment_status": "pending", "sentiment_reason": None}
    return {"sentiment_status": "skipped", "sentiment_reason": "no_comment"}


def mark_for_scoring(response: Response) -> None:
    """A changed comment waits for its score; a removed one leaves no score of the old text behind."""
    for key, value in initial_sentiment(response.comment).items():
        setattr(response, key, value)
    for key in ("compound", "positive", "neutral", "negative", "label"):
        setattr(response, f"sentiment_{key}", None)
    response.scored_at = None


def score_comments(rows) -> list[tuple[int, dict]]:
    """(id, sentiment) for each (id, comment) row."""
    limits = thresholds()
    return [(row_id, score_text(comment or "", limits)) for row_id, comment in rows]


def changed_sentiment(rows) -> list[tuple[int, dict]]:
    """For a rescore: (id, sentiment) of the rows whose stored sentiment the scores now differ from.

    ``rows`` carry ``id``, ``comment`` and the ``sentiment_*`` columns.
    """
    scored = score_comments((row.id, row.comment) for row in rows)
    return [(row.id, sentiment) for row, (_, sentiment) in zip(rows, scored, strict=True)
            if tuple(sentiment[key] for key in SENTIMENT_KEYS)
            != tuple(getattr(row, f"sentiment_{key}") for key in SENTIMENT_KEYS)]


def write_sentiment(scores: list[tuple[int, dict]]) -> int:
    """Store (id, sentiment) pairs, each with its ``response.scored`` event, and move the follow-ups'
    priorities; returns how many were written."""
    if not scores:
        return 0
    now = utcnow()
    db.session.execute(update(Response), [
        {"id": row_id, **{f"sentiment_{key}": sentiment[key] for key in SENTIMENT_KEYS},
         "scored_at": now, "updated_at": now}
        for row_id, sentiment in scores])
    ids = [row_id for row_id, _ in scores]
    record_many([{"organization_id": row.organization_id, "type": "response.scored", "created_at": now,
                  "data": _payload(row)} for row in _as_scored(ids)])
    refresh_priorities(ids)
    return len(scores)


class _Touchpoint(NamedTuple):
    id: int
    name: str
    channel: str
    journey_id: int


class _Customer(NamedTuple):
    id: int
    external_id: str | None
    email: str | None


def _as_scored(ids: list[int]):
    """The scored rows with what their events show, in one query (plain rows: a batch is a thousand)."""
    response = Response.__table__
    return db.session.execute(
        select(*response.c, Touchpoint.name.label("touchpoint_name"), Touchpoint.channel, Touchpoint.journey_id,
               SurveyVersion.question, Customer.external_id, Customer.email)
        .join(Touchpoint, Touchpoint.id == response.c.touchpoint_id)
        .join(SurveyVersion, SurveyVersion.id == response.c.survey_version_id)
        .outerjoin(Customer, Customer.id == response.c.customer_id)
        .where(in_ids(response.c.id, ids))
        .order_by(response.c.id)
    ).all()


def _payload(row) -> dict:
    return response_data(
        row, touchpoint=_Touchpoint(row.touchpoint_id, row.touchpoint_name, row.channel, row.journey_id),
        question=row.question,
        customer=_Customer(row.customer_id, row.external_id, row.email) if row.customer_id is not None else None)
