from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import JSONType, TenantMixin, UTCDateTime, utcnow

EVENT_TYPES = (
    "response.created",
    "response.scored",
    "follow_up.created",
    "follow_up.assigned",
    "follow_up.status_changed",
    "follow_up.replied",
    "follow_up.sla_breached",
    "alert.triggered",
    "webhook_endpoint.disabled",
)


class Event(TenantMixin, db.Model):
    """Something that happened, written in the same transaction as the change itself.

    Ordered by id within an organisation: consumers page through it with a
    cursor, and webhooks carry it.
    """

    __table_args__ = (Index("ix_event_org_id", "organization_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    type: Mapped[str] = mapped_column(String(64), nullable=False)
    data: Mapped[dict] = mapped_column(JSONType, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
