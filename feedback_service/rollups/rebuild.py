"""Counting the rollups again from the answers: after a restore, a bulk load, or to check them.

One touchpoint per transaction, so a rebuild can be stopped and run again (it replaces,
never adds), and answers wait only while the touchpoint under way is recounted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from sqlalchemy import delete, func, select, text

from ..extensions import db
from ..models import Response, ResponseRollup, Touchpoint
from .counting import KEY_COLUMNS, apply_deltas, key_of

# Answers read per round trip: a touchpoint with a million answers is streamed, not loaded.
READ_BATCH = 10_000


def touchpoints_to_rebuild(organization_id: int | None = None) -> list[tuple[int, int]]:
    """(touchpoint id, its answers) of every touchpoint, or one organisation's."""
    query = (select(Touchpoint.id, func.count(Response.id))
             .outerjoin(Response, Response.touchpoint_id == Touchpoint.id)
             .group_by(Touchpoint.id).order_by(Touchpoint.id))
    if organization_id is not None:
        query = query.where(Touchpoint.organization_id == organization_id)
    return [(row[0], row[1]) for row in db.session.execute(query)]


def rebuild_touchpoint(touchpoint_id: int) -> int:
    """Replace one touchpoint's rollups with a count of its answers, and commit; returns the answers.

    Exact while answers keep arriving. On PostgreSQL the table lock (which plain reads pass)
    makes a new answer's count wait until the recount is in, and the recount wait for answers
    whose count is already in; on SQLite the DELETE takes the database's one write lock first.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE response_rollup IN EXCLUSIVE MODE"))
    db.session.execute(delete(ResponseRollup).where(ResponseRollup.touchpoint_id == touchpoint_id))
    counts: Counter = Counter()
    rows = db.session.execute(select(*KEY_COLUMNS).where(Response.touchpoint_id == touchpoint_id)
                              .execution_options(yield_per=READ_BATCH))
    for row in rows:
        counts[key_of(row)] += 1
    apply_deltas(counts)
    db.session.commit()
    return counts.total()


def rebuild(organization_id: int | None = None, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild every touchpoint's rollups (or one organisation's); ``progress`` hears each
    touchpoint's answers as it is done. Returns how many answers were counted."""
    todo = touchpoints_to_rebuild(organization_id)
    db.session.rollback()
    total = 0
    for touchpoint_id, _ in todo:
        done = rebuild_touchpoint(touchpoint_id)
        total += done
        if progress:
            progress(done)
    return total
