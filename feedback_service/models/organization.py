from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONType, TenantMixin, TimestampMixin, UTCDateTime

ROLES = ("admin", "agent", "viewer")


class Organization(TimestampMixin, db.Model):
    """A tenant: one company and everything it collects."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # "At most one survey per customer per N days" across all touchpoints; null: no cap.
    survey_cap_days: Mapped[int | None] = mapped_column(Integer)
    sla_hours: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    is_demo: Mapped[bool] = mapped_column(default=False, nullable=False)

    api_keys: Mapped[list[ApiKey]] = relationship(back_populates="organization")


class ApiKey(TenantMixin, TimestampMixin, db.Model):
    """A secret management key. Only a hash is kept; the key is shown once."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="admin")
    # The first characters of the key, indexed, so a lookup needs no scan and
    # the hash comparison happens on one row.
    prefix: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    organization: Mapped[Organization] = relationship(back_populates="api_keys")
