from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONType, TenantMixin, TimestampMixin, UTCDateTime, utcnow
from .journey import SurveyVersion, Touchpoint

SENTIMENT_STATUSES = ("pending", "scored", "skipped")
SENTIMENT_LABELS = ("positive", "neutral", "negative")
# Where an answer came from (``Response.source``): the widget, or a channel without a web page
# of its own (an email's one-click link, a shared link, a QR code, a text message).
SOURCES = ("widget", "email", "link", "qr", "sms")


class Customer(TenantMixin, db.Model):
    """One person across every touchpoint and channel: one source of truth."""

    organization_id_leads_an_index = True

    __table_args__ = (
        UniqueConstraint("organization_id", "external_id"),
        UniqueConstraint("organization_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Response(TenantMixin, TimestampMixin, db.Model):
    """A customer's answer at one touchpoint; stored before anything else happens to it."""

    organization_id_leads_an_index = True

    __table_args__ = (
        UniqueConstraint("touchpoint_id", "idempotency_key"),
        Index("ix_response_touchpoint_created", "touchpoint_id", "created_at"),
        Index("ix_response_org_updated", "organization_id", "updated_at", "id"),
        Index("ix_response_org_created", "organization_id", "created_at", "id"),
        Index("ix_response_customer_created", "customer_id", "created_at"),
        # Only the comments still waiting for their score, in id order: the drain
        # claims the oldest batch from it without sorting, or even visiting, the
        # rows scored already, and scoring a row takes it out of the index.
        Index("ix_response_sentiment_pending", "id", postgresql_where=text("sentiment_status = 'pending'"),
              sqlite_where=text("sentiment_status = 'pending'")),
        # The same for answers whose follow-up is still to open, claimed the same way.
        Index("ix_response_follow_up_pending", "id",
              postgresql_where=text("follow_up_pending"), sqlite_where=text("follow_up_pending")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id"), nullable=False)
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id"), nullable=False)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"))
    # Copied from the survey version: immutable, and every report groups by it.
    metric: Mapped[str] = mapped_column(String(8), nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    comment: Mapped[str | None] = mapped_column(Text)
    context: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    # How it reached us: widget, hosted page, email link, QR code, API.
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="widget")
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    # A digest of the first request, to tell a replay from a different body under the same key.
    request_digest: Mapped[str | None] = mapped_column(String(64))

    # Set when the answer calls for a follow-up not opened yet: the after-commit
    # job (or the sweep) opens it, so the customer's request does not wait for routing.
    follow_up_pending: Mapped[bool] = mapped_column(default=False, server_default=false(), nullable=False)
    sentiment_status: Mapped[str] = mapped_column(String(8), nullable=False, default="skipped")
    sentiment_reason: Mapped[str | None] = mapped_column(String(32))
    sentiment_compound: Mapped[float | None] = mapped_column(Float)
    sentiment_positive: Mapped[float | None] = mapped_column(Float)
    sentiment_neutral: Mapped[float | None] = mapped_column(Float)
    sentiment_negative: Mapped[float | None] = mapped_column(Float)
    sentiment_label: Mapped[str | None] = mapped_column(String(8))
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    touchpoint: Mapped[Touchpoint] = relationship()
    survey_version: Mapped[SurveyVersion] = relationship()
    customer: Mapped[Customer | None] = relationship()


class Display(TenantMixin, db.Model):
    """The survey was shown: the denominator of a response rate, and the start of fatigue."""

    __table_args__ = (
        Index("ix_display_touchpoint_created", "touchpoint_id", "created_at"),
        Index("ix_display_customer_created", "customer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id"), nullable=False)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="widget")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    touchpoint: Mapped[Touchpoint] = relationship()
    customer: Mapped[Customer | None] = relationship()
