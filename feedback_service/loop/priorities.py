"""Scoring finished: the sentiment may make follow-ups more (or less) urgent.

A drain scores a thousand comments a batch, nearly every one with an open
follow-up, so this works on plain rows and writes in bulk: the rule reads four
columns, only the follow-ups whose priority does change are locked and
updated, and their activity entries go in as one insert. (Loaded and flushed
as ORM objects, they cost a drain as much as VADER did.) Each change is what
``follow_ups`` would log for it: the new priority and due date, the version
bumped so a staff edit begun before it gets its 409, and a ``priority_changed``
entry with before and after.
"""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select, update

from ..core.database import in_ids
from ..extensions import db
from ..models import FollowUp, FollowUpActivity, Organization, Response, utcnow
from . import priority
from .workflow import CLOSED, SYSTEM

_follow_up = FollowUp.__table__
_response = Response.__table__
_set_priority = (
    update(_follow_up)
    .where(_follow_up.c.id == bindparam("follow_up_id"))
    .values(priority=bindparam("priority"), due_at=bindparam("due_at"), updated_at=bindparam("now"),
            version=_follow_up.c.version + 1)
)


def refresh_priorities(response_ids: list[int]) -> None:
    """Give these responses' open follow-ups the priority their sentiment now calls for."""
    if not response_ids:
        return
    # Table columns, not ORM attributes: a thousand plain rows cost a third as much.
    rows = db.session.execute(
        select(_follow_up.c.id, _follow_up.c.priority, _response.c.metric, _response.c.score,
               _response.c.sentiment_status, _response.c.sentiment_compound)
        .join(_response, _response.c.id == _follow_up.c.response_id)
        .where(in_ids(_follow_up.c.response_id, response_ids), _follow_up.c.status.not_in(CLOSED))
    ).all()
    levels = {row.id: level for row in rows
              if (level := priority.priority_of(row.metric, row.score, row.sentiment_status,
                                                row.sentiment_compound)) != row.priority}
    if not levels:
        return
    # Locked and read again, in id order: a staff change committed since the read
    # above is seen (a follow-up closed meanwhile keeps its priority), and one
    # begun after waits for this commit.
    changing = db.session.execute(
        select(FollowUp.id, FollowUp.organization_id, FollowUp.status, FollowUp.priority, FollowUp.due_at,
               FollowUp.created_at)
        .where(in_ids(FollowUp.id, list(levels))).order_by(FollowUp.id).with_for_update()
    ).all()
    # Held here: the session's identity map keeps objects only while something else does.
    organizations = {org.id: org for org in db.session.scalars(
        select(Organization).where(Organization.id.in_({row.organization_id for row in changing})))}
    changes = []
    for row in changing:
        level = levels[row.id]
        if row.status not in CLOSED and row.priority != level:
            changes.append((row, level, priority.due_at(organizations[row.organization_id], level, row.created_at)))
    if not changes:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        _write_postgresql(changes, utcnow())
    else:
        _write(changes, utcnow())


def _write(changes: list[tuple], now) -> None:
    db.session.execute(_set_priority, [{"follow_up_id": row.id, "priority": level, "due_at": due, "now": now}
                                       for row, level, due in changes])
    db.session.execute(insert(FollowUpActivity.__table__), [
        {"follow_up_id": row.id, "organization_id": row.organization_id, "kind": "priority_changed",
         "actor": SYSTEM, "before": {"priority": row.priority, "due_at": row.due_at.isoformat()},
         "after": {"priority": level, "due_at": due.isoformat()}, "created_at": now}
        for row, level, due in changes])


# The same two writes as one statement, from arrays, with the id range that keeps
# the UPDATE on the index (see tasks.sentiment). The due dates travel as
# Python's ISO text too, so the activity entries read exactly as those
# ``follow_ups`` writes.
_CHANGE_AND_LOG = """
    WITH c AS (
        SELECT * FROM unnest(CAST(%(ids)b AS integer[]), CAST(%(priorities)b AS text[]),
                             CAST(%(dues)s AS timestamptz[]), CAST(%(due_texts)b AS text[]),
                             CAST(%(previous)b AS text[]), CAST(%(previous_due_texts)b AS text[]))
            AS c(id, priority, due_at, due_text, previous, previous_due_text)
    ), changed AS (
        UPDATE follow_up SET priority = c.priority, due_at = c.due_at, updated_at = %(now)s,
            version = follow_up.version + 1
        FROM c WHERE follow_up.id = c.id
            AND follow_up.id BETWEEN CAST(%(first)s AS integer) AND CAST(%(last)s AS integer)
        RETURNING follow_up.id, follow_up.organization_id
    )
    INSERT INTO follow_up_activity (follow_up_id, organization_id, kind, actor, before, after, created_at)
    SELECT changed.id, changed.organization_id, 'priority_changed', %(actor)s,
        jsonb_build_object('priority', c.previous, 'due_at', c.previous_due_text),
        jsonb_build_object('priority', c.priority, 'due_at', c.due_text), %(now)s
    FROM changed JOIN c ON c.id = changed.id
    ORDER BY changed.id
"""


def _write_postgresql(changes: list[tuple], now) -> None:
    ids = [row.id for row, _, _ in changes]
    db.session.connection().exec_driver_sql(_CHANGE_AND_LOG, {
        "now": now, "actor": SYSTEM, "ids": ids, "first": min(ids), "last": max(ids),
        "priorities": [level for _, level, _ in changes], "dues": [due for _, _, due in changes],
        "due_texts": [due.isoformat() for _, _, due in changes],
        "previous": [row.priority for row, _, _ in changes],
        "previous_due_texts": [row.due_at.isoformat() for row, _, _ in changes],
    })
