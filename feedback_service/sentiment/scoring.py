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

from sqlalchemy import bindparam, select, text, update

from .. import rollups
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
    scored = store_scores(scores, now)
    record_many([{"organization_id": row.organization_id, "type": "response.scored", "created_at": now,
                  "data": _payload(row)} for row in scored])
    refresh_priorities([row.id for row in scored])
    return len(scored)


def store_scores(scores: list[tuple[int, dict]], now) -> list:
    """Write (id, sentiment) pairs; returns the rows written, with what their events show (the
    touchpoint's name, channel and journey, the question, the customer's keys), in id order.

    On PostgreSQL one statement does both (``_store_scores_postgresql``: the feature's one fast
    path, docs/decisions/0005); elsewhere, and as the reference the tests hold it to, the ORM.
    """
    before = rollups.keys_of_ids([row_id for row_id, _ in scores])
    if db.session.get_bind().dialect.name == "postgresql":
        scored = _store_scores_postgresql(scores, now)
    else:
        scored = store_scores_orm(scores, now)
    rollups.moved(before, scored)  # a comment's count moves from "not scored" (or its old label) to its label
    return scored


def store_scores_orm(scores: list[tuple[int, dict]], now) -> list:
    db.session.execute(update(Response), [
        {"id": row_id, **{f"sentiment_{key}": sentiment[key] for key in SENTIMENT_KEYS},
         "scored_at": now, "updated_at": now}
        for row_id, sentiment in scores])
    return _as_scored([row_id for row_id, _ in scores])


_response = Response.__table__
_LABELS = ("touchpoint_name", "channel", "journey_id", "question", "external_id", "email")
# The sentiment travels as one array a column (the statement's text never changes with the batch's
# size); the UPDATE's RETURNING is joined to the labels the events show.
_STORE_SCORES_POSTGRESQL = text(f"""
    WITH s AS (
        SELECT * FROM unnest(CAST(:ids AS integer[]), CAST(:status AS text[]), CAST(:reason AS text[]),
                             CAST(:compound AS float8[]), CAST(:positive AS float8[]),
                             CAST(:neutral AS float8[]), CAST(:negative AS float8[]), CAST(:label AS text[]))
            AS s(id, status, reason, compound, positive, neutral, negative, label)
    ), scored AS (
        UPDATE response SET {", ".join(f"sentiment_{key} = s.{key}" for key in SENTIMENT_KEYS)},
            scored_at = :now, updated_at = :now
        FROM s WHERE response.id = s.id
        RETURNING response.*
    )
    SELECT {", ".join(f"scored.{column.key}" for column in _response.c)}, t.name AS touchpoint_name, t.channel,
        t.journey_id, v.question, c.external_id, c.email
    FROM scored
    JOIN touchpoint t ON t.id = scored.touchpoint_id
    JOIN survey_version v ON v.id = scored.survey_version_id
    LEFT JOIN customer c ON c.id = scored.customer_id
    ORDER BY scored.id
""").bindparams(bindparam("now", type_=_response.c.scored_at.type)).columns(
    *_response.c, *(column.label(name) for column, name in zip(
        (Touchpoint.name, Touchpoint.channel, Touchpoint.journey_id, SurveyVersion.question, Customer.external_id,
         Customer.email), _LABELS, strict=True)))


def _store_scores_postgresql(scores: list[tuple[int, dict]], now) -> list:
    def column(key: str, numbers: bool = False) -> list:
        # One element type an array: a compound of exactly 0 must not arrive as an int.
        return [None if s[key] is None else float(s[key]) if numbers else s[key] for _, s in scores]

    return db.session.execute(_STORE_SCORES_POSTGRESQL, {
        "now": now, "ids": [row_id for row_id, _ in scores], "status": column("status"), "reason": column("reason"),
        "compound": column("compound", True), "positive": column("positive", True),
        "neutral": column("neutral", True), "negative": column("negative", True), "label": column("label"),
    }).all()


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
