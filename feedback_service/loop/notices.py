"""What staff are told about follow-ups: the assignment email, the unassigned notice, the escalation.

Every one is plain text through the outbox (``mail.outbox.queue_email``), in the
caller's transaction, with links into the console.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from ..core.tenancy import tenant_scope
from ..core.urls import public_url
from ..extensions import db
from ..mail.outbox import queue_email
from ..models import FollowUp, User

# What a batch collects of the follow-ups it left unassigned, by organisation.
_UNASSIGNED = "unassigned_follow_ups"


def console_link(follow_up_id: int) -> str:
    """Where staff open a follow-up, for an email."""
    return public_url(f"/follow-ups/{follow_up_id}")


def excerpt(text: str, length: int) -> str:
    """``text`` on one line, cut to ``length`` characters with an ellipsis: a comment quoted in an email."""
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"


def tell_owner(follow_up: FollowUp, owner: User) -> None:
    """The new owner's email: what the customer said, how urgent it is, and the link."""
    queue_email(kind="assignment", to=owner.email, follow_up_id=follow_up.id,
                subject=f"[{follow_up.priority}] New follow-up: {follow_up.touchpoint.name}",
                body=assignment_text(follow_up))


def assignment_text(follow_up: FollowUp) -> str:
    response = follow_up.response
    return (f"A customer's feedback at {follow_up.touchpoint.name} is yours to follow up.\n\n"
            f"Score: {response.score} ({response.metric.upper()})\n"
            f"Comment: {response.comment or '(none)'}\n"
            f"Priority: {follow_up.priority}, due {follow_up.due_at:%Y-%m-%d %H:%M} UTC\n\n"
            f"Open it in the console: {console_link(follow_up.id)}\n")


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


def tell_admins_of_unassigned(follow_up: FollowUp) -> None:
    """Nobody in the team can take it: the admins hear now, or when the batch under way ends."""
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
                "unassigned queue.\n\n" + assignment_text(follow_up))
    else:
        follow_up = None
        subject = f"{len(unassigned)} unassigned follow-ups"
        body = (f"Nobody in their touchpoints' teams can take these {len(unassigned)} follow-ups; they wait in "
                f"the unassigned queue: {public_url('/inbox?owner=unassigned')}\n\n"
                + "".join(f"- [{item.priority}] {item.touchpoint.name}, score {item.response.score}: "
                          f"{_quoted(item)}\n  {console_link(item.id)}\n" for item in unassigned))
    for admin in admins:
        queue_email(kind="unassigned", to=admin.email, follow_up_id=follow_up.id if follow_up else None,
                    subject=subject, body=body)


def escalate(organization_id: int, to: str, late: list[FollowUp]) -> None:
    """One email to a team lead (or an admin) about the follow-ups of theirs that just went overdue."""
    if len(late) == 1:
        [follow_up] = late
        queue_email(kind="escalation", to=to, follow_up_id=follow_up.id, organization_id=organization_id,
                    subject=f"Overdue follow-up: {follow_up.touchpoint.name} ({follow_up.priority})",
                    body=f"Follow-up {follow_up.id} was due {follow_up.due_at:%Y-%m-%d %H:%M} UTC and "
                         f"is still {follow_up.status}. Owner: {_owner(follow_up)}.\n"
                         f"Open it: {console_link(follow_up.id)}\n")
        return
    queue_email(kind="escalation", to=to, follow_up_id=None, organization_id=organization_id,
                subject=f"{len(late)} overdue follow-ups",
                body=f"These {len(late)} follow-ups are past their due date and not yet answered "
                     f"({public_url('/inbox?overdue=y')}):\n\n"
                     + "".join(f"- [{f.priority}] {f.touchpoint.name}, due {f.due_at:%Y-%m-%d %H:%M} UTC, "
                               f"{f.status}, owner {_owner(f)}\n  {console_link(f.id)}\n" for f in late))


def _quoted(follow_up: FollowUp) -> str:
    comment = follow_up.response.comment
    return excerpt(comment, 120) if comment else "(no comment)"


def _owner(follow_up: FollowUp) -> str:
    return follow_up.owner.name if follow_up.owner else "nobody"
