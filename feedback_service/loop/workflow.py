"""Working a follow-up: assigning it, moving it through its statuses, notes, the reply to the customer.

new → assigned → in_progress → responded → resolved; no_action from any open
state; either closed state reopens to in_progress. Each change writes its
activity entry and its event in the same transaction, and two people changing
the same follow-up at once cannot both win (the second gets a 409).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ..core.errors import Conflict, Invalid
from ..core.lookup import get_or_404, resolve_reference
from ..extensions import db
from ..mail.outbox import queue_email
from ..models import CLOSED_STATUSES, FollowUp, Organization, RootCause, User, utcnow
from . import priority
from .activity import announce, first_action, log_activity
from .notices import tell_owner
from .priority import SYSTEM

# status -> the statuses it may move to by POST /transition. ``responded`` by hand is
# for an answer given another way (a phone call); a reply by email moves there by
# itself, from any open state. ``new → assigned`` is made by assigning an owner
# (``assign``), not by a move: a move there is refused with the route to use.
MOVES: dict[str, tuple[str, ...]] = {
    "new": ("no_action",),
    "assigned": ("in_progress", "no_action"),
    "in_progress": ("responded", "no_action"),
    "responded": ("resolved", "no_action"),
    "resolved": ("in_progress",),
    "no_action": ("in_progress",),
}


def _one_writer(change):
    """Two people moving the same follow-up at once: the second gets a 409, not a 500.

    The follow-up's version column makes the second UPDATE match no row; that can
    surface at any flush (autoflush included), so the whole change is guarded.
    """

    @wraps(change)
    def guarded(*args, **kwargs):
        try:
            return change(*args, **kwargs)
        except StaleDataError:
            db.session.rollback()
            raise Conflict("Someone else changed this follow-up just now; reload it and try again.") from None

    return guarded


@_one_writer
def assign(follow_up_id: int, owner_id: int, actor: str) -> FollowUp:
    follow_up = get_or_404(FollowUp, follow_up_id, what="follow-up")
    owner = resolve_reference(User, owner_id, "owner_id")
    if not owner.is_active or owner.role == "viewer":
        raise Invalid("owner_id", f"{owner.email} cannot own follow-ups (inactive or a viewer).")
    if follow_up.owner_id == owner.id:
        return follow_up
    give_to(follow_up, owner, actor)
    return _save(follow_up)


def give_to(follow_up: FollowUp, owner: User, actor: str, *, email_owner: bool = True) -> None:
    """Give the follow-up to ``owner``: logged, announced and, unless the caller does it later, emailed."""
    before = {"owner_id": follow_up.owner_id, "status": follow_up.status}
    follow_up.owner = owner
    if follow_up.status == "new":
        follow_up.status = "assigned"
    if actor != SYSTEM:
        first_action(follow_up)
    log_activity(follow_up, "assigned", actor, before=before, after={"owner_id": owner.id, "status": follow_up.status})
    announce("follow_up.assigned", follow_up)
    if before["status"] != follow_up.status:
        # Consumers follow status through status_changed alone, whichever route moved it.
        announce("follow_up.status_changed", follow_up, previous_status=before["status"])
    if email_owner:
        tell_owner(follow_up, owner)


@_one_writer
def transition(follow_up_id: int, status: str, actor: str, *, note: str | None = None,
               root_cause: str | None = None) -> FollowUp:
    follow_up = get_or_404(FollowUp, follow_up_id, what="follow-up")
    if status == "assigned" and follow_up.status == "new":
        raise Invalid("status", "A follow-up becomes assigned when it gets an owner: "
                                "POST /follow-ups/{id}/assign with owner_id.")
    allowed = MOVES[follow_up.status]
    if status not in allowed:
        raise Conflict(f"A follow-up that is {follow_up.status} cannot move to {status}; "
                       f"allowed: {', '.join(allowed)}.")
    if status == "no_action" and not (note and note.strip()):
        raise Invalid("note", "Say why no action is needed.")
    if status == "resolved":
        if not (root_cause and root_cause.strip()):
            raise Invalid("root_cause", "Resolving needs a root cause (from the organisation's list, or new text).")
        follow_up.root_cause = _root_cause(root_cause.strip())
    before = {"status": follow_up.status}
    reopened_before, reopened_after = {}, {}
    follow_up.status = status
    if status in CLOSED_STATUSES:
        follow_up.resolved_at = utcnow()
    elif before["status"] in CLOSED_STATUSES:
        reopened_before, reopened_after = _reopen(follow_up)
    first_action(follow_up)
    if note and note.strip():
        log_activity(follow_up, "note", actor, body=note.strip())
    log_activity(follow_up, "status_changed", actor, before={**before, **reopened_before},
         after={"status": status, **({"root_cause": follow_up.root_cause} if status == "resolved" else {}),
                **reopened_after})
    announce("follow_up.status_changed", follow_up, previous_status=before["status"])
    return _save(follow_up)


@_one_writer
def add_note(follow_up_id: int, body: str, actor: str) -> FollowUp:
    follow_up = get_or_404(FollowUp, follow_up_id, what="follow-up")
    if not body.strip():
        raise Invalid("body", "A note needs some text.")
    log_activity(follow_up, "note", actor, body=body.strip())
    first_action(follow_up)
    follow_up.updated_at = utcnow()
    return _save(follow_up)


@dataclass
class ReplyOutcome:
    follow_up: FollowUp
    sent_to: str | None

    @property
    def kept_as_note(self) -> bool:
        return self.sent_to is None


@_one_writer
def reply(follow_up_id: int, message: str, actor: str) -> ReplyOutcome:
    """Answer the customer ("you said, we did"). Without an email address, the
    message is kept as a note and the caller says so (422)."""
    follow_up = get_or_404(FollowUp, follow_up_id, what="follow-up")
    if not message.strip():
        raise Invalid("message", "A reply needs some text.")
    customer = follow_up.response.customer
    if customer is None or not customer.email:
        log_activity(follow_up, "note", actor, body=message.strip(), after={"undelivered_reply": True})
        first_action(follow_up)
        follow_up.updated_at = utcnow()
        return ReplyOutcome(_save(follow_up), None)
    email = queue_email(kind="reply", to=customer.email, follow_up_id=follow_up.id,
                             subject=f"About your feedback on {follow_up.touchpoint.name}", body=message.strip())
    db.session.flush()  # the log entry names the email
    before = {"status": follow_up.status}
    if follow_up.status not in CLOSED_STATUSES:  # a reply after resolving leaves it resolved
        follow_up.status = "responded"
    first_action(follow_up)
    log_activity(follow_up, "reply", actor, body=message.strip(), before=before,
         after={"status": follow_up.status, "email_id": email.id, "to": customer.email})
    announce("follow_up.replied", follow_up, message=message.strip())
    if before["status"] != follow_up.status:
        announce("follow_up.status_changed", follow_up, previous_status=before["status"])
    return ReplyOutcome(_save(follow_up), customer.email)


def _reopen(follow_up: FollowUp) -> tuple[dict, dict]:
    """Work starts again: a fresh SLA from now, and no verdict of the closing kept on the open case.

    Returns what changed, before and after, for the log entry of the move.
    """
    before = {"root_cause": follow_up.root_cause, "due_at": follow_up.due_at.isoformat()}
    organization = db.session.get(Organization, follow_up.organization_id)
    follow_up.resolved_at = None
    follow_up.root_cause = None
    follow_up.sla_breached_at = None  # it can be late again, and be told so
    follow_up.due_at = priority.due_at(organization, follow_up.priority, utcnow())
    return before, {"due_at": follow_up.due_at.isoformat()}


def _save(follow_up: FollowUp) -> FollowUp:
    db.session.flush()
    return follow_up


def add_root_cause(name: str) -> str:
    """Put a root cause on the organisation's list, once; returns it as stored."""
    name = name.strip()
    if not name:
        raise Invalid("name", "A root cause needs some text.")
    return _root_cause(name)


def _root_cause(text: str) -> str:
    known = db.session.scalar(select(RootCause).where(RootCause.name == text))
    if known is None:
        db.session.add(RootCause(name=text))
    return text
