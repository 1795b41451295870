from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import JSONType, TenantMixin, TimestampMixin, UTCDateTime, utcnow
from .journey import Touchpoint

# What a rule watches (alerts/evaluation.py says how each is judged).
ALERT_KINDS = ("below_threshold", "drop", "negative_surge")
# Why an alert ended: its figure recovered, or nobody watches it any more.
ALERT_END_REASONS = ("recovered", "rule_disabled", "rule_changed", "rule_deleted", "touchpoint_archived")


class AlertRule(TenantMixin, TimestampMixin, db.Model):
    """A watch on one touchpoint's figure over a moving window, armed or in breach.

    In breach while it has an open ``Alert`` (``recovered_at`` NULL); armed otherwise.
    """

    __table_args__ = (Index("ix_alert_rule_touchpoint", "touchpoint_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    # below_threshold: the headline's line; drop: points; negative_surge: a share in percent.
    threshold: Mapped[float] = mapped_column(Float, nullable=False)
    window_hours: Mapped[int] = mapped_column(Integer, nullable=False)
    min_n: Mapped[int] = mapped_column(Integer, nullable=False)
    enabled: Mapped[bool] = mapped_column(default=True, server_default=true(), nullable=False)
    # The last look: when, and what it saw (the console shows it beside the rule). NULL: due now.
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_value: Mapped[float | None] = mapped_column(Float)
    last_n: Mapped[int | None] = mapped_column(Integer)

    touchpoint: Mapped[Touchpoint] = relationship()
    # The breach under way, if any (one at most: ``uq_alert_open_per_rule``).
    open_alert: Mapped[Alert | None] = relationship(
        primaryjoin="and_(AlertRule.id == Alert.rule_id, Alert.recovered_at.is_(None))",
        viewonly=True, uselist=False,
    )

    @property
    def state(self) -> str:
        """``in_breach`` while an alert is open, else ``armed`` (or ``disabled``)."""
        if self.open_alert is not None:
            return "in_breach"
        return "armed" if self.enabled else "disabled"


class Alert(TenantMixin, db.Model):
    """One breach of a rule: fired once, ended once (recovered, or its rule stopped watching).

    It copies the rule's terms, so it still reads right after the rule is changed or deleted.
    """

    organization_id_leads_an_index = True

    __table_args__ = (
        Index("ix_alert_org_fired", "organization_id", "fired_at", "id"),
        Index("ix_alert_touchpoint_fired", "touchpoint_id", "fired_at"),
        Index("ix_alert_rule_fired", "rule_id", "fired_at"),
        # At most one open alert per rule: the backstop of the rule's row lock, so two
        # evaluations at once can never fire one breach twice.
        Index("uq_alert_open_per_rule", "rule_id", unique=True,
              postgresql_where=text("recovered_at IS NULL"), sqlite_where=text("recovered_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL once the rule is deleted: the alert stays in the history.
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("alert_rule.id", ondelete="SET NULL"))
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    metric: Mapped[str] = mapped_column(String(8), nullable=False)
    threshold: Mapped[float] = mapped_column(Float, nullable=False)
    window_hours: Mapped[int] = mapped_column(Integer, nullable=False)
    # The figure that broke the rule, on the threshold's scale: the headline, the points dropped,
    # or the share of negative comments; n the answers (or scored comments) behind it.
    value: Mapped[float] = mapped_column(Float, nullable=False)
    n: Mapped[int] = mapped_column(Integer, nullable=False)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    # drop: the trailing headline it fell from, and its answers.
    baseline: Mapped[float | None] = mapped_column(Float)
    baseline_n: Mapped[int | None] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    recovered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recovered_value: Mapped[float | None] = mapped_column(Float)
    end_reason: Mapped[str | None] = mapped_column(String(24))
    # Who was told: [{team_id, name, relation: owner | previous | next, touchpoint_id, recipients}].
    notified: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)

    rule: Mapped[AlertRule | None] = relationship()
    touchpoint: Mapped[Touchpoint] = relationship()

    @property
    def is_open(self) -> bool:
        return self.recovered_at is None
