"""The sweep sends what is due, and event retention keeps the log to its configured length."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from feedback_service import config as config_module
from feedback_service.events.retention import prune_events
from feedback_service.extensions import db
from feedback_service.models import Event, WebhookAttempt, WebhookDelivery, utcnow
from feedback_service.worker.schedule import run_periodic_jobs as periodic_sweep
from tests.helpers.webhooks import Answer, deliveries, make_due, subscribe


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_the_periodic_sweep_sends_deliveries_whose_retry_is_due(webhook_app, org, make_touchpoint, receiver):
    client = webhook_app.test_client()
    _, pk = make_touchpoint(org)
    endpoint = subscribe(client, org, receiver.url())
    receiver.answer(Answer(503))
    client.post(f"/w/{pk}/responses", json={"score": 5})
    [delivery] = deliveries(webhook_app)
    make_due(webhook_app, delivery.id)

    with webhook_app.app_context():
        periodic_sweep()

    assert [d.status for d in deliveries(webhook_app)] == ["succeeded"]
    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    second.verify(endpoint["secret"])


def test_events_past_retention_go_with_their_deliveries(webhook_app, org, make_touchpoint, receiver):
    client = webhook_app.test_client()
    _, pk = make_touchpoint(org)
    subscribe(client, org, receiver.url())
    for score in (1, 5, 5):
        client.post(f"/w/{pk}/responses", json={"score": score})
    oldest = select(Event.id).order_by(Event.id).limit(2).scalar_subquery()
    with webhook_app.app_context():
        db.session.execute(Event.__table__.update().where(Event.id.in_(oldest))
                           .values(created_at=utcnow() - timedelta(days=31)))
        db.session.commit()
    events_before = count(webhook_app, Event)

    with webhook_app.app_context():
        assert prune_events() == 2
        assert prune_events() == 0  # nothing more is old enough

    assert count(webhook_app, Event) == events_before - 2
    remaining = client.get("/api/v1/events", headers=org.headers).get_json()["data"]
    assert all(e["id"] > 2 for e in remaining)
    assert {d.event_id for d in deliveries(webhook_app)} == {e["id"] for e in remaining
                                                             if e["type"] == "response.created"}
    assert count(webhook_app, WebhookAttempt) == count(webhook_app, WebhookDelivery)


def test_retention_is_thirty_days_unless_configured(app, tmp_path):
    settings = config_module.defaults(tmp_path)
    settings.update(config_module.from_environ({"WEBHOOK_EVENT_RETENTION_DAYS": "7"}))

    assert app.config["WEBHOOK_EVENT_RETENTION_DAYS"] == 30
    assert settings["WEBHOOK_EVENT_RETENTION_DAYS"] == 7
