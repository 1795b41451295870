from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TenantMixin, TimestampMixin, UTCDateTime, utcnow
from .journey import Touchpoint
from .staff import Team, User

BACKLOG_STATUSES = ("open", "planned", "in_progress", "done", "wont_fix")
# Still to do: a new finding of the same problem joins an item in one of these.
BACKLOG_OPEN_STATUSES = ("open", "planned", "in_progress")
BACKLOG_SOURCE_KINDS = ("finding", "friction", "alert", "theme", "root_cause")


class BacklogItem(TenantMixin, TimestampMixin, db.Model):
    """One thing to fix at one touchpoint, fed by findings, recurring root causes and the like.

    ``impact`` and ``ease`` (1–3) follow the strongest severity and the easiest effort of its
    sources unless staff set them (``impact_set``/``ease_set``); ``manual_rank`` (with its
    ``rank_reason``) puts an item ahead of the formula's order (backlog/items.py).
    """

    organization_id_leads_an_index = True

    __table_args__ = (Index("ix_backlog_item_org_status", "organization_id", "status"),
                      Index("ix_backlog_item_touchpoint", "touchpoint_id", "title_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    # The title normalised (lower case, words only): "the same problem" at the same touchpoint.
    title_key: Mapped[str] = mapped_column(String(200), nullable=False)
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id", ondelete="CASCADE"), nullable=False)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    impact: Mapped[int] = mapped_column(Integer, nullable=False, default=2)
    ease: Mapped[int] = mapped_column(Integer, nullable=False, default=2)
    impact_set: Mapped[bool] = mapped_column(nullable=False, default=False)
    ease_set: Mapped[bool] = mapped_column(nullable=False, default=False)
    manual_rank: Mapped[int | None] = mapped_column(Integer)
    rank_reason: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    touchpoint: Mapped[Touchpoint] = relationship()
    team: Mapped[Team | None] = relationship()
    sources: Mapped[list[BacklogSource]] = relationship(
        back_populates="item", order_by="BacklogSource.id", cascade="all, delete-orphan", passive_deletes=True)
    comments: Mapped[list[BacklogComment]] = relationship(
        order_by="BacklogComment.id", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def priority(self) -> int:
        """impact × ease: 9 is really bad and quick to fix."""
        return self.impact * self.ease


class BacklogSource(TenantMixin, db.Model):
    """Why an item exists: a finding, a recurring root cause (``ref_id`` the RootCause), an alert…

    ``severity``/``effort`` are the source's own say (a finding's), ``count`` how many times a
    root cause was resolved when it was linked."""

    __table_args__ = (UniqueConstraint("item_id", "kind", "ref_id"),
                      Index("ix_backlog_source_ref", "kind", "ref_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("backlog_item.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    ref_id: Mapped[int] = mapped_column(Integer, nullable=False)
    label: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    severity: Mapped[str | None] = mapped_column(String(16))
    effort: Mapped[str | None] = mapped_column(String(16))
    count: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    item: Mapped[BacklogItem] = relationship(back_populates="sources")


class BacklogComment(TenantMixin, db.Model):
    __table_args__ = (Index("ix_backlog_comment_item", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("backlog_item.id", ondelete="CASCADE"), nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    author: Mapped[User | None] = relationship()
