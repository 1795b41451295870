from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TenantMixin, TimestampMixin, UTCDateTime

ASSIGNMENT_STRATEGIES = ("round_robin", "least_open")

team_member = Table(
    "team_member",
    db.metadata,
    Column("team_id", ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(TenantMixin, TimestampMixin, db.Model):
    """A member of staff who reads feedback and closes the loop."""

    organization_id_leads_an_index = True

    __table_args__ = (UniqueConstraint("organization_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="agent")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The daily digest of their follow-ups (loop/digests.py). On unless they opt out.
    digest_enabled: Mapped[bool] = mapped_column(default=True, server_default=true(), nullable=False)
    # The last day (in the digest's timezone) whose digest is done, sent or found empty:
    # claiming it with an UPDATE is what makes two sweeps send one digest.
    digest_sent_on: Mapped[date | None] = mapped_column(Date)
    # When their last digest email was queued: "newly assigned" means since then.
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    teams: Mapped[list[Team]] = relationship(
        secondary=team_member, back_populates="members", order_by="Team.name"
    )


class Team(TenantMixin, TimestampMixin, db.Model):
    """A department that owns touchpoints and works their follow-ups."""

    organization_id_leads_an_index = True

    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    assignment: Mapped[str] = mapped_column(String(16), nullable=False, default="round_robin")
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Round-robin position: the member who got the last follow-up.
    last_assigned_user_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("user.id", ondelete="SET NULL")
    )

    members: Mapped[list[User]] = relationship(
        secondary=team_member, back_populates="teams", order_by="User.id"
    )
    lead: Mapped[User | None] = relationship(foreign_keys=[lead_id])
