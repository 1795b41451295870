"""Score comments with VADER, in batches, exactly once per comment.

Jobs never receive rows, only ids or nothing at all:

* ``score_responses(ids)`` scores those of the given responses still pending;
* ``score_pending_batch()`` claims up to ``BATCH`` pending rows (``FOR UPDATE
  SKIP LOCKED`` on PostgreSQL, so several workers share a backlog without
  overlap), scores them and writes the results back in one statement;
* ``drain_pending()`` repeats that until the backlog is empty.

Every write is ``UPDATE … WHERE sentiment_status = 'pending'``: a job that runs
twice, or a sweep that re-enqueued work already done, writes nothing more.
``rescore(ids)`` writes only the rows whose sentiment it changes. Either way
the write reports the rows it changed (``RETURNING``), and only those get a
``response.scored`` event (with the webhook deliveries it owes), whatever the
claim read. The scores, their events and the follow-ups' new priorities
commit together. What a score is lives in ``services.sentiment``.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext

from flask import current_app
from sqlalchemy import bindparam, select, text

from ..core.database import commit, in_ids
from ..extensions import db
from ..models import Customer, Response, SurveyVersion, Touchpoint, utcnow
from ..events import log as events
from ..loop.priorities import refresh_priorities
from .rules import score_text, thresholds

log = logging.getLogger(__name__)

# Rows per claim, and so per transaction. A batch's fixed costs (the claim, a
# commit that waits for the WAL flush, the follow-up and webhook look-ups) are
# paid once for all of them; 1,000 rows hold their locks for about 0.1 s.
BATCH = 1000
_table = Response.__table__
_tp = Touchpoint.__table__
_sv = SurveyVersion.__table__
_cu = Customer.__table__

_SENTIMENT_KEYS = ("status", "reason", "compound", "positive", "neutral", "negative", "label")
_SENTIMENT_COLUMNS = tuple(_table.c[f"sentiment_{key}"] for key in _SENTIMENT_KEYS)

# Which rows a write may change. A drain's and a job's: those still pending
# (another job may have scored a claimed row since, where nothing locked it).
# A rescore's: those whose stored sentiment differs from the new one (a row
# scored the same way again is left alone, and gets no event).
PENDING, CHANGED = "pending", "changed"


def _score_rows(rows, turn: AbstractContextManager | None = None) -> int:
    """Score (id, comment) rows and write back those still pending, with a
    ``response.scored`` event for each row written and the follow-ups'
    priorities, in the caller's transaction; returns how many were written.

    ``turn``, when given, is held while scoring (see ``drain_pending``).
    """
    if not rows:
        return 0
    limits = thresholds()
    with turn or nullcontext():
        scores = [(rid, score_text(comment or "", limits)) for rid, comment in rows]
    return _write(scores, PENDING)


def _write(scores: list[tuple[int, dict]], only: str) -> int:
    """Write (id, sentiment) pairs to the rows ``only`` allows, each changed row's
    event and the follow-ups' priorities; returns how many rows changed."""
    if not scores:
        return 0
    now = utcnow()
    if db.session.get_bind().dialect.name == "postgresql":
        written = _write_scores_and_events_postgresql(scores, now, only)
    else:
        written = _write_scores_and_events(scores, now, only)
    # The sentiment may make a follow-up more (or less) urgent.
    refresh_priorities(written)
    return len(written)


# PostgreSQL: one statement a batch. The scores travel as arrays, so the text
# never changes and is prepared once, and in binary (``%(…)b``): quoting them as
# text took psycopg ~7 µs a comment, an eighth of VADER's time, binary ~1.5 µs.
# The id range (the batch was claimed in id order) lets the UPDATE find its rows
# by index whatever the planner guesses of the backlog; joined on ids alone, it
# hashed every pending row for every batch. Its RETURNING feeds the events
# straight from the rows it wrote, so nothing is read twice and only rows
# actually written get an event. PostgreSQL builds the events' JSON itself, in
# the same shape as ``_event_data`` below, the response's created_at too: in
# UTC, as Python's isoformat() writes it (to_jsonb would follow the session's
# TimeZone, and trims the fraction's zeros).
_SCORE_AND_LOG = """
    WITH s AS (
        SELECT * FROM unnest(CAST(%(ids)b AS integer[]), CAST(%(statuses)b AS text[]),
                             CAST(%(reasons)b AS text[]), CAST(%(compounds)b AS float8[]),
                             CAST(%(positives)b AS float8[]), CAST(%(neutrals)b AS float8[]),
                             CAST(%(negatives)b AS float8[]), CAST(%(labels)b AS text[]))
            AS s(rid, status, reason, compound, positive, neutral, negative, label)
    ), scored AS (
        UPDATE response SET sentiment_status = s.status, sentiment_reason = s.reason,
            sentiment_compound = s.compound, sentiment_positive = s.positive,
            sentiment_neutral = s.neutral, sentiment_negative = s.negative,
            sentiment_label = s.label, scored_at = %(now)s, updated_at = %(now)s
        FROM s
        WHERE response.id = s.rid AND {only}
            AND response.id BETWEEN CAST(%(first)s AS integer) AND CAST(%(last)s AS integer)
        RETURNING response.id, response.organization_id, response.touchpoint_id, response.survey_version_id,
            response.customer_id, response.score, response.metric, response.comment, response.context,
            response.source, response.created_at AT TIME ZONE 'UTC' AS created_utc, s.status, s.reason,
            s.compound, s.positive, s.neutral, s.negative, s.label
    )
    INSERT INTO event (organization_id, type, created_at, data)
    SELECT r.organization_id, 'response.scored', %(now)s, jsonb_build_object(
        'response', jsonb_build_object(
            'id', r.id, 'score', r.score, 'metric', r.metric, 'comment', r.comment,
            'context', r.context, 'source', r.source, 'created_at',
                to_char(r.created_utc, 'YYYY-MM-DD"T"HH24:MI:SS')
                || CASE WHEN date_trunc('second', r.created_utc) = r.created_utc THEN ''
                        ELSE to_char(r.created_utc, '.US') END || '+00:00',
            'sentiment', jsonb_build_object(
                'status', r.status, 'reason', r.reason, 'compound', r.compound, 'positive', r.positive,
                'neutral', r.neutral, 'negative', r.negative, 'label', r.label)),
        'touchpoint', jsonb_build_object('id', t.id, 'name', t.name, 'channel', t.channel,
                                         'journey_id', t.journey_id),
        'question', v.question,
        'customer', CASE WHEN c.id IS NULL THEN NULL
                         ELSE jsonb_build_object('id', c.id, 'external_id', c.external_id, 'email', c.email) END)
    FROM scored r
    JOIN touchpoint t ON t.id = r.touchpoint_id
    JOIN survey_version v ON v.id = r.survey_version_id
    LEFT JOIN customer c ON c.id = r.customer_id
    ORDER BY r.id
    RETURNING id, organization_id, type, CAST(data -> 'touchpoint' ->> 'id' AS integer) AS touchpoint_id,
        CAST(data -> 'response' ->> 'id' AS integer) AS response_id
"""
_ONLY_POSTGRESQL = {
    PENDING: "response.sentiment_status = 'pending'",
    CHANGED: "response.comment IS NOT NULL AND (response.sentiment_status, response.sentiment_reason, "
             "response.sentiment_compound, response.sentiment_positive, response.sentiment_neutral, "
             "response.sentiment_negative, response.sentiment_label) IS DISTINCT FROM "
             "(s.status, s.reason, s.compound, s.positive, s.neutral, s.negative, s.label)",
}
_SCORE_AND_LOG_POSTGRESQL = {only: _SCORE_AND_LOG.replace("{only}", condition)
                             for only, condition in _ONLY_POSTGRESQL.items()}


def _write_scores_and_events_postgresql(scores: list[tuple[int, dict]], now, only: str) -> list[int]:
    text_column = lambda key: [score[key] for _, score in scores]  # noqa: E731
    # Binary arrays take one element type: a compound of exactly 0 must not arrive as an int.
    float_column = lambda key: [None if score[key] is None else float(score[key]) for _, score in scores]  # noqa: E731
    ids = [rid for rid, _ in scores]
    logged = db.session.connection().exec_driver_sql(_SCORE_AND_LOG_POSTGRESQL[only], {
        "now": now, "ids": ids, "first": min(ids), "last": max(ids), "statuses": text_column("status"),
        "reasons": text_column("reason"), "compounds": float_column("compound"),
        "positives": float_column("positive"), "neutrals": float_column("neutral"),
        "negatives": float_column("negative"), "labels": text_column("label"),
    }).all()
    events.fan_out_inserted(logged, lambda row: {"id": row.id, "organization_id": row.organization_id,
                                                 "type": row.type, "data": {"touchpoint": {"id": row.touchpoint_id}}})
    return [row.response_id for row in logged]


# Elsewhere (SQLite): one UPDATE … FROM the batch as a JSON array (one
# parameter, one query text whatever the batch's size), whose RETURNING names
# the rows it changed; then their events, built in Python. The claim took
# SQLite's write lock in the usual case, but a transaction begun deferred, or
# a row scored by a job that read it earlier, must not log a row twice.
_SCORE_SQLITE = """
    WITH s AS (
        SELECT json_extract(value, '$[0]') AS rid, json_extract(value, '$[1]') AS status,
            json_extract(value, '$[2]') AS reason, json_extract(value, '$[3]') AS compound,
            json_extract(value, '$[4]') AS positive, json_extract(value, '$[5]') AS neutral,
            json_extract(value, '$[6]') AS negative, json_extract(value, '$[7]') AS label
        FROM json_each(:scores)
    )
    UPDATE response SET sentiment_status = s.status, sentiment_reason = s.reason,
        sentiment_compound = s.compound, sentiment_positive = s.positive, sentiment_neutral = s.neutral,
        sentiment_negative = s.negative, sentiment_label = s.label, scored_at = :now, updated_at = :now
    FROM s
    WHERE response.id = s.rid AND {only}
    RETURNING response.id
"""
_ONLY_SQLITE = {
    PENDING: "response.sentiment_status = 'pending'",
    CHANGED: "response.comment IS NOT NULL AND (" + " OR ".join(
        f"response.sentiment_{key} IS NOT s.{key}" for key in _SENTIMENT_KEYS) + ")",
}
# ``now`` as the column type stores it (UTC, in SQLAlchemy's text format).
_SCORE_SQLITE_BY_ONLY = {only: text(_SCORE_SQLITE.replace("{only}", condition))
                         .bindparams(bindparam("now", type_=_table.c.scored_at.type))
                         for only, condition in _ONLY_SQLITE.items()}


def _write_scores_and_events(scores: list[tuple[int, dict]], now, only: str) -> list[int]:
    by_id = dict(scores)
    batch = json.dumps([[rid, *(score[key] for key in _SENTIMENT_KEYS)] for rid, score in scores])
    written = db.session.scalars(_SCORE_SQLITE_BY_ONLY[only], {"scores": batch, "now": now}).all()
    if not written:
        return []
    rows = db.session.execute(
        select(_table.c.id, _table.c.organization_id, _table.c.score, _table.c.metric, _table.c.comment,
               _table.c.context, _table.c.source, _table.c.created_at, _tp.c.id.label("touchpoint_id"),
               _tp.c.name, _tp.c.channel, _tp.c.journey_id, _sv.c.question, _cu.c.id.label("customer_id"),
               _cu.c.external_id, _cu.c.email)
        .join(_tp, _tp.c.id == _table.c.touchpoint_id)
        .join(_sv, _sv.c.id == _table.c.survey_version_id)
        .outerjoin(_cu, _cu.c.id == _table.c.customer_id)
        .where(_table.c.id.in_(written))
        .order_by(_table.c.id)
    ).all()
    # Through the event log's bulk entry, so the webhooks each event owes are written with it.
    events.record_many([{"organization_id": row.organization_id, "type": "response.scored", "created_at": now,
                         "data": _event_data(row, by_id[row.id])} for row in rows])
    return [row.id for row in rows]


def _event_data(row, score: dict) -> dict:
    return {
        "response": {
            "id": row.id, "score": row.score, "metric": row.metric, "comment": row.comment,
            "context": row.context, "source": row.source, "created_at": _iso(row.created_at),
            "sentiment": {key: score[key] for key in _SENTIMENT_KEYS},
        },
        "touchpoint": {"id": row.touchpoint_id, "name": row.name, "channel": row.channel,
                       "journey_id": row.journey_id},
        "question": row.question,
        "customer": ({"id": row.customer_id, "external_id": row.external_id, "email": row.email}
                     if row.customer_id else None),
    }


def _iso(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def score_responses(response_ids: list[int]) -> int:
    """Score those of these responses still pending; returns how many were written."""
    rows = db.session.execute(
        select(_table.c.id, _table.c.comment)
        .where(in_ids(_table.c.id, response_ids), _table.c.sentiment_status == "pending")
        .order_by(_table.c.id)
        .with_for_update(skip_locked=True)
    ).all()
    written = _score_rows(rows)
    commit()  # and dispatch the webhook deliveries the scored events owe
    return written


def rescore(response_ids: list[int]) -> int:
    """Score these responses' comments again (after a threshold change, say).

    Only the rows whose sentiment changes (label, scores, or skipped or not)
    are written, each with its ``response.scored`` event; the others keep
    their ``scored_at`` and ``updated_at``. Returns how many changed.
    """
    rows = db.session.execute(
        select(_table.c.id, _table.c.comment, *_SENTIMENT_COLUMNS)
        .where(in_ids(_table.c.id, response_ids), _table.c.comment.is_not(None))
        .order_by(_table.c.id)
        .with_for_update()  # a lane scoring one of them first is waited for, then compared with
    ).all()
    limits = thresholds()
    changes = []
    for row in rows:
        score = score_text(row.comment, limits)
        if tuple(score[key] for key in _SENTIMENT_KEYS) != tuple(row[2:]):
            changes.append((row.id, score))
    changed = _write(changes, CHANGED)
    commit()  # and dispatch the webhook deliveries the events owe
    return changed


def score_pending_batch(batch: int = BATCH, turn: AbstractContextManager | None = None) -> int:
    """Claim up to ``batch`` pending responses no other worker holds, and score them."""
    rows = db.session.execute(
        select(_table.c.id, _table.c.comment)
        .where(_table.c.sentiment_status == "pending")
        .order_by(_table.c.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    written = _score_rows(rows, turn)
    commit()  # and dispatch the webhook deliveries the scored events owe
    if written:
        log.info("scored a batch of %d responses", written)
    return written


def drain_pending(batch: int = BATCH) -> int:
    """Score batches until a claim comes back empty; returns the total.

    A backlog (a first batch that comes back full) on PostgreSQL is drained in
    ``SENTIMENT_DRAIN_LANES`` transactions at once, a thread each. A batch is
    ~60 % scoring (Python, holding the GIL) and ~40 % waiting for PostgreSQL to
    claim, write and commit it: with one lane the database's core idles while
    VADER runs, and VADER idles while the database works. The lanes take turns
    to score (left to the GIL, they would score side by side, then all wait for
    the database together), so one scores while the others' batches are
    written. They claim with ``SKIP LOCKED``, as separate workers do, so they
    never share a row.
    """
    total = score_pending_batch(batch)
    lanes = current_app.config["SENTIMENT_DRAIN_LANES"]
    if total < batch or lanes <= 1 or db.session.get_bind().dialect.name != "postgresql":
        return total + _drain(batch) if total else 0
    app, turn = current_app._get_current_object(), threading.Lock()
    with ThreadPoolExecutor(lanes - 1, thread_name_prefix="scoring-lane") as pool:
        others = [pool.submit(_drain_in_own_context, app, batch, turn) for _ in range(lanes - 1)]
        total += _drain(batch, turn)
        return total + sum(lane.result() for lane in others)


def _drain(batch: int, turn: AbstractContextManager | None = None) -> int:
    total = 0
    while (written := score_pending_batch(batch, turn)) > 0:
        total += written
    return total


def _drain_in_own_context(app, batch: int, turn: AbstractContextManager) -> int:
    # Its own app context, so its own session, connection and transaction.
    with app.app_context():
        try:
            return _drain(batch, turn)
        finally:
            db.session.remove()
