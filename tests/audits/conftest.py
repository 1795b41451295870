"""What the audit tests share: the demo's six-step journey, each step owned by its own team."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from feedback_service.accounts import staff
from feedback_service.core.database import commit
from feedback_service.extensions import db
from feedback_service.models import Event

STEPS = [("Advertisement", "Marketing", "social"), ("Browse the shop", "Procurement", "web"),
         ("Cart & checkout", "Web", "web"), ("Contact support", "Support", "phone"),
         ("Delivery", "Shipping", "email"), ("Returns", "Support", "web")]


@dataclass
class Shop:
    journey_id: int
    touchpoints: dict[str, int]  # name -> id, in journey order
    teams: dict[str, int]
    auditor_id: int

    @property
    def ids(self) -> list[int]:
        return list(self.touchpoints.values())


@pytest.fixture
def make_shop(app, make_journey, make_touchpoint):
    def make(tenant, suffix: str = "") -> Shop:
        journey_id = make_journey(tenant, "Buying shoes online")
        teams = {}
        with app.app_context(), tenant.scope():
            for name in dict.fromkeys(team for _, team, _ in STEPS):
                teams[name] = staff.create_team(name=name).id
            auditor = staff.create_user(email=f"auditor{suffix}@shop.example", name="Ann Auditor")
            commit()
            auditor_id = auditor.id
        touchpoints = {}
        for name, team, channel in STEPS:
            touchpoints[name], _ = make_touchpoint(tenant, journey_id, name=name, team_id=teams[team], channel=channel)
        return Shop(journey_id, touchpoints, teams, auditor_id)

    return make


@pytest.fixture
def shop(org, make_shop) -> Shop:
    return make_shop(org)


def logged(app, tenant, event_type: str) -> list[dict]:
    with app.app_context(), tenant.scope():
        return [event.data for event in db.session.scalars(select(Event).where(Event.type == event_type)
                                                           .order_by(Event.id))]
