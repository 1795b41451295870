"""Answers are never lost: concurrency, idempotency, and Redis being away."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from rq import Queue
from redis import Redis
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
    from feedback_service.database import commit
    from feedback_service.jobs import enqueue_after_commit

    ran = []
    with app.app_context():
        enqueue_after_commit(ran.append, "from the rolled-back work")
        db.session.rollback()
        enqueue_after_commit(ran.append, "from the committed work")
        commit()
    assert ran == ["from the committed work"]


def _work_in_this_process(app):
    from rq import SimpleWorker

    from feedback_service.jobs import get_queue, redis_connection

    with app.app_context():
        SimpleWorker([get_queue()], connection=redis_connection()).work(burst=True)


def _statuses(app) -> list[tuple[str, bool]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(Response.sentiment_status, Response.follow_up_pending).order_by(Response.id))]


def _start_of_a_second() -> None:
    time.sleep(1.02 - time.time() % 1)


def test_answers_of_one_second_share_one_job(app_with_redis, redis_url, touchpoint):
    client = app_with_redis.test_client()
    queue = Queue("default", connection=Redis.from_url(redis_url))
    _start_of_a_second()
    for i in range(5):
        assert client.post(f"/w/{touchpoint['pk']}/responses",
                           json={"score": 2, "comment": f"Slow refund {i}"}).status_code == 201
    assert [job_id.split("-")[0] for job_id in queue.job_ids] == ["responses"]  # one for all five

    _work_in_this_process(app_with_redis)
    assert _statuses(app_with_redis) == [("scored", False)] * 5


def test_the_job_of_a_second_stays_for_the_answers_that_came_after_it_started(app_with_redis, redis_url,
                                                                               touchpoint):
    """An answer finds its second's job already asked for (and running) and sends nothing:
    the job keeps looking until that second is over, so it takes that answer too."""
    import threading

    def run_the_job(job):  # what the worker does with it (RQ's worker wants the main thread)
        with app_with_redis.app_context():
            job.perform()

    client = app_with_redis.test_client()
    queue = Queue("default", connection=Redis.from_url(redis_url))
    for _ in range(3):  # a loaded machine can push the second answer into the next second: try again
        _start_of_a_second()
        second = int(time.time())
        client.post(f"/w/{touchpoint['pk']}/responses", json={"score": 1, "comment": "First"})
        [job] = queue.jobs
        queue.remove(job)
        worker = threading.Thread(target=run_the_job, args=(job,))
        worker.start()
        client.post(f"/w/{touchpoint['pk']}/responses", json={"score": 1, "comment": "Second"})
        in_the_same_second = int(time.time()) == second
        nothing_queued = queue.count == 0
        worker.join(timeout=10)
        if in_the_same_second:
            break
    assert in_the_same_second and nothing_queued  # the second answer asked Redis for nothing
    assert not worker.is_alive()
    assert time.time() >= second + 1  # the job stayed until its second was over
    assert _statuses(app_with_redis)[-2:] == [("scored", False)] * 2
