"""Score comments with VADER, in batches, exactly once per comment.

Jobs never receive rows, only ids or nothing at all:

* ``score_responses(ids)`` scores those of the given responses still pending;
* ``score_pending_batch()`` claims up to ``BATCH`` pending rows (``FOR UPDATE
  SKIP LOCKED`` on PostgreSQL, so several workers share a backlog without
  overlap), scores them and writes the results back in one statement;
* ``drain_pending()`` repeats that until the backlog is empty.

Every write is ``UPDATE … WHERE sentiment_status = 'pending'``: a job that runs
twice, or a sweep that re-enqueued work already done, writes nothing more.
What a score is lives in ``services.sentiment``.
"""

from __future__ import annotations

import logging

from sqlalchemy import bindparam, select, text, update

from ..database import commit
from ..extensions import db
from ..models import Customer, Response, SurveyVersion, Touchpoint, utcnow
from ..services import events, follow_ups
from ..services.sentiment import score_text, thresholds

log = logging.getLogger(__name__)

BATCH = 500
_table = Response.__table__

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


# One set-based statement for a whole batch on PostgreSQL: the scores travel as
# arrays, so the statement text never changes (prepared once) however big the batch.
_WRITE_SCORES_AT_ONCE = text("""
    UPDATE response SET sentiment_status = s.status, sentiment_reason = s.reason,
        sentiment_compound = s.compound, sentiment_positive = s.positive,
        sentiment_neutral = s.neutral, sentiment_negative = s.negative,
        sentiment_label = s.label, scored_at = :now, updated_at = :now
    FROM unnest(CAST(:ids AS integer[]), CAST(:statuses AS text[]), CAST(:reasons AS text[]),
                CAST(:compounds AS float8[]), CAST(:positives AS float8[]), CAST(:neutrals AS float8[]),
                CAST(:negatives AS float8[]), CAST(:labels AS text[]))
        AS s(rid, status, reason, compound, positive, neutral, negative, label)
    WHERE response.id = s.rid AND response.sentiment_status = 'pending'
""")


def _score_arrays(params: list[dict], now) -> dict:
    column = lambda key: [p[key] for p in params]  # noqa: E731
    return {"now": now, "ids": column("rid"), "statuses": column("status"), "reasons": column("reason"),
            "compounds": column("compound"), "positives": column("positive"), "neutrals": column("neutral"),
            "negatives": column("negative"), "labels": column("label")}


def _score_rows(rows) -> int:
    """Score (id, comment) rows, write them in one executemany and log a
    ``response.scored`` event for each, in the caller's transaction."""
    if not rows:
        return 0
    now, limits = utcnow(), thresholds()
    params = [{"rid": rid, "now": now, **score_text(comment or "", limits)} for rid, comment in rows]
    if db.session.get_bind().dialect.name == "postgresql":
        result = db.session.execute(_WRITE_SCORES_AT_ONCE, _score_arrays(params, now))
    else:
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


# PostgreSQL builds the events' JSON itself, from the rows just scored: one
# statement per batch, no payload built in Python. Same shape as the Python path.
_INSERT_SCORED_EVENTS = text("""
    INSERT INTO event (organization_id, type, created_at, data)
    SELECT r.organization_id, 'response.scored', :now, jsonb_build_object(
        'response', jsonb_build_object(
            'id', r.id, 'score', r.score, 'metric', r.metric, 'comment', r.comment,
            'context', r.context, 'source', r.source, 'created_at', to_jsonb(r.created_at),
            'sentiment', jsonb_build_object(
                'status', r.sentiment_status, 'reason', r.sentiment_reason,
                'compound', r.sentiment_compound, 'positive', r.sentiment_positive,
                'neutral', r.sentiment_neutral, 'negative', r.sentiment_negative,
                'label', r.sentiment_label)),
        'touchpoint', jsonb_build_object('id', t.id, 'name', t.name, 'channel', t.channel,
                                         'journey_id', t.journey_id),
        'question', v.question,
        'customer', CASE WHEN c.id IS NULL THEN NULL
                         ELSE jsonb_build_object('id', c.id, 'external_id', c.external_id, 'email', c.email) END)
    FROM response r
    JOIN touchpoint t ON t.id = r.touchpoint_id
    JOIN survey_version v ON v.id = r.survey_version_id
    LEFT JOIN customer c ON c.id = r.customer_id
    WHERE r.id = ANY(CAST(:ids AS integer[]))
    ORDER BY r.id
    RETURNING id, organization_id, type, CAST(data -> 'touchpoint' ->> 'id' AS integer) AS touchpoint_id
""")


def _record_scored_events(params: list[dict], now) -> None:
    """One ``response.scored`` event per row, with the labels a consumer needs."""
    if db.session.get_bind().dialect.name == "postgresql":
        inserted = db.session.execute(_INSERT_SCORED_EVENTS, {"now": now, "ids": [p["rid"] for p in params]}).all()
        events.fan_out_inserted([
            {"id": row.id, "organization_id": row.organization_id, "type": row.type,
             "data": {"touchpoint": {"id": row.touchpoint_id}}}
            for row in inserted
        ])
        return
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
