"""Impressions: the survey was shown. The denominator of a response rate, and the start of fatigue."""

from __future__ import annotations

from sqlalchemy import insert

from ..customers.identity import resolve_customer_ref
from ..extensions import db
from ..models import Display, utcnow


def record_display(touchpoint, *, customer: dict | None, source: str = "widget") -> int:
    """Count that the survey was shown (``touchpoint``: a live one); returns the display's id."""
    now = utcnow()
    person = resolve_customer_ref(
        touchpoint.organization_id, external_id=(customer or {}).get("id"), email=(customer or {}).get("email"),
        seen_at=now) if customer else None
    table = Display.__table__
    return db.session.connection().execute(insert(table).values(
        organization_id=touchpoint.organization_id, touchpoint_id=touchpoint.id,
        customer_id=person.id if person else None, source=source, created_at=now).returning(table.c.id)).scalar_one()
