from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import TenantMixin, UTCDateTime


class ResponseRollup(TenantMixin, db.Model):
    """How many answers one touchpoint got on one UTC day, from one channel, on one metric, with
    one score and one sentiment: the histogram every report adds up instead of reading answers.

    ``sentiment`` is the comment's label once scored, and "" otherwise (no comment, or not scored
    yet): part of the key, so it cannot be NULL. Kept by ``feedback_service.rollups`` in the
    transaction that writes the answer; a count that falls to 0 stays as a 0.
    """

    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    metric: Mapped[str] = mapped_column(String(8), primary_key=True)
    score: Mapped[int] = mapped_column(Integer, primary_key=True)
    sentiment: Mapped[str] = mapped_column(String(8), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class CustomerStep(TenantMixin, db.Model):
    """One customer's move from an answer to their very next answer at another touchpoint, within
    ``ANALYTICS_TRANSITION_DAYS``: what the journey report's transitions add up.

    Derived data, kept by ``feedback_service.rollups.steps``; the answer ids are plain numbers,
    not foreign keys, so removing an answer never takes a step away behind the counts' back.
    """

    __table_args__ = (Index("ix_customer_step_customer", "customer_id"),)

    organization_id_leads_an_index = True

    from_response_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    to_response_id: Mapped[int] = mapped_column(Integer, nullable=False)
    customer_id: Mapped[int] = mapped_column(Integer, nullable=False)
    from_touchpoint_id: Mapped[int] = mapped_column(Integer, nullable=False)
    to_touchpoint_id: Mapped[int] = mapped_column(Integer, nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)  # the UTC day of the first answer
    change: Mapped[float] = mapped_column(Float, nullable=False)  # on the 0–1 scale every metric shares
    worse: Mapped[bool] = mapped_column(nullable=False)
    contacted_support: Mapped[bool] = mapped_column(nullable=False)


class StepRollup(TenantMixin, db.Model):
    """Per pair of touchpoints and day, the customers' steps between them: how many, the sum of
    their changes, how many got worse and how many then contacted support."""

    from_touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id", ondelete="CASCADE"),
                                                    primary_key=True)
    to_touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id", ondelete="CASCADE"),
                                                  primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    steps: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    change_sum: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    worse: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    contacted_support: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class SweepMark(db.Model):
    """How far a sweep over changed answers has got, by name (not a tenant's: one per service)."""

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
