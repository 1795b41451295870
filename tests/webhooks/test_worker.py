"""Webhooks through Redis and an RQ worker: coalesced drain jobs, the sweep, exact retries."""

from __future__ import annotations

import pytest
import redis as redis_lib
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry

from feedback_service import create_app
from feedback_service.core.jobs import get_queue, redis_connection
from feedback_service.extensions import db
from tests.helpers.webhooks import Answer, deliveries, subscribe, sweep, webhook_app_config

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_app(app_config, redis_url):
    app = create_app(webhook_app_config(app_config, REDIS_URL=redis_url))
    yield app
    with app.app_context():
        db.engine.dispose()


def work(app) -> None:
    """Run every queued job in this process, as one worker would."""
    with app.app_context():
        SimpleWorker([get_queue()], connection=redis_connection()).work(burst=True)


def queued_drains(app) -> list[str]:
    """The webhook drain jobs waiting in the queue."""
    with app.app_context():
        return [job.id for job in get_queue().jobs if job.func_name.endswith("drain_deliveries")]


def test_a_worker_delivers_what_the_request_queued(redis_app, org, make_touchpoint, receiver):
    client = redis_app.test_client()
    _, pk = make_touchpoint(org)
    endpoint = subscribe(client, org, receiver.url())

    client.post(f"/w/{pk}/responses", json={"score": 5})

    assert receiver.requests == []  # nothing is sent in the request
    assert len(queued_drains(redis_app)) == 1
    work(redis_app)
    [request] = receiver.wait_for(1)
    assert request.verify(endpoint["secret"])["type"] == "response.created"
    assert [d.status for d in deliveries(redis_app)] == ["succeeded"]


def test_many_deliveries_share_one_drain_job(redis_app, org, make_touchpoint, receiver):
    client = redis_app.test_client()
    _, pk = make_touchpoint(org)
    endpoint = subscribe(client, org, receiver.url())
    receiver.answer(*[Answer(200, delay=0.2)] * 5)  # slow answers hold up no one else

    for score in [*range(1, 6), *range(1, 6)]:
        client.post(f"/w/{pk}/responses", json={"score": score})

    assert 1 <= len(queued_drains(redis_app)) <= 2  # one drain a moment for the ten, not one each
    work(redis_app)
    received = receiver.wait_for(10)
    assert sorted(r.verify(endpoint["secret"])["data"]["response"]["score"] for r in received) == [
        1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert {d.status for d in deliveries(redis_app)} == {"succeeded"}

    client.post(f"/w/{pk}/responses", json={"score": 4})
    assert len(queued_drains(redis_app)) == 1  # that drain is over: the next delivery asks for another


def test_redis_losing_its_data_loses_no_delivery(redis_app, redis_url, org, make_touchpoint, receiver):
    client = redis_app.test_client()
    _, pk = make_touchpoint(org)
    endpoint = subscribe(client, org, receiver.url())
    client.post(f"/w/{pk}/responses", json={"score": 5})

    redis_lib.Redis.from_url(redis_url).flushdb()  # Redis restarted empty
    work(redis_app)
    assert receiver.requests == []

    assert sweep(redis_app) == 1
    work(redis_app)
    [request] = receiver.wait_for(1)
    assert request.verify(endpoint["secret"])["type"] == "response.created"


def test_a_failed_attempt_books_its_retry_for_the_exact_time(app_config, redis_url, org, make_touchpoint, receiver):
    app = create_app(webhook_app_config(app_config, REDIS_URL=redis_url, WEBHOOK_RETRY_SCHEDULE="60,600"))
    try:
        client = app.test_client()
        _, pk = make_touchpoint(org)
        subscribe(client, org, receiver.url())
        receiver.answer(Answer(500))
        client.post(f"/w/{pk}/responses", json={"score": 5})

        work(app)

        [delivery] = deliveries(app)
        with app.app_context():
            registry = ScheduledJobRegistry(queue=get_queue())
            scheduled = {job_id: registry.get_scheduled_time(job_id) for job_id in registry.get_job_ids()}
    finally:
        with app.app_context():
            db.engine.dispose()

    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert list(scheduled) == [f"webhook-{delivery.id}-attempt-2"]
    assert abs((scheduled[f"webhook-{delivery.id}-attempt-2"] - delivery.next_attempt_at).total_seconds()) < 1


def test_worker_burst_delivers_what_was_left_pending(app_config, redis_app, org, make_touchpoint, receiver):
    """Redis was away when the answer came in: the delivery waits in the database, and
    ``worker --burst`` sweeps it up before draining the queues."""
    dead = create_app(webhook_app_config(app_config, REDIS_URL="redis://127.0.0.1:1/0"))
    try:
        client = dead.test_client()
        _, pk = make_touchpoint(org)
        endpoint = subscribe(client, org, receiver.url())
        assert client.post(f"/w/{pk}/responses", json={"score": 5}).status_code == 201
    finally:
        with dead.app_context():
            db.engine.dispose()
    assert [d.status for d in deliveries(redis_app)] == ["pending"]

    result = redis_app.test_cli_runner().invoke(args=["worker", "--burst"])

    assert result.exit_code == 0, result.output
    [request] = receiver.wait_for(1)
    assert request.verify(endpoint["secret"])["type"] == "response.created"
    assert [d.status for d in deliveries(redis_app)] == ["succeeded"]
