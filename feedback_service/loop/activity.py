"""A follow-up's history: every change is an immutable activity entry and an event, written together."""

from __future__ import annotations

from ..events import log as events
from ..events.payloads import follow_up_data
from ..extensions import db
from ..models import FollowUp, FollowUpActivity, utcnow


def log_activity(follow_up: FollowUp, kind: str, actor: str, *, before=None, after=None, body=None) -> None:
    """One line of the follow-up's log: who did what, before and after."""
    db.session.add(FollowUpActivity(follow_up_id=follow_up.id, organization_id=follow_up.organization_id,
                                    kind=kind, actor=actor, before=before, after=after, body=body,
                                    created_at=utcnow()))


def announce(event_type: str, follow_up: FollowUp, **extra) -> None:
    """The ``follow_up.*`` event of a change, in the change's transaction."""
    events.record(event_type, follow_up_data(follow_up, **extra), organization_id=follow_up.organization_id)


def first_action(follow_up: FollowUp) -> None:
    """Someone did something: the first time is what "time to first action" measures."""
    if follow_up.first_action_at is None:
        follow_up.first_action_at = utcnow()
