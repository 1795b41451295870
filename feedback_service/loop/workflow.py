"""Closing the loop: every comment becomes a follow-up with an owner, a status,
a due date, an activity log and, when it is answered, a reply to the customer.

Each change writes its activity entry and its event in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ..core.errors import Conflict, Invalid
from ..extensions import db
from ..models import FollowUp, FollowUpActivity, Organization, Response, RootCause, User, utcnow
from ..core.tenancy import tenant_scope
from ..events import log as events
from ..mail import outbox as mail
from . import priority, routing
from ..collection.tokens import console_url
from ..core.lookup import get_or_404, resolve_reference
from ..journeys.surveys import METRICS

log = logging.getLogger(__name__)

SYSTEM = "system"

# status -> the statuses it may move to by POST /transition
# new → assigned → in_progress → responded → resolved; no_action from any open state; either
# closed state reopens to in_progress. ``responded`` by hand is for an answer given another way
# (a phone call); a reply by email moves there by itself, from any open state.
# ``new → assigned`` is made by assigning an owner (``assign``), not by a move: a move there
# is refused with the route to use, and is not offered.
MOVES: dict[str, tuple[str, ...]] = {
    "new": ("no_action",),
    "assigned": ("in_progress", "no_action"),
    "in_progress": ("responded", "no_action"),
    "responded": ("resolved", "no_action"),
    "resolved": ("in_progress",),
    "no_action": ("in_progress",),
}
CLOSED = ("resolved", "no_action")
# Answered or closed follow-ups are not late, whatever their due date says.
WATCHED = ("new", "assigned", "in_progress")


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


def needs_follow_up(response: Response) -> bool:
    if response.comment:
        return True
    return response.touchpoint.follow_up_policy == "low_scores" and METRICS[response.metric].is_low(response.score)


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
    the emails last. A batch from the worker is a few statements, not a dozen a
    follow-up. The caller serves the responses' organisation (``tenant_scope``),
    which stamps and checks every row written.
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
        organization = organizations[response.organization_id]
        level = priority.priority_for(response)
        # The team's lock first, before any row that references the team: a fixed
        # lock order, so simultaneous comments queue instead of deadlocking.
        owner = routing.choose_owner(response.touchpoint.team_id)
        now = utcnow()
        follow_up = FollowUp(organization_id=response.organization_id, response=response,
                             touchpoint_id=response.touchpoint_id, team_id=response.touchpoint.team_id,
                             status="new", priority=level, due_at=priority.due_at(organization, level, now),
                             created_at=now, updated_at=now)
        db.session.add(follow_up)
        opened.append((follow_up, owner))
    if not opened:
        return []
    db.session.flush()
    for follow_up, owner in opened:
        _log(follow_up, "created", SYSTEM, after={"status": "new", "priority": follow_up.priority})
        _event("follow_up.created", follow_up)
        if owner is not None:
            _assign(follow_up, owner, SYSTEM, tell_owner=False)
        else:
            _tell_admins_of_unassigned(follow_up)
    db.session.flush()
    for follow_up, owner in opened:
        if owner is not None:
            _tell_owner(follow_up, owner)
    return [follow_up for follow_up, _ in opened]


@_one_writer
def assign(follow_up_id: int, owner_id: int, actor: str) -> FollowUp:
    follow_up = get_or_404(FollowUp, follow_up_id, what="follow-up")
    owner = resolve_reference(User, owner_id, "owner_id")
    if not owner.is_active or owner.role == "viewer":
        raise Invalid("owner_id", f"{owner.email} cannot own follow-ups (inactive or a viewer).")
    if follow_up.owner_id == owner.id:
        return follow_up
    _assign(follow_up, owner, actor)
    return _save(follow_up)


def _assign(follow_up: FollowUp, owner: User, actor: str, *, tell_owner: bool = True) -> None:
    """Give the follow-up to ``owner``: logged, announced and, unless the caller does it later, emailed."""
    before = {"owner_id": follow_up.owner_id, "status": follow_up.status}
    follow_up.owner = owner
    if follow_up.status == "new":
        follow_up.status = "assigned"
    if actor != SYSTEM:
        _first_action(follow_up)
    _log(follow_up, "assigned", actor, before=before, after={"owner_id": owner.id, "status": follow_up.status})
    _event("follow_up.assigned", follow_up)
    if before["status"] != follow_up.status:
        # Consumers follow status through status_changed alone, whichever route moved it.
        _event("follow_up.status_changed", follow_up, previous_status=before["status"])
    if tell_owner:
        _tell_owner(follow_up, owner)


def _tell_owner(follow_up: FollowUp, owner: User) -> None:
    mail.queue_email(kind="assignment", to=owner.email, follow_up_id=follow_up.id,
                     subject=f"[{follow_up.priority}] New follow-up: {follow_up.touchpoint.name}",
                     body=_assignment_text(follow_up))


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
    if status in CLOSED:
        follow_up.resolved_at = utcnow()
    elif before["status"] in CLOSED:
        reopened_before, reopened_after = _reopen(follow_up)
    _first_action(follow_up)
    if note and note.strip():
        _log(follow_up, "note", actor, body=note.strip())
    _log(follow_up, "status_changed", actor, before={**before, **reopened_before},
         after={"status": status, **({"root_cause": follow_up.root_cause} if status == "resolved" else {}),
                **reopened_after})
    _event("follow_up.status_changed", follow_up, previous_status=before["status"])
    return _save(follow_up)


@_one_writer
def add_note(follow_up_id: int, body: str, actor: str) -> FollowUp:
    follow_up = get_or_404(FollowUp, follow_up_id, what="follow-up")
    if not body.strip():
        raise Invalid("body", "A note needs some text.")
    _log(follow_up, "note", actor, body=body.strip())
    _first_action(follow_up)
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
        _log(follow_up, "note", actor, body=message.strip(), after={"undelivered_reply": True})
        _first_action(follow_up)
        follow_up.updated_at = utcnow()
        return ReplyOutcome(_save(follow_up), None)
    email = mail.queue_email(kind="reply", to=customer.email, follow_up_id=follow_up.id,
                             subject=f"About your feedback on {follow_up.touchpoint.name}", body=message.strip())
    db.session.flush()  # the log entry names the email
    before = {"status": follow_up.status}
    if follow_up.status not in CLOSED:  # a reply after resolving leaves it resolved
        follow_up.status = "responded"
    _first_action(follow_up)
    _log(follow_up, "reply", actor, body=message.strip(), before=before,
         after={"status": follow_up.status, "email_id": email.id, "to": customer.email})
    _event("follow_up.replied", follow_up, message=message.strip())
    if before["status"] != follow_up.status:
        _event("follow_up.status_changed", follow_up, previous_status=before["status"])
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


def _first_action(follow_up: FollowUp) -> None:
    if follow_up.first_action_at is None:
        follow_up.first_action_at = utcnow()


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


def _log(follow_up: FollowUp, kind: str, actor: str, *, before=None, after=None, body=None) -> None:
    db.session.add(FollowUpActivity(follow_up_id=follow_up.id, organization_id=follow_up.organization_id,
                                    kind=kind, actor=actor, before=before, after=after, body=body,
                                    created_at=utcnow()))


def _event(event_type: str, follow_up: FollowUp, **extra) -> None:
    events.record(event_type, payload(follow_up, **extra), organization_id=follow_up.organization_id)


def payload(follow_up: FollowUp, **extra) -> dict:
    response = follow_up.response
    return {
        "follow_up": {
            "id": follow_up.id, "status": follow_up.status, "priority": follow_up.priority,
            "due_at": follow_up.due_at.isoformat(), "root_cause": follow_up.root_cause,
            "owner": ({"id": follow_up.owner.id, "name": follow_up.owner.name, "email": follow_up.owner.email}
                      if follow_up.owner else None),
            "team": {"id": follow_up.team.id, "name": follow_up.team.name} if follow_up.team else None,
        },
        "touchpoint": {"id": follow_up.touchpoint.id, "name": follow_up.touchpoint.name},
        "response": {"id": response.id, "score": response.score, "metric": response.metric,
                     "comment": response.comment},
        **extra,
    }


def _assignment_text(follow_up: FollowUp) -> str:
    response = follow_up.response
    return (f"A customer's feedback at {follow_up.touchpoint.name} is yours to follow up.\n\n"
            f"Score: {response.score} ({response.metric.upper()})\n"
            f"Comment: {response.comment or '(none)'}\n"
            f"Priority: {follow_up.priority}, due {follow_up.due_at:%Y-%m-%d %H:%M} UTC\n\n"
            f"Open it in the console: {console_link(follow_up.id)}\n")


def console_link(follow_up_id: int) -> str:
    """Where staff open a follow-up, for an email."""
    return console_url(f"/follow-ups/{follow_up_id}")


_UNASSIGNED = "unassigned_follow_ups"


@contextmanager
def unassigned_notices_per_batch() -> Iterator[None]:
    """Within: admins hear once, when the block ends, of every follow-up left unassigned in it.

    A team nobody can take work from (all away, or nobody in it yet) would otherwise send
    every admin an email per comment: a burst of a hundred answers, a hundred emails each.
    Nothing is sent if the block fails (its follow-ups roll back with it).
    """
    if _UNASSIGNED in db.session.info:
        yield  # an outer batch collects them
        return
    waiting: dict[int, list[FollowUp]] = {}
    db.session.info[_UNASSIGNED] = waiting
    try:
        yield
    finally:
        db.session.info.pop(_UNASSIGNED, None)
    for organization_id, unassigned in waiting.items():
        with tenant_scope(organization_id):
            _tell_admins(unassigned)
            db.session.flush()  # under their own tenant, before the next one's queries autoflush them


def _tell_admins_of_unassigned(follow_up: FollowUp) -> None:
    waiting = db.session.info.get(_UNASSIGNED)
    if waiting is not None:
        waiting.setdefault(follow_up.organization_id, []).append(follow_up)
    else:
        _tell_admins([follow_up])


def _tell_admins(unassigned: list[FollowUp]) -> None:
    admins = db.session.scalars(select(User).where(User.role == "admin", User.is_active.is_(True))).all()
    if len(unassigned) == 1:
        [follow_up] = unassigned
        subject = f"Unassigned follow-up: {follow_up.touchpoint.name}"
        body = ("Nobody in the touchpoint's team can take this follow-up; it waits in the "
                "unassigned queue.\n\n" + _assignment_text(follow_up))
    else:
        follow_up = None
        subject = f"{len(unassigned)} unassigned follow-ups"
        body = (f"Nobody in their touchpoints' teams can take these {len(unassigned)} follow-ups; they wait in "
                f"the unassigned queue: {console_url('/inbox?owner=unassigned')}\n\n"
                + "".join(f"- [{item.priority}] {item.touchpoint.name}, score {item.response.score}: "
                          f"{excerpt(item.response.comment, 120) if item.response.comment else '(no comment)'}\n  {console_link(item.id)}\n" for item in unassigned))
    for admin in admins:
        mail.queue_email(kind="unassigned", to=admin.email, follow_up_id=follow_up.id if follow_up else None,
                         subject=subject, body=body)


def excerpt(text: str, length: int) -> str:
    """``text`` on one line, cut to ``length`` characters with an ellipsis: a comment quoted in an email."""
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"
