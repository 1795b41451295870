from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import JSONType, TenantMixin, UTCDateTime

THEME_KINDS = ("topic", "language")


class ThemeRun(TenantMixin, db.Model):
    """When a touchpoint's themes were last found, over which window and how many comments:
    what the sweep compares the comments' changes with."""

    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id", ondelete="CASCADE"), primary_key=True)
    # Taken before the comments were read: a change stamped after it was not seen.
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    comments: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Theme(TenantMixin, db.Model):
    """One theme of a touchpoint's comments: a topic found in its English comments, or the
    comments in one other language. Its figures are counted from its members for any period."""

    __table_args__ = (Index("ix_theme_touchpoint_position", "touchpoint_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id", ondelete="CASCADE"), nullable=False)
    # Largest first over the window it was found in (0-based).
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False, default="topic")
    language: Mapped[str | None] = mapped_column(String(8))
    # The topic's strongest terms, as written: what the label was chosen among.
    terms: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)


class ThemeMember(TenantMixin, db.Model):
    """A comment of the window and its theme (none: looked at, but in no theme): the share's
    denominator is every comment looked at in the period."""

    organization_id_leads_an_index = False

    __table_args__ = (
        Index("ix_theme_member_touchpoint", "touchpoint_id"),
        Index("ix_theme_member_theme_weight", "theme_id", "weight"),
    )

    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), primary_key=True)
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id", ondelete="CASCADE"), nullable=False)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id", ondelete="CASCADE"))
    # How strongly the comment belongs to its theme: the strongest are its examples.
    weight: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
