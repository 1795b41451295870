from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..extensions import db
from .base import JSONType, TenantMixin, TimestampMixin, UTCDateTime, utcnow
from .journey import Touchpoint
from .response import Response
from .staff import Team, User

STATUSES = ("new", "assigned", "in_progress", "responded", "resolved", "no_action")
# Ended: resolved, or closed with no action needed. Both count against the due date.
CLOSED_STATUSES = ("resolved", "no_action")
# Everything not closed: what the inbox, the digest and the loop's backlog call open.
OPEN_STATUSES = tuple(status for status in STATUSES if status not in CLOSED_STATUSES)
# Open and waiting on us, not on the customer (``responded`` waits on them): the SLA runs,
# a follow-up can be overdue, and least-open routing counts these as an owner's load.
AWAITING_ACTION_STATUSES = ("new", "assigned", "in_progress")
PRIORITIES = ("urgent", "high", "normal", "low")


class FollowUp(TenantMixin, TimestampMixin, db.Model):
    """A customer's comment (or low score) that someone must read and answer."""

    organization_id_leads_an_index = True

    __table_args__ = (
        Index("ix_follow_up_status_due", "organization_id", "status", "due_at"),
        # The SLA check looks across organisations for open follow-ups past their due time.
        Index("ix_follow_up_open_due", "status", "due_at"),
        Index("ix_follow_up_owner_status", "owner_id", "status"),
        Index("ix_follow_up_org_updated", "organization_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), nullable=False,
                                             unique=True)
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id"), nullable=False)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="new")
    priority: Mapped[str] = mapped_column(String(8), nullable=False, default="normal")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    root_cause: Mapped[str | None] = mapped_column(String(200))
    first_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Optimistic concurrency: two moves on the same follow-up cannot both win.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    response: Mapped[Response] = relationship()
    touchpoint: Mapped[Touchpoint] = relationship()
    team: Mapped[Team | None] = relationship()
    owner: Mapped[User | None] = relationship()
    activity: Mapped[list[FollowUpActivity]] = relationship(
        order_by="FollowUpActivity.id", back_populates="follow_up", viewonly=True
    )

    # The rules of "open" and "overdue", once, for Python and for SQL alike.
    @hybrid_property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls):
        return cls.status.not_in(CLOSED_STATUSES)

    @hybrid_property
    def is_awaiting_action(self) -> bool:
        return self.status in AWAITING_ACTION_STATUSES

    @is_awaiting_action.inplace.expression
    @classmethod
    def _is_awaiting_action_expression(cls):
        return cls.status.in_(AWAITING_ACTION_STATUSES)

    @hybrid_method
    def overdue_at(self, now: datetime) -> bool:
        """Past its due date at ``now`` and still waiting on us (answered or closed ones are not late)."""
        return self.is_awaiting_action and self.due_at < now

    @overdue_at.inplace.expression
    @classmethod
    def _overdue_at_expression(cls, now: datetime):
        return cls.status.in_(AWAITING_ACTION_STATUSES) & (cls.due_at < now)

    @hybrid_property
    def is_overdue(self) -> bool:
        return self.overdue_at(utcnow())

    @is_overdue.inplace.expression
    @classmethod
    def _is_overdue_expression(cls):
        return cls.overdue_at(utcnow())


class FollowUpActivity(TenantMixin, db.Model):
    """One immutable line of a follow-up's history: who did what, before and after."""

    __table_args__ = (Index("ix_follow_up_activity_follow_up", "follow_up_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_up.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    follow_up: Mapped[FollowUp] = relationship(back_populates="activity")


class ActivityIsImmutable(RuntimeError):
    """Code tried to change or delete a line of a follow-up's history."""


@event.listens_for(Session, "before_flush")
def _activity_is_written_once(session: Session, flush_context, instances) -> None:
    # The log is what staff and auditors trust: a line is added, never edited or removed
    # (a follow-up's deletion takes its log with it, in the database).
    for obj in session.deleted:
        if isinstance(obj, FollowUpActivity):
            raise ActivityIsImmutable(f"activity {obj.id} of follow-up {obj.follow_up_id} cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, FollowUpActivity) and session.is_modified(obj, include_collections=False):
            raise ActivityIsImmutable(f"activity {obj.id} of follow-up {obj.follow_up_id} cannot be changed")


class RootCause(TenantMixin, db.Model):
    """The organisation's list of why things go wrong, for resolving follow-ups."""

    organization_id_leads_an_index = True

    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)


class OutboundEmail(TenantMixin, TimestampMixin, db.Model):
    """An email we owe someone: a reply to a customer, a notice to staff.

    Delivered through the queue with retries; with no SMTP_URL it stays in the
    outbox, visibly unsent.
    """

    __table_args__ = (Index("ix_outbound_email_status", "status", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int | None] = mapped_column(ForeignKey("follow_up.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32), nullable=False)  # reply, assignment, escalation
    to_address: Mapped[str] = mapped_column(String(320), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    # queued → sent | failed (retries exhausted); outbox when no SMTP server is configured
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
