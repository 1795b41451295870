"""Opening follow-ups: every comment, and every low score where the touchpoint asks, gets one.

An answer that needs a follow-up is stored with ``follow_up_pending`` set, so
the customer's request waits for nothing; the follow-up is opened after the
commit (in-process, or by the worker in batches), routed to an owner, logged,
announced and emailed. Opening clears the flag in the same transaction, so a
response is never opened twice and the sweep finds whatever a lost job left.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..core.database import batch, commit
from ..core.tenancy import tenant_scope
from ..events.log import recorded_together
from ..extensions import db
from ..journeys.surveys import METRICS
from ..models import FollowUp, Organization, Response, User, utcnow
from . import priority, routing
from .activity import announce, log_activity
from .notices import tell_admins_of_unassigned, tell_owner, unassigned_notices_per_batch
from .priority import SYSTEM
from .workflow import give_to

log = logging.getLogger(__name__)

# Responses claimed per transaction by the worker.
OPENING_BATCH = 100


def follow_up_needed(*, policy: str, metric: str, score: int, comment: str | None) -> bool:
    """The rule: a comment always; a low score without one too, under the ``low_scores`` policy."""
    return bool(comment) or (policy == "low_scores" and METRICS[metric].is_low(score))


def needs_follow_up(response: Response) -> bool:
    return follow_up_needed(policy=response.touchpoint.follow_up_policy, metric=response.metric,
                            score=response.score, comment=response.comment)


def has_follow_up(response: Response) -> bool:
    if response.id is None:
        return False
    return db.session.scalar(select(FollowUp.id).where(FollowUp.response_id == response.id)) is not None


def open_for_response(response: Response) -> FollowUp | None:
    """Open the response's follow-up if it needs one and has none yet; route it to an owner."""
    followed = {response.id} if needs_follow_up(response) and has_follow_up(response) else set()
    opened = open_for_responses([response], followed=followed)
    return opened[0] if opened else None


def open_for_responses(responses: list[Response], *, followed: set[int]) -> list[FollowUp]:
    """Open the follow-ups these responses need, in order, each routed to an owner.

    ``followed``: the ids of those that have one already.

    Two passes, each written by one flush: the follow-ups themselves (what
    follows quotes their ids), then their log entries, events and assignments;
    the emails last. The caller serves the responses' organisation
    (``tenant_scope``), which stamps and checks every row written.
    """
    opened: list[tuple[FollowUp, User | None]] = []
    # Held here: the identity map keeps only what is referenced, so a get per row would be a
    # SELECT (and the autoflush before it) per row.
    organizations: dict[int, Organization] = {}
    for response in responses:
        response.follow_up_pending = False
        if response.id in followed or not needs_follow_up(response):
            continue
        if response.organization_id not in organizations:
            organizations[response.organization_id] = db.session.get(Organization, response.organization_id)
        level = priority.priority_for(response)
        # The team's lock first, before any row that references the team: a fixed
        # lock order, so simultaneous comments queue instead of deadlocking.
        owner = routing.choose_owner(response.touchpoint.team_id)
        now = utcnow()
        follow_up = FollowUp(organization_id=response.organization_id, response=response,
                             touchpoint_id=response.touchpoint_id, team_id=response.touchpoint.team_id,
                             status="new", priority=level,
                             due_at=priority.due_at(organizations[response.organization_id], level, now),
                             created_at=now, updated_at=now)
        db.session.add(follow_up)
        opened.append((follow_up, owner))
    if not opened:
        return []
    db.session.flush()
    for follow_up, owner in opened:
        log_activity(follow_up, "created", SYSTEM, after={"status": "new", "priority": follow_up.priority})
        announce("follow_up.created", follow_up)
        if owner is not None:
            give_to(follow_up, owner, SYSTEM, email_owner=False)
        else:
            tell_admins_of_unassigned(follow_up)
    db.session.flush()
    for follow_up, owner in opened:
        if owner is not None:
            tell_owner(follow_up, owner)
    return [follow_up for follow_up, _ in opened]


def open_pending(response_ids: list[int] | None = None, limit: int = OPENING_BATCH) -> int:
    """Claim up to ``limit`` responses waiting for their follow-up (that no other worker holds), open
    what they need and commit; returns how many were claimed."""
    query = (select(Response.id, Response.organization_id)
             .where(Response.follow_up_pending)  # as the partial index says it, so the claim reads just that
             .order_by(Response.id).limit(limit)
             .with_for_update(skip_locked=True))
    if response_ids is not None:
        query = query.where(Response.id.in_(response_ids))
    claimed = db.session.execute(query).all()
    if not claimed:
        commit()  # ends the claim's transaction
        return 0
    ids = [response_id for response_id, _ in claimed]
    # The batch's rows in two queries, not two per row: the responses with their touchpoints
    # (held here, so the session's identity map keeps them), and which have a follow-up already.
    responses = {r.id: r for r in db.session.scalars(
        select(Response).where(Response.id.in_(ids)).options(joinedload(Response.touchpoint)))}
    followed = set(db.session.scalars(select(FollowUp.response_id).where(FollowUp.response_id.in_(ids))))
    # An organisation's rows together, in id order, under its own tenant (which stamps and checks
    # every row written).
    by_organization: dict[int, list[Response]] = {}
    for response_id, organization_id in claimed:
        by_organization.setdefault(organization_id, []).append(responses[response_id])
    with batch(), recorded_together(), unassigned_notices_per_batch():
        routing.lock_teams(r.touchpoint.team_id for r in responses.values() if r.touchpoint.team_id)
        for organization_id, of_one_organization in by_organization.items():
            with tenant_scope(organization_id):
                open_for_responses(of_one_organization, followed=followed)
                db.session.flush()  # the owners' emails too, under the tenant they belong to
    commit()  # and send the notices the new follow-ups queued
    # One line per batch; in process (one answer at a time) that would be a line per answer.
    if len(claimed) > 1:
        log.info("opened follow-ups for %d responses", len(claimed))
    return len(claimed)
