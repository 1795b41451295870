"""The themes' jobs: find one touchpoint's themes again, and the sweep that says which need it.

``refresh_themes`` takes a touchpoint id and replaces what is stored for it in one
transaction, so running it twice, or after a sweep that enqueued it already, stores the same
themes again. Clustering is a second's work on a busy touchpoint, never a request's: the sweep
(every ``SWEEP_INTERVAL``) enqueues a touchpoint never looked at, one whose settled comments
changed since its themes were found (at most every ``THEMES_REFRESH_MINUTES``), and one whose
themes are a day old, so the window rolls on even when nobody writes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from ..core.jobs import PendingJob, dispatch
from ..extensions import db
from ..models import Response, ThemeRun, Touchpoint, utcnow
from .store import refresh

log = logging.getLogger(__name__)

# Themes older than this are found again even if no comment changed: the window has moved on.
MAX_AGE = timedelta(hours=24)


def refresh_themes(touchpoint_id: int) -> int:
    """Find this touchpoint's themes again and store them in place of the old; returns how many."""
    found = refresh(touchpoint_id)
    log.info("themes of touchpoint %d found again: %d", touchpoint_id, found)
    return found


def sweep_themes() -> int:
    """Enqueue ``refresh_themes`` for every touchpoint that needs it; returns how many."""
    due = touchpoints_due()
    db.session.rollback()  # end the read transaction; the jobs open their own
    for touchpoint_id in due:
        # One queued job per touchpoint at a time: a sweep finding it still queued adds nothing.
        dispatch(PendingJob(refresh_themes, (touchpoint_id,), job_id=f"themes-touchpoint-{touchpoint_id}",
                            result_ttl=0))
    if due:
        log.info("themes sweep enqueued %d touchpoints", len(due))
    return len(due)


def touchpoints_due() -> list[int]:
    now = utcnow()
    quiet = timedelta(minutes=int(current_app.config["THEMES_REFRESH_MINUTES"]))
    # A change stamped this long before a run may have committed after its read: looked for again.
    settle = timedelta(seconds=float(current_app.config["SYNC_SETTLE_SECONDS"]))
    live = db.session.execute(
        select(Touchpoint.id, Touchpoint.organization_id, ThemeRun.computed_at, ThemeRun.comments)
        .outerjoin(ThemeRun, ThemeRun.touchpoint_id == Touchpoint.id)
        .where(Touchpoint.archived_at.is_(None))
        .order_by(Touchpoint.id)
    ).all()
    due, to_check = [], defaultdict(dict)
    for touchpoint_id, organization_id, computed_at, comments in live:
        if computed_at is None or (comments and computed_at <= now - MAX_AGE):
            due.append(touchpoint_id)
        elif computed_at <= now - quiet:
            to_check[organization_id][touchpoint_id] = computed_at
    for organization_id, runs in to_check.items():
        # Per organisation, from its oldest run: the (organization_id, updated_at) index reads
        # only the answers changed since.
        changed = db.session.execute(
            select(Response.touchpoint_id, func.max(Response.updated_at))
            .where(Response.organization_id == organization_id,
                   Response.updated_at > min(runs.values()) - settle,
                   Response.touchpoint_id.in_(list(runs)),
                   Response.comment.is_not(None), Response.sentiment_status != "pending")
            .group_by(Response.touchpoint_id)
        ).all()
        due.extend(touchpoint_id for touchpoint_id, latest in changed if latest > runs[touchpoint_id] - settle)
    return sorted(due)
