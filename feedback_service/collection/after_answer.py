"""What happens to an answer after it is stored: its follow-up is opened, its comment scored.

Both run after the customer's request has committed, so the request does only
the durable minimum. In-process (no ``REDIS_URL``) they run for that one
response right after the commit; with a worker, one drain job at a time takes
everything pending in batches (requests ask for it through a mark in Redis,
``jobs._ask_once``, so a stream of answers enqueues one job, not one each).
Each step is guarded by a flag on the row
(``follow_up_pending``, ``sentiment_status = 'pending'``) that it clears in the
same transaction as its work, so running twice does nothing more, and the
sweep finds whatever a lost job left behind.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..core.database import commit
from ..extensions import db
from ..core.jobs import PendingJob, after_commit, release
from ..models import FollowUp, Response
from ..loop import workflow as follow_ups, routing
from ..webhooks import fanout as webhook_fanout
from ..core.tenancy import tenant_scope
from ..sentiment.scoring import drain_pending, score_responses

log = logging.getLogger(__name__)

FOLLOW_UP_BATCH = 100
# The mark under which requests ask for the drain.
DRAIN = "responses"


def request_processing(response_id: int) -> None:
    """Ask for the follow-up and the score of a response once the transaction commits."""
    after_commit(processing_job(response_id))


def processing_job(response_id: int) -> PendingJob:
    """The job that opens the follow-up and scores the comment of a stored response."""
    if current_app.config.get("REDIS_URL"):
        return PendingJob(process_pending, (DRAIN,), result_ttl=0, once=DRAIN)
    return PendingJob(process_responses, ([response_id],))


def process_responses(response_ids: list[int]) -> None:
    """These responses' pending follow-ups and scores."""
    open_pending_follow_ups(response_ids)
    score_responses(response_ids)


def process_pending(mark: str | None = None) -> None:
    """Everything pending, batch after batch: the worker's drain.

    Asked for under a ``mark`` (by requests), it gives the mark back when done
    and then looks once more, for what was committed by requests that found
    the mark taken.
    """
    _drain()
    if mark is not None:
        release(mark)
        _drain()


def _drain() -> None:
    while open_pending_follow_ups() == FOLLOW_UP_BATCH:
        continue  # a full batch: there may be more
    drain_pending()


def open_pending_follow_ups(response_ids: list[int] | None = None, batch: int = FOLLOW_UP_BATCH) -> int:
    """Claim responses waiting for their follow-up (no other worker holds them) and open them."""
    query = (select(Response.id, Response.organization_id)
             .where(Response.follow_up_pending)  # as the partial index says it, so the claim reads just that
             .order_by(Response.id).limit(batch)
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
    # every row written): each group is opened in a few statements (follow_ups.open_for_responses).
    by_organization: dict[int, list[Response]] = {}
    for response_id, organization_id in claimed:
        by_organization.setdefault(organization_id, []).append(responses[response_id])
    teams = {response.touchpoint.team_id for response in responses.values() if response.touchpoint.team_id}
    with webhook_fanout.routes_held(), routing.teams_held(teams), follow_ups.unassigned_notices_per_batch():
        for organization_id, batch_of_one_organization in by_organization.items():
            with tenant_scope(organization_id):
                follow_ups.open_for_responses(batch_of_one_organization, followed=followed)
                db.session.flush()  # the owners' emails too, under the tenant they belong to
    commit()  # and send the notices the new follow-ups queued
    # One line per drained batch; in process (one answer at a time) that would be a line per answer.
    if len(claimed) > 1:
        log.info("opened follow-ups for %d responses", len(claimed))
    else:
        log.debug("opened the follow-up of response %d", claimed[0][0])
    return len(claimed)
