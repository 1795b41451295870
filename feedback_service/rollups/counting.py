"""Counting answers into the rollups, in the transaction that writes the answers.

Every write that adds an answer, changes what it is counted under (its score, its
sentiment) or removes it says so here, with the rows before and after: ``count``
for new answers, ``recounted`` around a change, ``uncount`` before a removal. The
counts move by upserts (``count = count + delta``), so two answers arriving at once
add up instead of one overwriting the other; each transaction takes its keys in one
order, so two transactions never wait on each other's rows in a circle.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date

from sqlalchemy import bindparam, select

from ..core.database import DIALECT_INSERTS, for_this_database
from ..extensions import db
from ..models import Response, ResponseRollup


@dataclass(frozen=True, order=True)
class Key:
    """What one answer is counted under."""

    touchpoint_id: int
    day: date
    source: str
    metric: str
    score: int
    sentiment: str
    organization_id: int


def sentiment_of(status: str, label: str | None) -> str:
    """The label a scored comment has; "" for no comment or one not scored yet."""
    return (label or "") if status == "scored" else ""


def key_of(row) -> Key:
    """The key of a response, or of any row with the columns a response has."""
    return Key(row.touchpoint_id, row.created_at.astimezone(UTC).date(), row.source, row.metric, row.score,
               sentiment_of(row.sentiment_status, row.sentiment_label), row.organization_id)


def count(rows: Iterable) -> None:
    """New answers: each adds one under its key."""
    apply_deltas(Counter(key_of(row) for row in rows))


def uncount(rows: Iterable) -> None:
    """Answers about to be removed: each takes one away."""
    apply_deltas(Counter({key: -n for key, n in Counter(key_of(row) for row in rows).items()}))


def moved(before: Iterable[Key], rows: Iterable) -> None:
    """Answers whose key was each of ``before`` and is now what ``rows`` say."""
    deltas = Counter(key_of(row) for row in rows)
    deltas.subtract(before)
    apply_deltas(deltas)


@contextmanager
def recounted(rows: list) -> Iterator[None]:
    """Around changes to these (ORM) responses: what they are counted under follows them.

    The rows are read again, locked, before the change: what they were loaded as may be
    stale (a scoring job may have written one since), and the key to take one away from
    must be the one it is counted under now. The change is flushed before the counts move,
    so every writer locks the response row before its rollup rows, as the scoring does.
    """
    if rows:
        db.session.execute(select(Response).where(Response.id.in_([row.id for row in rows]))
                           .order_by(Response.id).with_for_update()
                           .execution_options(populate_existing=True))
    before = [key_of(row) for row in rows]
    yield
    db.session.flush()
    moved(before, rows)


KEY_COLUMNS = (Response.id, Response.touchpoint_id, Response.created_at, Response.source, Response.metric,
                Response.score, Response.sentiment_status, Response.sentiment_label, Response.organization_id)


def keys_of_ids(ids: list[int]) -> list[Key]:
    """The keys of the stored responses with these ids (before a bulk update changes them)."""
    if not ids:
        return []
    return [key_of(row) for row in db.session.execute(select(*KEY_COLUMNS).where(Response.id.in_(ids)))]


_rollup = ResponseRollup.__table__
_UPSERT = {
    dialect: (statement := insert(_rollup).values(
        {column.key: bindparam(column.key, type_=column.type) for column in _rollup.c}))
    .on_conflict_do_update(index_elements=list(_rollup.primary_key.columns),
                           set_={"count": _rollup.c.count + statement.excluded["count"]})
    for dialect, insert in DIALECT_INSERTS.items()
}


def apply_deltas(deltas: Counter) -> None:
    """Move each key's count by its delta (keys with 0 are skipped), in key order."""
    changes = sorted((key, n) for key, n in deltas.items() if n)
    if not changes:
        return
    db.session.execute(for_this_database(_UPSERT), [
        {"organization_id": key.organization_id, "touchpoint_id": key.touchpoint_id, "day": key.day,
         "source": key.source, "metric": key.metric, "score": key.score, "sentiment": key.sentiment, "count": n}
        for key, n in changes])
