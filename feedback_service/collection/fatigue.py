"""Survey fatigue: do not ask the same person again too soon.

Two rules, both configurable: a per-touchpoint window (``fatigue_days``) and
an organisation-wide cap (``survey_cap_days``: at most one survey per customer
per N days, whatever the touchpoint). Being shown a survey counts as being
asked, answered or not.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, select

from ..extensions import db
from ..models import Customer, Display, Organization, Response, Touchpoint, utcnow


def is_suppressed(touchpoint: Touchpoint, customer: Customer | None) -> bool:
    if customer is None:
        # The server cannot recognise an anonymous visitor; the widget remembers in
        # the browser when it showed this survey, for ``fatigue_days`` (sent with it).
        return False
    now = utcnow()
    if touchpoint.fatigue_days and _asked_since(customer, now - timedelta(days=touchpoint.fatigue_days),
                                                touchpoint_id=touchpoint.id):
        return True
    organization = db.session.get(Organization, touchpoint.organization_id)
    cap = organization.survey_cap_days if organization else None
    return bool(cap) and _asked_since(customer, now - timedelta(days=cap))


def _asked_since(customer: Customer, since, *, touchpoint_id: int | None = None) -> bool:
    conditions = []
    for model in (Response, Display):
        clause = [model.customer_id == customer.id, model.created_at >= since]
        if touchpoint_id is not None:
            clause.append(model.touchpoint_id == touchpoint_id)
        conditions.append(exists().where(*clause))
    return bool(db.session.scalar(select(conditions[0] | conditions[1])))
