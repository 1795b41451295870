"""What the backlog tests share: the demo's six-step journey (each step its team), audits walked
and submitted through the API, and follow-ups resolved with a root cause."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from feedback_service.accounts import staff
from feedback_service.core.database import commit
from feedback_service.extensions import db
from feedback_service.models import Event, FollowUp, RootCause, utcnow

STEPS = [("Advertisement", "Marketing"), ("Browse the shop", "Procurement"), ("Cart & checkout", "Web"),
         ("Contact support", "Support"), ("Delivery", "Shipping")]


@dataclass
class Shop:
    journey_id: int
    touchpoints: dict[str, int]
    teams: dict[str, int]
    auditor_id: int


@pytest.fixture
def make_shop(app, make_journey, make_touchpoint):
    def make(tenant, suffix: str = "") -> Shop:
        journey_id = make_journey(tenant, "Buying shoes online")
        teams = {}
        with app.app_context(), tenant.scope():
            for _, name in STEPS:
                teams[name] = staff.create_team(name=name).id
            auditor = staff.create_user(email=f"auditor{suffix}@shop.example", name="Ann Auditor")
            commit()
            auditor_id = auditor.id
        touchpoints = {}
        for name, team in STEPS:
            touchpoints[name], _ = make_touchpoint(tenant, journey_id, name=name, team_id=teams[team])
        return Shop(journey_id, touchpoints, teams, auditor_id)

    return make


@pytest.fixture
def shop(org, make_shop) -> Shop:
    return make_shop(org)


@pytest.fixture
def walk(client):
    """``walk(org, shop, [(touchpoint name, finding body)…])``: an audit walked and submitted; its id."""

    def run(tenant, shop: Shop, findings: list[tuple[str, dict]]) -> int:
        created = client.post("/api/v1/audits", headers=tenant.headers, json={
            "journey_id": shop.journey_id, "auditor_id": shop.auditor_id, "scenario": "Buy shoes"})
        assert created.status_code == 201, created.get_json()
        audit_id = created.get_json()["id"]
        for name, body in findings:
            answer = client.post(f"/api/v1/audits/{audit_id}/findings", headers=tenant.headers,
                                 json={"touchpoint_id": shop.touchpoints[name], **body})
            assert answer.status_code == 201, answer.get_json()
        submitted = client.patch(f"/api/v1/audits/{audit_id}", headers=tenant.headers, json={"status": "submitted"})
        assert submitted.status_code == 200, submitted.get_json()
        return audit_id

    return run


@pytest.fixture
def resolved(app, make_response):
    """``resolved(org, touchpoint_id, root_cause, n, days_ago=1)``: n follow-ups resolved with it."""

    def make(tenant, touchpoint_id: int, root_cause: str, n: int, days_ago: int = 1) -> None:
        response_ids = [make_response(tenant, touchpoint_id, score=1, comment=f"{root_cause} {i}") for i in range(n)]
        with app.app_context(), tenant.scope():
            at = utcnow() - timedelta(days=days_ago)
            for response_id in response_ids:
                follow_up = db.session.scalar(select(FollowUp).where(FollowUp.response_id == response_id))
                if follow_up is None:
                    follow_up = FollowUp(response_id=response_id, touchpoint_id=touchpoint_id, due_at=at)
                    db.session.add(follow_up)
                follow_up.status, follow_up.root_cause, follow_up.resolved_at = "resolved", root_cause, at
            if db.session.scalar(select(RootCause).where(RootCause.name == root_cause)) is None:
                db.session.add(RootCause(name=root_cause))
            commit()

    return make


def logged(app, tenant, event_type: str) -> list[dict]:
    with app.app_context(), tenant.scope():
        return [event.data for event in db.session.scalars(select(Event).where(Event.type == event_type)
                                                           .order_by(Event.id))]
