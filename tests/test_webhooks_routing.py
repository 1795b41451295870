"""Which endpoints an event owes a delivery to: one rule, said twice.

Bulk fan-out (a batch of scored responses) decides in Python (``Route.wants``);
a single answer's fan-out decides in the database (``owed_deliveries``), inside
the one statement that stores it. These tests hold the two to the same answers.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from feedback_service.extensions import db
from feedback_service.models import Event, WebhookDelivery, WebhookEndpoint, utcnow
from feedback_service.webhooks import fanout as webhook_fanout

# (events, touchpoint_ids, enabled) of each endpoint; touchpoint ids 1 and 2 are placeholders
# for the two touchpoints the test makes.
ENDPOINTS = [
    (["response.created"], None, True),
    (["response.created"], [], True),
    (["response.created"], [1], True),
    (["response.created"], [2], True),
    (["response.created", "response.scored"], [1, 2], True),
    (["response.scored"], None, True),
    (["follow_up.created"], [1], True),
    (["response.created"], None, False),  # disabled: never owed anything
]
EVENT_TYPES = ["response.created", "response.scored", "follow_up.created", "endpoint.disabled"]


@pytest.fixture
def routed(app, org, make_touchpoint):
    """Two touchpoints and the endpoints above, with their placeholders filled in."""
    first, _ = make_touchpoint(org, name="Checkout")
    second, _ = make_touchpoint(org, name="Delivery")
    placeholder = {1: first, 2: second}
    with app.app_context(), org.scope():
        ids = []
        for events, touchpoints, enabled in ENDPOINTS:
            endpoint = WebhookEndpoint(url="https://hooks.example/in", events=events, enabled=enabled,
                                       secret="whsec_test",
                                       touchpoint_ids=None if touchpoints is None
                                       else [placeholder[t] for t in touchpoints])
            db.session.add(endpoint)
            db.session.flush()
            ids.append(endpoint.id)
        db.session.commit()
    return {"touchpoints": [first, second, None], "endpoints": ids}


def _owed_in_sql(org_id: int, event_type: str, touchpoint_id: int | None) -> set[int]:
    data = {"touchpoint": {"id": touchpoint_id}} if touchpoint_id else {}
    event = Event(type=event_type, data=data, created_at=utcnow())
    db.session.add(event)
    db.session.flush()
    ids = db.session.scalars(webhook_fanout.owed_deliveries(db.engine.dialect.name), {
        "event_id": event.id, "org": org_id, "event_type": event_type, "touchpoint_id": touchpoint_id,
        "now": utcnow(), "max_attempts": 3}).all()
    return set(db.session.scalars(select(WebhookDelivery.endpoint_id).where(WebhookDelivery.id.in_(ids))))


def _owed_in_python(org_id: int, event_type: str, touchpoint_id: int | None) -> set[int]:
    data = {"touchpoint": {"id": touchpoint_id}} if touchpoint_id else {}
    routes = webhook_fanout.routes_for({org_id}).get(org_id, [])
    return {route.endpoint_id for route in routes if route.wants(event_type, data)}


def test_the_database_and_python_owe_the_same_deliveries(app, org, routed):
    with app.app_context(), org.scope():
        for event_type, touchpoint_id in itertools.product(EVENT_TYPES, routed["touchpoints"]):
            in_sql = _owed_in_sql(org.id, event_type, touchpoint_id)
            in_python = _owed_in_python(org.id, event_type, touchpoint_id)
            assert in_sql == in_python, (event_type, touchpoint_id)
        db.session.rollback()


def test_the_rule_itself(app, org, routed):
    """Spelled out for one event, so agreeing on a wrong answer cannot pass."""
    first, second, _ = routed["touchpoints"]
    every, empty_filter, only_first, only_second, both, scored_only, _, disabled = routed["endpoints"]
    with app.app_context(), org.scope():
        assert _owed_in_python(org.id, "response.created", first) == {every, empty_filter, only_first, both}
        assert _owed_in_python(org.id, "response.created", second) == {every, empty_filter, only_second, both}
        # An event about no touchpoint concerns the whole organisation: filters do not narrow it.
        assert _owed_in_python(org.id, "response.created", None) == {every, empty_filter, only_first,
                                                                      only_second, both}
        assert _owed_in_python(org.id, "response.scored", second) == {both, scored_only}
        assert _owed_in_sql(org.id, "response.created", first) == {every, empty_filter, only_first, both}
        assert disabled not in _owed_in_sql(org.id, "response.created", None)
        db.session.rollback()
