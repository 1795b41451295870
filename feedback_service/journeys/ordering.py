"""Journeys and the order of their touchpoints."""

from __future__ import annotations

from sqlalchemy import func, select, update

from ..core.errors import Conflict
from ..core.lookup import get_or_404
from ..core.pagination import Page, paginate
from ..extensions import db
from ..models import Journey, Touchpoint


def list_journeys(*, limit: int | None = None, cursor: str | None = None) -> Page:
    return paginate(select(Journey), [(Journey.id, int)], descending=False, limit=limit, cursor=cursor)


def create_journey(*, name: str, description: str = "") -> Journey:
    journey = Journey(name=name, description=description)
    db.session.add(journey)
    db.session.flush()
    return journey


def update_journey(journey_id: int, changes: dict) -> Journey:
    journey = get_or_404(Journey, journey_id, what="journey")
    for field in ("name", "description"):
        if field in changes:
            setattr(journey, field, changes[field])
    db.session.flush()
    return journey


def delete_journey(journey_id: int) -> None:
    journey = get_or_404(Journey, journey_id, what="journey")
    count = live_touchpoint_count(journey.id)
    if count:
        raise Conflict(
            f"Journey {journey.name!r} still has {count} touchpoint(s); delete or move them first."
        )
    has_history = db.session.scalar(select(Touchpoint.id).where(Touchpoint.journey_id == journey.id).limit(1))
    if has_history:
        raise Conflict(
            f"Journey {journey.name!r} has archived touchpoints whose responses are kept; "
            "it cannot be deleted. Rename it instead."
        )
    db.session.delete(journey)
    db.session.flush()


def live_touchpoint_count(journey_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Touchpoint).where(
            Touchpoint.journey_id == journey_id, Touchpoint.archived_at.is_(None)
        )
    )


def _shift(journey_id: int, start: int, end: int | None, delta: int) -> None:
    """Move the positions in [start, end] of a journey's live touchpoints by delta."""
    condition = [Touchpoint.journey_id == journey_id, Touchpoint.archived_at.is_(None),
                 Touchpoint.position >= start]
    if end is not None:
        condition.append(Touchpoint.position <= end)
    db.session.execute(
        update(Touchpoint).where(*condition).values(position=Touchpoint.position + delta)
        .execution_options(synchronize_session="fetch")
    )


def insert_position(journey_id: int, wanted: int | None) -> int:
    """Make room for a new touchpoint; returns its position (appended by default)."""
    count = live_touchpoint_count(journey_id)
    position = count + 1 if wanted is None else max(1, min(wanted, count + 1))
    _shift(journey_id, position, None, +1)
    return position


def remove_position(journey_id: int, position: int) -> None:
    """Close the gap a touchpoint leaves behind."""
    _shift(journey_id, position + 1, None, -1)


def move_position(journey_id: int, old: int, wanted: int) -> int:
    count = live_touchpoint_count(journey_id)
    new = max(1, min(wanted, count))
    if new < old:
        _shift(journey_id, new, old - 1, +1)
    elif new > old:
        _shift(journey_id, old + 1, new, -1)
    return new
