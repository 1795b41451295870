""""Open", "awaiting action" and "overdue" mean the same in Python and in SQL.

They are hybrids on ``FollowUp``: the console asks an object, the inbox and the
SLA check ask the database. Every status, due before and after the moment asked
about, is put to both.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from feedback_service.core.database import commit
from feedback_service.extensions import db
from feedback_service.loop import opening
from feedback_service.models import STATUSES, FollowUp, Response, utcnow


def test_the_hybrids_agree_with_their_sql_for_every_status(app, org, make_touchpoint, make_response):
    touchpoint_id, _ = make_touchpoint(org)
    now = utcnow()
    cases = [(status, due) for status in STATUSES for due in (now - timedelta(hours=1), now + timedelta(hours=1))]
    response_ids = [make_response(org, touchpoint_id, score=1, comment="Late again.") for _ in cases]
    with app.app_context(), org.scope():
        for response_id, (status, due) in zip(response_ids, cases, strict=True):
            follow_up = opening.open_for_response(db.session.get(Response, response_id))
            follow_up.status, follow_up.due_at = status, due
        commit()
        follow_ups = db.session.scalars(select(FollowUp)).all()
        assert len(follow_ups) == 2 * len(STATUSES)

        def ids(where) -> set[int]:
            return set(db.session.scalars(select(FollowUp.id).where(where)))

        assert ids(FollowUp.is_open) == {f.id for f in follow_ups if f.is_open}
        assert ids(FollowUp.is_awaiting_action) == {f.id for f in follow_ups if f.is_awaiting_action}
        assert ids(FollowUp.overdue_at(now)) == {f.id for f in follow_ups if f.overdue_at(now)}
        assert ids(FollowUp.is_overdue) == {f.id for f in follow_ups if f.is_overdue}
        # And what they say: closed ones are not open; only those waiting on us, and late, are overdue.
        assert {f.status for f in follow_ups if not f.is_open} == {"resolved", "no_action"}
        assert {f.status for f in follow_ups if f.is_overdue} == {"new", "assigned", "in_progress"}
        assert all(f.due_at < now for f in follow_ups if f.is_overdue)
