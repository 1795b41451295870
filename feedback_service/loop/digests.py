"""The daily digest: once a day, each member of staff hears about the follow-ups they own.

Open ones by status, the overdue, those due today and those assigned to them
since their last digest, each with its link in the console. Nobody gets an
empty digest: owning nothing open means no email that day.

Once a day is enforced by the database, not by the queue: ``claim_digest``
sets ``user.digest_sent_on`` with an UPDATE that matches only while it is
another day, so of two sweeps, two workers or a sweep and the CLI, one claims
and the others find nothing to do. The claim and the queued email commit
together, so a digest that failed half-way is claimed by nobody and is tried
again by the next sweep.

These functions flush and never commit; the job (``loop/jobs.py``) and
the CLI do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from flask import current_app
from sqlalchemy import exists, select, update
from sqlalchemy.orm import joinedload

from ..core.tenancy import tenant_scope
from ..core.urls import public_url
from ..extensions import db
from ..mail.outbox import queue_email
from ..models import OPEN_STATUSES, FollowUp, FollowUpActivity, Organization, User, utcnow
from .notices import console_link, excerpt

log = logging.getLogger(__name__)

# Neither organisations nor staff have a timezone yet, so "a day" and DIGEST_HOUR are UTC.
# ``digest_timezone`` is the one place to change when they get one.
DIGEST_TIMEZONE: tzinfo = UTC
# With no digest before, "newly assigned" looks back this far.
FIRST_LOOKBACK = timedelta(days=1)
# Follow-ups listed per section; the counts stay whole and a link shows the rest.
SECTION_LIMIT = 20
COMMENT_EXCERPT = 90


def digest_timezone() -> tzinfo:
    return DIGEST_TIMEZONE


def digest_day(now: datetime | None = None, *, hour: int | None = None) -> date | None:
    """The day whose digest is due at ``now``: today once it is ``hour`` (DIGEST_HOUR) or later, else None."""
    local = (now or utcnow()).astimezone(digest_timezone())
    hour = current_app.config["DIGEST_HOUR"] if hour is None else hour
    return local.date() if local.hour >= hour else None


def is_today(day: date, now: datetime) -> bool:
    """Whether ``day`` is still today in the digests' time zone. A digest asked for by the sweep
    and sent after midnight would claim a day nobody asked for, or send yesterday's today: it
    is dropped, and the next sweep asks afresh."""
    return digest_day(now, hour=0) == day


def recipients_due(day: date, *, organization_id: int | None = None) -> list[int]:
    """Ids of the staff whose digest for ``day`` is not done yet and who may want one.

    Active, not opted out, and not viewers, unless a viewer still owns open
    follow-ups (from before a change of role): whoever owns work hears of it.
    """
    owns_open = exists().where(FollowUp.owner_id == User.id, FollowUp.is_open)
    query = (select(User.id)
             .where(User.is_active.is_(True), User.digest_enabled.is_(True),
                    User.digest_sent_on.is_distinct_from(day), (User.role != "viewer") | owns_open)
             .order_by(User.organization_id, User.id))
    if organization_id is not None:
        query = query.where(User.organization_id == organization_id)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class DigestLine:
    """One follow-up as the digest lists it."""

    id: int
    touchpoint: str
    priority: str
    status: str
    due_at: datetime
    comment: str | None
    url: str


@dataclass
class Digest:
    user: User
    organization_name: str
    day: date
    open_by_status: dict[str, int]
    overdue: list[DigestLine] = field(default_factory=list)
    due_today: list[DigestLine] = field(default_factory=list)
    newly_assigned: list[DigestLine] = field(default_factory=list)

    @property
    def open_total(self) -> int:
        return sum(self.open_by_status.values())

    @property
    def is_empty(self) -> bool:
        return self.open_total == 0


def build_digest(user: User, day: date, now: datetime | None = None) -> Digest:
    """What ``user``'s digest for ``day`` says. Call it in the user's tenant scope: it lists
    what that scope lets it see, so another organisation's follow-ups never appear."""
    now = now or utcnow()
    owned = db.session.scalars(
        select(FollowUp)
        .where(FollowUp.owner_id == user.id, FollowUp.is_open)
        .options(joinedload(FollowUp.touchpoint), joinedload(FollowUp.response))
        .order_by(FollowUp.due_at, FollowUp.id)
    ).all()
    organization = db.session.get(Organization, user.organization_id)
    digest = Digest(user=user, organization_name=organization.name if organization else "", day=day,
                    open_by_status={status: 0 for status in OPEN_STATUSES})
    if not owned:
        return digest
    end_of_day = _start_of_next_day(now)
    assigned_since = _newly_assigned_ids(user, [item.id for item in owned], now)
    for item in owned:
        digest.open_by_status[item.status] = digest.open_by_status.get(item.status, 0) + 1
        line = _line(item)
        # Answered follow-ups wait on the customer: late or due means nothing for them (as for the SLA).
        if item.overdue_at(now):
            digest.overdue.append(line)
        elif item.overdue_at(end_of_day):
            digest.due_today.append(line)
        if item.id in assigned_since:
            digest.newly_assigned.append(line)
    return digest


def _start_of_next_day(now: datetime) -> datetime:
    local = now.astimezone(digest_timezone())
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight + timedelta(days=1)).astimezone(UTC)


def _newly_assigned_ids(user: User, follow_up_ids: list[int], now: datetime) -> set[int]:
    """Which of these follow-ups were assigned to ``user`` since their last digest."""
    since = user.last_digest_at or now - FIRST_LOOKBACK
    assignments = db.session.scalars(
        select(FollowUpActivity).where(FollowUpActivity.kind == "assigned",
                                       FollowUpActivity.follow_up_id.in_(follow_up_ids),
                                       FollowUpActivity.created_at > since)
    )
    # The new owner is in the entry's JSON; reading it here keeps the query the same on both databases.
    return {entry.follow_up_id for entry in assignments if (entry.after or {}).get("owner_id") == user.id}


def _line(item: FollowUp) -> DigestLine:
    comment = item.response.comment if item.response is not None else None
    return DigestLine(id=item.id, touchpoint=item.touchpoint.name, priority=item.priority, status=item.status,
                      due_at=item.due_at, comment=excerpt(comment, COMMENT_EXCERPT) if comment else None,
                      url=console_link(item.id))


def render_digest(digest: Digest) -> tuple[str, str]:
    """The email's subject and plain-text body (every email the service sends is plain text)."""
    headline = [f"{len(digest.overdue)} overdue"] if digest.overdue else []
    headline += [f"{len(digest.due_today)} due today"] if digest.due_today else []
    headline += [f"{len(digest.newly_assigned)} new"] if digest.newly_assigned else []
    headline.append(f"{digest.open_total} open")
    subject = f"Your follow-ups for {digest.day:%a %d %b}: {', '.join(headline)}"

    name = digest.user.name or digest.user.email
    at = f" at {digest.organization_name}" if digest.organization_name else ""
    counts = ", ".join(f"{_status_label(status)} {n}" for status, n in digest.open_by_status.items() if n)
    lines = [f"Hello {name},", "",
             f"Your follow-ups{at} on {digest.day:%A %d %B %Y}.", "",
             f"Open: {digest.open_total} ({counts})"]
    lines += _section("Overdue", digest.overdue, public_url("/inbox?owner=mine&overdue=y"))
    lines += _section("Due today", digest.due_today, public_url("/inbox?owner=mine"))
    lines += _section("Newly assigned to you", digest.newly_assigned, public_url("/inbox?owner=mine"))
    lines += ["", f"All your open follow-ups: {public_url('/inbox?owner=mine')}", "",
              "--",
              "You get this email once a day while you own open follow-ups. To stop it, turn off",
              f"the daily digest in the console's settings: {public_url('/settings#notifications')}"]
    return subject, "\n".join(lines) + "\n"


def _section(title: str, items: list[DigestLine], more_url: str) -> list[str]:
    if not items:
        return []
    lines = ["", f"{title} ({len(items)})"]
    for item in items[:SECTION_LIMIT]:
        lines.append(f"  - #{item.id} {item.touchpoint} [{item.priority}], {_status_label(item.status)}, "
                     f"due {item.due_at.astimezone(digest_timezone()):%Y-%m-%d %H:%M} UTC")
        if item.comment:
            lines.append(f"    “{item.comment}”")
        lines.append(f"    {item.url}")
    if len(items) > SECTION_LIMIT:
        lines.append(f"  … and {len(items) - SECTION_LIMIT} more: {more_url}")
    return lines


def _status_label(status: str) -> str:
    return status.replace("_", " ")


def claim_digest(user_id: int, day: date) -> bool:
    """Take ``day``'s digest for this user, once: True for exactly one caller.

    On PostgreSQL a second UPDATE waits for the first's row lock, then finds
    the row no longer matches; on SQLite writers queue for the database lock.
    It also rechecks the opt-out and the account, which may have changed since
    the sweep looked.
    """
    claimed = db.session.execute(
        update(User)
        .where(User.id == user_id, User.is_active.is_(True), User.digest_enabled.is_(True),
               User.digest_sent_on.is_distinct_from(day))
        .values(digest_sent_on=day)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def send_digest(user_id: int, day: date, now: datetime | None = None) -> str:
    """Queue ``day``'s digest for one member of staff, at most once.

    Returns ``sent``, ``empty`` (nothing open: claimed, no email), or
    ``skipped`` (done already today, opted out, deactivated or gone).
    """
    now = now or utcnow()
    user = db.session.get(User, user_id)
    if user is None:
        return "skipped"
    with tenant_scope(user.organization_id):
        if not claim_digest(user.id, day):
            return "skipped"
        digest = build_digest(user, day, now)
        if digest.is_empty:
            return "empty"  # the day stays claimed: an empty digest is noise, not a retry
        subject, body = render_digest(digest)
        queue_email(kind="digest", to=user.email, subject=subject, body=body,
                         organization_id=user.organization_id)
        user.last_digest_at = now
        db.session.flush()
    log.info("digest for %s queued for user %s (%d open, %d overdue)", day, user.id, digest.open_total,
             len(digest.overdue))
    return "sent"


def preview_digest(user_id: int, day: date, now: datetime | None = None) -> Digest | None:
    """What ``send_digest`` would send, claiming nothing (for ``flask digest --dry-run``)."""
    user = db.session.get(User, user_id)
    if user is None:
        return None
    with tenant_scope(user.organization_id):
        return build_digest(user, day, now)

