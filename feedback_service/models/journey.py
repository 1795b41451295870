from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONType, TenantMixin, TimestampMixin, UTCDateTime, utcnow
from .staff import Team

CHANNELS = ("web", "app", "email", "phone", "chat", "in_store", "social")
# Which answers open a follow-up: every comment always; a low score without a
# comment too under "low_scores" (the default), not under "comments".
FOLLOW_UP_POLICIES = ("low_scores", "comments")


class Journey(TenantMixin, TimestampMixin, db.Model):
    """A customer journey: the ordered touchpoints from first contact to after-sale."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")

    touchpoints: Mapped[list[Touchpoint]] = relationship(
        back_populates="journey",
        order_by="Touchpoint.position",
        primaryjoin="and_(Journey.id == Touchpoint.journey_id, Touchpoint.archived_at.is_(None))",
        viewonly=True,
    )


class Touchpoint(TenantMixin, TimestampMixin, db.Model):
    """One moment of the journey where the customer meets the company."""

    __table_args__ = (Index("ix_touchpoint_journey_position", "journey_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[int] = mapped_column(ForeignKey("journey.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # 1-based and dense among the journey's live touchpoints.
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False, default="web")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    allowed_origins: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    publishable_key: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    # When the widget opens by itself: {"mode": "load" | "exit_intent" | "manual", "delay_seconds"}.
    trigger: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    fatigue_days: Mapped[int] = mapped_column(Integer, nullable=False, default=30)
    # One of FOLLOW_UP_POLICIES.
    follow_up_policy: Mapped[str] = mapped_column(String(16), nullable=False, default="low_scores")
    current_survey_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_version.id", use_alter=True, name="fk_touchpoint_current_survey_version")
    )
    # Archived touchpoints keep their responses; their publishable key stops working.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    journey: Mapped[Journey] = relationship(foreign_keys=[journey_id])
    team: Mapped[Team | None] = relationship()
    survey: Mapped[SurveyVersion] = relationship(foreign_keys=[current_survey_version_id])


class SurveyVersion(TenantMixin, db.Model):
    """The exact survey a touchpoint asked. Immutable: an edit makes a new version,
    so every response stays tied to the wording it answered."""

    __table_args__ = (UniqueConstraint("touchpoint_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    touchpoint_id: Mapped[int] = mapped_column(
        ForeignKey("touchpoint.id", ondelete="CASCADE"), nullable=False
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    metric: Mapped[str] = mapped_column(String(8), nullable=False)
    question: Mapped[str] = mapped_column(Text, nullable=False)
    comment_prompt: Mapped[str] = mapped_column(Text, nullable=False)
    low_score_prompt: Mapped[str | None] = mapped_column(Text)
    scale_labels: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    language: Mapped[str] = mapped_column(String(16), nullable=False, default="en")
    # {language: {question?, comment_prompt?, low_score_prompt?, scale_labels?, texts?}}
    translations: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    # The widget's own words in ``language`` ({send, close, …}: journeys.widget_texts.UI_TEXT_KEYS), where the
    # built-in ones will not do (a language they lack, a house style); the rest are built in.
    ui_texts: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict, server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
