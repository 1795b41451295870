from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONType, TenantMixin, TimestampMixin, UTCDateTime, utcnow
from .journey import Journey, Touchpoint
from .staff import Team, User

AUDIT_STATUSES = ("in_progress", "submitted")
EXPECTATIONS = ("better_than_expected", "as_expected", "worse_than_expected")
# For worse_than_expected findings only, worst first.
SEVERITIES = ("really_bad", "bad", "inconvenient")
EFFORTS = ("quick", "days", "project")


class Audit(TenantMixin, TimestampMixin, db.Model):
    """One walk of a journey by a member of staff (``auditor_id``) or a named outside shopper.

    ``submitted`` is final: the audit and its findings no longer change (audits/walks.py).
    """

    __table_args__ = (Index("ix_audit_journey_started", "journey_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journey.id", ondelete="CASCADE"), nullable=False)
    auditor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    shopper_name: Mapped[str | None] = mapped_column(String(200))
    scenario: Mapped[str] = mapped_column(Text, nullable=False, default="")
    channels: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="in_progress")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    journey: Mapped[Journey] = relationship()
    auditor: Mapped[User | None] = relationship()
    findings: Mapped[list[AuditFinding]] = relationship(
        back_populates="audit", order_by="AuditFinding.id", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def is_submitted(self) -> bool:
        return self.status == "submitted"

    @property
    def walked_by(self) -> str:
        """Who walked it, in words."""
        if self.shopper_name:
            return self.shopper_name
        if self.auditor is not None:
            return self.auditor.name or self.auditor.email
        return "(a former member of staff)"


class AuditFinding(TenantMixin, TimestampMixin, db.Model):
    """What an audit found at one touchpoint of its journey (several per touchpoint allowed).

    ``reached`` false: the walk broke here (a finding in itself, judged worse than expected).
    A backlog item can point at one by its id.
    """

    __table_args__ = (Index("ix_audit_finding_audit", "audit_id", "touchpoint_id"),
                      Index("ix_audit_finding_touchpoint", "touchpoint_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audit.id", ondelete="CASCADE"), nullable=False)
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id", ondelete="CASCADE"), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    expectation: Mapped[str] = mapped_column(String(24), nullable=False)
    severity: Mapped[str | None] = mapped_column(String(16))
    effort: Mapped[str | None] = mapped_column(String(16))
    minutes: Mapped[int | None] = mapped_column(Integer)
    reached: Mapped[bool] = mapped_column(default=True, server_default=true(), nullable=False)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))

    audit: Mapped[Audit] = relationship(back_populates="findings")
    touchpoint: Mapped[Touchpoint] = relationship()
    team: Mapped[Team | None] = relationship()
