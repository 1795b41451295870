"""Answers are never lost: concurrency, idempotency, and Redis being away."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from feedback_service import create_app
from feedback_service.extensions import db
from feedback_service.models import Customer, Response

CONCURRENCY = 50


@pytest.fixture
def touchpoint(org, make_touchpoint):
    tp_id, pk = make_touchpoint(org, name="Contact support", survey={"metric": "csat"})
    return {"id": tp_id, "pk": pk}


def rows(app, model=Response) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_fifty_concurrent_identical_posts_store_one_response(app, touchpoint):
    body = {"score": 4, "comment": "Quick answer", "customer": {"id": "c-50", "email": "c50@example.com"}}

    def submit(_):
        with app.test_client() as client:
            answer = client.post(f"/w/{touchpoint['pk']}/responses", json=body,
                                 headers={"Idempotency-Key": "same-key"})
            return answer.status_code, answer.json.get("id")

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(submit, range(CONCURRENCY)))
    statuses = {status for status, _ in results}
    ids = {id_ for _, id_ in results}
    assert statuses <= {201, 409}, results  # 409 only while the first is still in flight
    assert sum(1 for status, _ in results if status == 201) >= 1
    assert len(ids - {None}) == 1
    assert rows(app) == 1
    assert rows(app, Customer) == 1


def test_concurrent_first_answers_of_one_new_customer_make_one_customer(app, touchpoint):
    def submit(i):
        with app.test_client() as client:
            return client.post(f"/w/{touchpoint['pk']}/responses",
                               json={"score": 5, "customer": {"email": "new@example.com"}},
                               headers={"Idempotency-Key": f"k-{i}"}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(submit, range(16)))
    assert statuses == [201] * 16
    assert rows(app) == 16
    assert rows(app, Customer) == 1


# Flask-Limiter keeps its storage on the (process-wide) extension object, so these
# extra apps keep the limiter in memory; the limiter with Redis down is tested in
# a process of its own below.
@pytest.fixture
def app_with_redis(app_config, redis_url):
    return create_app({**app_config, "REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": "memory://"})


@pytest.fixture
def app_with_dead_redis(app_config):
    # Nothing listens on port 1: every Redis call fails at once.
    return create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:1/0", "RATELIMIT_STORAGE_URI": "memory://"})


def test_answers_are_stored_and_queued_for_scoring(app_with_redis, redis_url, touchpoint):
    client = app_with_redis.test_client()
    answer = client.post(f"/w/{touchpoint['pk']}/responses", json={"score": 1, "comment": "Awful wait"})
    assert answer.status_code == 201
    queue = Queue("default", connection=Redis.from_url(redis_url))
    assert queue.count == 1
    with app_with_redis.app_context():
        assert db.session.get(Response, answer.json["id"]).sentiment_status == "pending"


def test_answers_are_taken_while_redis_is_down(app_with_dead_redis, touchpoint):
    client = app_with_dead_redis.test_client()
    started = time.monotonic()
    statuses = [client.post(f"/w/{touchpoint['pk']}/responses",
                            json={"score": 3, "comment": f"Comment {i}"}).status_code for i in range(20)]
    elapsed = time.monotonic() - started
    assert statuses == [201] * 20
    assert elapsed < 10
    with app_with_dead_redis.app_context():
        pending = db.session.scalar(select(func.count()).select_from(Response)
                                    .where(Response.sentiment_status == "pending"))
    assert pending == 20
    assert client.get("/healthz").json["queue"] == "unavailable"


def test_worker_burst_scores_what_was_left_pending(app_with_dead_redis, app_with_redis, touchpoint):
    client = app_with_dead_redis.test_client()
    for i in range(5):
        client.post(f"/w/{touchpoint['pk']}/responses", json={"score": 5, "comment": f"Lovely service {i}"})
    result = app_with_redis.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    with app_with_redis.app_context():
        statuses = db.session.scalars(select(Response.sentiment_status)).all()
    assert statuses == ["scored"] * 5


LIMITER_WITH_DEAD_REDIS = """
import json, sys, time
from feedback_service import create_app
config = json.loads(sys.argv[1])
app = create_app({**config, "REDIS_URL": "redis://127.0.0.1:1/0", "WIDGET_SUBMIT_LIMIT": "3/minute"})
client = app.test_client()
started = time.monotonic()
statuses = [client.post(sys.argv[2], json={"score": 4}).status_code for _ in range(5)]
print(json.dumps({"statuses": statuses, "seconds": time.monotonic() - started}))
"""


def test_rate_limiter_keeps_working_in_memory_when_redis_is_down(app_config, touchpoint):
    import json
    import subprocess
    import sys

    config = {key: value for key, value in app_config.items() if key != "RATELIMIT_STORAGE_URI"}
    result = subprocess.run([sys.executable, "-c", LIMITER_WITH_DEAD_REDIS, json.dumps(config),
                             f"/w/{touchpoint['pk']}/responses"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["statuses"] == [201, 201, 201, 429, 429]  # limited from memory, never a 500
    assert outcome["seconds"] < 10


def test_a_job_asked_for_by_rolled_back_work_never_runs(app):
    from feedback_service.core.database import commit
    from feedback_service.core.jobs import enqueue_after_commit

    ran = []
    with app.app_context():
        enqueue_after_commit(ran.append, "from the rolled-back work")
        db.session.rollback()
        enqueue_after_commit(ran.append, "from the committed work")
        commit()
    assert ran == ["from the committed work"]


def _work_in_this_process(app):
    from rq import SimpleWorker

    from feedback_service.core.jobs import get_queue, redis_connection

    with app.app_context():
        SimpleWorker([get_queue()], connection=redis_connection()).work(burst=True)


def _statuses(app) -> list[tuple[str, bool]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(Response.sentiment_status, Response.follow_up_pending).order_by(Response.id))]


def _queued_drains(redis_url) -> list:
    return [job for job in Queue("default", connection=Redis.from_url(redis_url)).jobs
            if job.func_name.endswith("drain_answers")]


def test_answers_share_the_drain_that_is_waiting(app_with_redis, redis_url, touchpoint):
    client = app_with_redis.test_client()
    for i in range(5):
        assert client.post(f"/w/{touchpoint['pk']}/responses",
                           json={"score": 2, "comment": f"Slow refund {i}"}).status_code == 201
    assert 1 <= len(_queued_drains(redis_url)) <= 2  # one for all five (two if they spanned two moments)

    _work_in_this_process(app_with_redis)
    assert _statuses(app_with_redis) == [("scored", False)] * 5

    client.post(f"/w/{touchpoint['pk']}/responses", json={"score": 2, "comment": "And another"})
    assert len(_queued_drains(redis_url)) == 1  # that drain is done: the next answer asks for a new one


def test_an_answer_that_finds_its_drain_under_way_is_taken_by_its_last_look(app_with_redis, redis_url, touchpoint,
                                                                           monkeypatch):
    """The worst moment: an answer commits while the drain of its moment is finishing, finds that
    drain enqueued already and asks for nothing. The drain looks once more after its moment."""
    from feedback_service.collection import jobs

    monkeypatch.setattr("feedback_service.core.jobs.DRAIN_WINDOW_SECONDS", 3600)  # both answers in one moment
    client = app_with_redis.test_client()
    client.post(f"/w/{touchpoint['pk']}/responses", json={"score": 1, "comment": "First"})
    real_after_window = jobs.after_window

    def another_answer_then_wait(window_end):
        second = app_with_redis.test_client().post(f"/w/{touchpoint['pk']}/responses",
                                                   json={"score": 1, "comment": "Second"})
        assert second.status_code == 201 and len(_queued_drains(redis_url)) == 0  # it asked for nothing
        return real_after_window(window_end)

    monkeypatch.setattr(jobs, "after_window", another_answer_then_wait)
    [drain] = _queued_drains(redis_url)
    with app_with_redis.app_context():
        Queue("default", connection=Redis.from_url(redis_url)).remove(drain)
        drain.args = (time.time() + 0.2,)  # its moment ends in a fifth of a second
        drain.perform()  # what the worker does with it

    assert _statuses(app_with_redis) == [("scored", False)] * 2
    assert _queued_drains(redis_url) == []


def test_a_busy_process_asks_redis_for_the_drain_once_a_moment(app_config, redis_url, touchpoint, monkeypatch):
    """Having enqueued the drain of this moment, a process asks nothing more of Redis until the next."""
    monkeypatch.setattr("feedback_service.core.jobs.DRAIN_WINDOW_SECONDS", 3600)
    app = create_app({**app_config, "REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": "memory://"})
    enqueued = []
    real_enqueue = Queue.enqueue
    monkeypatch.setattr(Queue, "enqueue", lambda self, *a, **kw: enqueued.append(a[0]) or real_enqueue(self, *a, **kw))
    answers = app.test_client()
    for i in range(5):
        assert answers.post(f"/w/{touchpoint['pk']}/responses",
                            json={"score": 2, "comment": f"Slow refund {i}"}).status_code == 201
    assert [func.__name__ for func in enqueued] == ["drain_answers"]
    assert len(_queued_drains(redis_url)) == 1
