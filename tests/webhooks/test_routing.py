"""Which endpoints an event owes a delivery to: the routing rule (``fanout.Route.wants``).

An event recorded alone and events recorded in a batch go through the same
rule; these tests spell out its answers, through both ways of recording.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from feedback_service.events import log as events
from feedback_service.extensions import db
from feedback_service.models import WebhookDelivery, WebhookEndpoint, utcnow

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


def _owed_alone(event_type: str, touchpoint_id: int | None) -> set[int]:
    data = {"touchpoint": {"id": touchpoint_id}} if touchpoint_id else {}
    event = events.record(event_type, data)
    db.session.flush()
    return set(db.session.scalars(select(WebhookDelivery.endpoint_id).where(WebhookDelivery.event_id == event["id"])))


def _owed_in_a_batch(org_id: int, event_type: str, touchpoint_id: int | None) -> set[int]:
    data = {"touchpoint": {"id": touchpoint_id}} if touchpoint_id else {}
    before = set(db.session.scalars(select(WebhookDelivery.id)))
    events.record_many([{"organization_id": org_id, "type": event_type, "created_at": utcnow(), "data": data}])
    return set(db.session.scalars(select(WebhookDelivery.endpoint_id).where(WebhookDelivery.id.not_in(before))))


def test_an_event_alone_and_in_a_batch_owe_the_same_deliveries(app, org, routed):
    with app.app_context(), org.scope():
        for event_type, touchpoint_id in itertools.product(EVENT_TYPES, routed["touchpoints"]):
            alone = _owed_alone(event_type, touchpoint_id)
            assert _owed_in_a_batch(org.id, event_type, touchpoint_id) == alone, (event_type, touchpoint_id)
        db.session.rollback()


def test_the_rule_itself(app, org, routed):
    first, second, _ = routed["touchpoints"]
    every, empty_filter, only_first, only_second, both, scored_only, _, disabled = routed["endpoints"]
    with app.app_context(), org.scope():
        assert _owed_alone("response.created", first) == {every, empty_filter, only_first, both}
        assert _owed_alone("response.created", second) == {every, empty_filter, only_second, both}
        # An event about no touchpoint concerns the whole organisation: filters do not narrow it.
        assert _owed_alone("response.created", None) == {every, empty_filter, only_first, only_second, both}
        assert _owed_in_a_batch(org.id, "response.scored", second) == {both, scored_only}
        assert disabled not in _owed_alone("response.created", None)
        db.session.rollback()
