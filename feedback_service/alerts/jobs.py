"""The alerts' jobs: the periodic look at every rule due one, and a look at one rule now.

Both lock the rule's row (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one writer at a
time), so two workers never judge one rule at once; the open-alert index is the backstop.
A look stamps ``evaluated_at``, so a second sweep, worker or run within
``ALERT_EVALUATION_SECONDS`` finds nothing due, and an alert already open is left alone:
both are safe to run twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..core.database import commit
from ..core.tenancy import tenant_scope
from ..extensions import db
from ..models import AlertRule, Touchpoint, utcnow
from .evaluation import FIRED, evaluate

log = logging.getLogger(__name__)

# Rules judged per transaction: each holds its row lock until the batch commits.
EVALUATION_BATCH = 100


def _locked(query, limit: int | None = None) -> list[AlertRule]:
    query = (query.options(joinedload(AlertRule.touchpoint).joinedload(Touchpoint.survey),
                           joinedload(AlertRule.touchpoint).joinedload(Touchpoint.team))
             .with_for_update(skip_locked=True, of=AlertRule))
    if limit is not None:
        query = query.order_by(AlertRule.id).limit(limit)
    return list(db.session.scalars(query).unique())


def due_rules(now: datetime, after_id: int = 0, limit: int = EVALUATION_BATCH) -> list[AlertRule]:
    """Enabled rules, of every organisation, not looked at for ``ALERT_EVALUATION_SECONDS``,
    locked (skipping those another worker holds), in id order after ``after_id``."""
    since = now - timedelta(seconds=current_app.config["ALERT_EVALUATION_SECONDS"])
    return _locked(select(AlertRule).where(
        AlertRule.enabled.is_(True), AlertRule.id > after_id,
        or_(AlertRule.evaluated_at.is_(None), AlertRule.evaluated_at < since)), limit)


def _judge(rules: list[AlertRule], now: datetime) -> Counter:
    outcomes: Counter = Counter()
    for rule in rules:
        with tenant_scope(rule.organization_id):
            outcomes[evaluate(rule, now)] += 1
            db.session.flush()  # under the rule's own tenant, before the next one's
    return outcomes


def evaluate_alert_rules(now: datetime | None = None) -> int:
    """Periodic: look at every rule due a look, a batch a transaction; returns how many alerts fired."""
    now = now or utcnow()
    outcomes: Counter = Counter()
    after_id = 0
    with tenant_scope(None):  # every organisation's rules; each is judged under its own
        while rules := due_rules(now, after_id):
            outcomes += _judge(rules, now)
            after_id = rules[-1].id
            # database.commit: it hands over the alert emails and the webhooks' deliveries now.
            commit()
            if len(rules) < EVALUATION_BATCH:
                break
        db.session.rollback()  # an empty look leaves a transaction open
    if outcomes[FIRED]:
        log.info("alert rules: %s", dict(outcomes))
    return outcomes[FIRED]


def evaluate_alert_rule(rule_id: int) -> str:
    """Job: look at one rule now (a new or changed rule, so its state shows at once). Returns the
    outcome, ``busy`` when another worker is judging it, ``gone`` or ``disabled``."""
    now = utcnow()
    with tenant_scope(None):
        rules = _locked(select(AlertRule).where(AlertRule.id == rule_id))
        if not rules:
            db.session.rollback()
            exists = db.session.scalar(select(AlertRule.id).where(AlertRule.id == rule_id))
            db.session.rollback()
            return "busy" if exists else "gone"
        [rule] = rules
        if not rule.enabled:
            db.session.rollback()
            return "disabled"
        outcome = _judge([rule], now)
        commit()
    return next(iter(outcome))
