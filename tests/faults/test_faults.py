"""Fault injection: the scoring queue against real Redis and PostgreSQL servers failing.

Every fault is injected into a private server started here (never the machine's
shared Redis or PostgreSQL), and workers are real ``flask --app wsgi worker``
processes, so a SIGKILL is a real one. In each test: submitted = stored = scored,
and no row is scored twice (the "scored a batch of N" lines of the committed
batches add up to exactly the rows scored, and rows scored before a fault keep
their scores untouched).

* Redis stopped during 200 submissions, then back empty: every answer is a 201
  and a running worker scores them all.
* Redis frozen (SIGSTOP): every submission still answers within 2 s.
* A worker and its work horse SIGKILLed mid-batch: a new worker scores the rest,
  each row exactly once.
* PostgreSQL restarted under a running worker: the same worker finishes the backlog.

The Redis tests use the suite's database (SQLite or PostgreSQL, as the run says);
the SIGKILL and restart tests need PostgreSQL (SKIP LOCKED, a restart) and use a
private cluster in both runs.
"""

from __future__ import annotations

import json
import select as io_select
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from redis import Redis
from rq import Queue, Worker
from rq.registry import FailedJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from feedback_service import create_app
from feedback_service.extensions import db
from feedback_service.models import Response
from tests.helpers.faults import (
    ROOT,
    PostgresCluster,
    RedisServer,
    WorkerProcess,
    comment,
    flask,
    wait_for,
    worker_env,
)

# Real servers stopped, frozen and killed, and latencies measured: run once, alone (make test does).
pytestmark = [pytest.mark.redis, pytest.mark.slow]

RESPONSES = Response.__table__
# How fast a customer must get an answer whatever Redis does ("a second or two").
MAX_SUBMIT_SECONDS = 2.0


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def workers():
    """Start workers through this; whatever is still running at the end is stopped."""
    started: list[WorkerProcess] = []

    def start(env: dict, log_path, *, burst: bool = False) -> WorkerProcess:
        worker = WorkerProcess(env, log_path, burst=burst)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.terminate(timeout=10)


SEED = """
import json
from feedback_service import create_app
from feedback_service.accounts import organizations
from feedback_service.core.database import commit
from feedback_service.core.tenancy import tenant_scope
from feedback_service.journeys import ordering as journeys, touchpoints

app = create_app({"RATELIMIT_STORAGE_URI": "memory://"})
with app.app_context():
    created = organizations.create_organization("Fault Shoes", "faults@example.com", "correct-horse-battery")
    commit()
    with tenant_scope(created.organization.id):
        journey = journeys.create_journey(name="Buying shoes")
        touchpoint = touchpoints.create_touchpoint(journey_id=journey.id, name="Checkout")
        commit()
        print(json.dumps({"organization_id": created.organization.id, "touchpoint_id": touchpoint.id,
                          "survey_version_id": touchpoint.current_survey_version_id}))
"""


@pytest.fixture(scope="module")
def pg_cluster():
    """A private PostgreSQL cluster with a migrated, seeded template database."""
    cluster = PostgresCluster()
    try:
        cluster.init()
        cluster.start()
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE feedback_template")
        env = worker_env(cluster.url("feedback_template"), "")
        env.pop("REDIS_URL")
        flask(env, "db", "upgrade")
        seeded = subprocess.run([sys.executable, "-c", SEED], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=60)
        assert seeded.returncode == 0, seeded.stderr
        cluster.seed = json.loads(seeded.stdout.strip().splitlines()[-1])
        yield cluster
    finally:
        cluster.destroy()


class PrivateDatabase:
    """One database of the private cluster, and a connection of the test's own that survives restarts."""

    def __init__(self, cluster: PostgresCluster, name: str):
        self.cluster, self.name = cluster, name
        self.dsn = cluster.dsn(name)
        self._conn: psycopg.Connection | None = None

    def worker_url(self) -> str:
        # The worker's connections are named, so the test can see them in pg_stat_activity.
        return f"{self.cluster.url(self.name)}?application_name=fault-worker"

    def query(self, sql: str, *params):
        for attempt in (1, 2):
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)
                return self._conn.execute(sql, params or None).fetchall()
            except psycopg.OperationalError:
                # Our own connection did not survive a restart either: reconnect once.
                self.close()
                if attempt == 2:
                    raise

    def scalar(self, sql: str, *params):
        return self.query(sql, *params)[0][0]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def load_backlog(self, rows: int) -> None:
        """``rows`` pending comments, stored a few seconds ago (past a 1 s grace period)."""
        seed = self.cluster.seed
        at = datetime.now(UTC) - timedelta(seconds=5)
        with psycopg.connect(self.dsn) as conn, conn.cursor() as cur:
            with cur.copy("COPY response (organization_id, touchpoint_id, survey_version_id, metric, score, "
                          "comment, context, source, sentiment_status, created_at, updated_at) FROM STDIN") as copy:
                for n in range(rows):
                    copy.write_row((seed["organization_id"], seed["touchpoint_id"], seed["survey_version_id"],
                                    "csat", 1 + n % 5, comment(n), "{}", "widget", "pending", at, at))
        assert self.scalar("SELECT count(*) FROM response WHERE sentiment_status = 'pending'") == rows

    def counts(self) -> dict:
        row = self.query("SELECT count(*), count(*) FILTER (WHERE sentiment_status = 'scored'), "
                         "count(*) FILTER (WHERE sentiment_status = 'pending'), "
                         "count(*) FILTER (WHERE sentiment_status = 'scored' AND (scored_at IS NULL "
                         "OR sentiment_compound IS NULL OR sentiment_label IS NULL)) FROM response")[0]
        return dict(zip(("stored", "scored", "pending", "incomplete"), row))

    def scored(self) -> int:
        return self.scalar("SELECT count(*) FROM response WHERE sentiment_status = 'scored'")

    def scored_snapshot(self) -> dict[int, tuple]:
        return {rid: rest for rid, *rest in self.query(
            "SELECT id, scored_at, updated_at, sentiment_compound FROM response "
            "WHERE sentiment_status <> 'pending'")}

    def worker_in_transaction(self) -> bool:
        """A worker connection holds an open write transaction: rows claimed FOR UPDATE, not yet committed."""
        return bool(self.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fault-worker' "
                                "AND backend_xid IS NOT NULL"))

    def worker_connections(self) -> int:
        return self.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fault-worker'")


@pytest.fixture
def private_db(pg_cluster):
    name = f"faults_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_cluster.dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE feedback_template')
    database = PrivateDatabase(pg_cluster, name)
    try:
        yield database
    finally:
        database.close()
        with psycopg.connect(pg_cluster.dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- helpers for the suite's database ---------------------------------------------------------


def suite_counts(app) -> dict:
    """Counts in the suite's database, read past the tenant filter (Core, not the ORM)."""
    with app.app_context():
        def count(*where):
            return db.session.scalar(select(func.count()).select_from(RESPONSES).where(*where))

        counts = {"stored": count(), "scored": count(RESPONSES.c.sentiment_status == "scored"),
                  "pending": count(RESPONSES.c.sentiment_status == "pending"),
                  "incomplete": count(RESPONSES.c.sentiment_status == "scored",
                                      RESPONSES.c.scored_at.is_(None) | RESPONSES.c.sentiment_label.is_(None))}
        ids = set(db.session.scalars(select(RESPONSES.c.id)))
        comments = db.session.scalars(select(RESPONSES.c.comment)).all()
        db.session.remove()
    counts["distinct_comments"] = len(set(comments))
    return counts | {"ids": ids}


def redis_app(app_config, redis_url):
    # Flask-Limiter is a process-wide singleton: an extra app keeps its limiter in
    # memory (see test_collection_queue); the frozen-Redis test runs the app with
    # its production limiter in a process of its own.
    return create_app({**app_config, "REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": "memory://"})


def wait_until_listening(redis_server: RedisServer, worker: WorkerProcess) -> None:
    connection = redis_server.client()
    try:
        def registered():
            assert worker.alive(), f"the worker exited early:\n{worker.output()[-4000:]}"
            return any(w.pid == worker.pid for w in Worker.all(connection=connection))

        wait_for(registered, timeout=30, what="the worker to register with Redis")
    finally:
        connection.close()


# --- Redis stopped ----------------------------------------------------------------------------


def test_redis_stopped_during_200_submissions_all_answered_and_all_scored_after_it_returns_empty(
        app_config, database_url, redis_server, org, make_touchpoint, workers, tmp_path):
    _, pk = make_touchpoint(org, name="Checkout")
    app = redis_app(app_config, redis_server.url)
    worker = workers(worker_env(database_url, redis_server.url, SWEEP_INTERVAL="1", SENTIMENT_GRACE_SECONDS="1"),
                     tmp_path / "worker.log")
    wait_until_listening(redis_server, worker)

    client = app.test_client()
    answers = []
    for n in range(200):
        if n == 100:
            redis_server.stop()  # mid-burst: whatever was queued and not yet run is lost
        started = time.monotonic()
        answer = client.post(f"/w/{pk}/responses", json={"score": 1 + n % 5, "comment": comment(n)},
                             headers={"Idempotency-Key": f"stop-{n}"})
        answers.append((answer.status_code, (answer.get_json() or {}).get("id"), time.monotonic() - started))
    down = suite_counts(app)
    redis_server.start()  # the same port, and empty

    statuses = [status for status, _, _ in answers]
    assert statuses == [201] * 200, statuses
    slowest = max(seconds for _, _, seconds in answers)
    assert slowest < MAX_SUBMIT_SECONDS, f"a submission took {slowest:.2f}s with Redis stopped"
    submitted_ids = {rid for _, rid, _ in answers}
    assert len(submitted_ids) == 200
    assert down["stored"] == 200 and down["ids"] == submitted_ids
    assert down["pending"] > 0, "Redis stopped too late to leave anything unscored"

    # No new submissions, no new worker: the running worker has to find the rest itself.
    def all_scored():
        assert worker.alive(), f"the worker died:\n{worker.output()[-4000:]}"
        return suite_counts(app)["scored"] == 200

    wait_for(all_scored, timeout=45, interval=0.2, what="the running worker to score all 200")
    final = suite_counts(app)
    assert final["ids"] == submitted_ids and final["distinct_comments"] == 200
    assert (final["stored"], final["scored"], final["pending"], final["incomplete"]) == (200, 200, 0, 0)
    assert worker.terminate() == 0
    assert sum(worker.batch_writes()) == 200, worker.batch_writes()  # each row written once


# --- Redis frozen -----------------------------------------------------------------------------

SUBMIT_WHILE_FROZEN = """
import json, sys, time
from feedback_service import create_app

config, path, count = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
app = create_app(config)  # the production limiter too: its storage is the Redis about to freeze
client = app.test_client()

def submit(n):
    started = time.monotonic()
    answer = client.post(path, json={"score": 2, "comment": f"The app froze at step {n} and I was stuck."},
                         headers={"Idempotency-Key": f"frozen-{n}"})
    return [answer.status_code, (answer.get_json() or {}).get("id"), time.monotonic() - started]

# One answer while Redis still answers: the process is warm, as a server in production is.
print(json.dumps(submit(0)), flush=True)
sys.stdin.readline()  # the test freezes Redis, then says go
print(json.dumps([submit(n) for n in range(1, count + 1)]), flush=True)
"""


def test_submissions_answer_within_seconds_while_redis_is_frozen(
        app_config, database_url, redis_server, org, make_touchpoint, workers, tmp_path):
    _, pk = make_touchpoint(org, name="Checkout")
    count = 12
    config = {key: value for key, value in app_config.items() if key != "RATELIMIT_STORAGE_URI"}
    config["REDIS_URL"] = redis_server.url
    submitter = subprocess.Popen([sys.executable, "-c", SUBMIT_WHILE_FROZEN, json.dumps(config), f"/w/{pk}/responses",
                                  str(count)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
    try:
        assert io_select.select([submitter.stdout], [], [], 60)[0], "the submitting process did not start"
        warm = json.loads(submitter.stdout.readline() or "null")
        assert warm is not None and warm[0] == 201, submitter.stderr.read() if warm is None else warm
        redis_server.freeze()
        try:
            out, err = submitter.communicate("go\n", timeout=120)
        finally:
            redis_server.thaw()
    finally:
        if submitter.poll() is None:
            submitter.kill()
            submitter.wait(timeout=10)
    assert submitter.returncode == 0, err[-4000:]
    answers = json.loads(out.strip().splitlines()[-1])
    latencies = [round(seconds, 2) for _, _, seconds in answers]
    assert [status for status, _, _ in answers] == [201] * count, answers
    print(f"latencies with Redis frozen: {latencies}")
    assert max(latencies) < MAX_SUBMIT_SECONDS, f"latencies with Redis frozen: {latencies}"
    submitted = [warm, *answers]

    worker = workers(worker_env(database_url, redis_server.url), tmp_path / "worker.log", burst=True)
    assert worker.wait(timeout=60) == 0, worker.output()[-4000:]
    app = redis_app(app_config, redis_server.url)
    final = suite_counts(app)
    assert final["ids"] == {rid for _, rid, _ in submitted} and final["distinct_comments"] == count + 1
    stored = count + 1
    assert (final["stored"], final["scored"], final["pending"], final["incomplete"]) == (stored, stored, 0, 0)
    assert sum(worker.batch_writes()) == stored, worker.batch_writes()


# --- worker and horse SIGKILLed ---------------------------------------------------------------

BACKLOG = 10_000


def test_worker_and_horse_killed_mid_batch_then_a_new_worker_scores_every_row_exactly_once(
        private_db, redis_server, workers, tmp_path):
    private_db.load_backlog(BACKLOG)
    env = worker_env(private_db.worker_url(), redis_server.url)
    first = workers(env, tmp_path / "first.log", burst=True)

    def mid_batch():
        assert first.alive(), f"the worker finished before it could be killed:\n{first.output()[-4000:]}"
        # Some batches committed, and one claimed but not committed yet.
        return first.horses() and private_db.worker_in_transaction() and private_db.scored() > 0

    wait_for(mid_batch, timeout=30, interval=0.01, what="the worker to be mid-drain")
    horses = first.kill_hard()
    killed_at = datetime.now(UTC)
    assert horses, "no work horse was running"
    # PostgreSQL notices the dead connections and rolls their transactions back.
    wait_for(lambda: private_db.worker_connections() == 0, timeout=15, what="the killed worker's connections to end")

    before = private_db.scored_snapshot()
    assert 0 < len(before) < BACKLOG, len(before)
    assert private_db.counts()["pending"] == BACKLOG - len(before)
    assert sum(first.batch_writes()) <= len(before)  # a batch may commit just before its log line

    second = workers(env, tmp_path / "second.log", burst=True)
    assert second.wait(timeout=90) == 0, second.output()[-4000:]

    counts = private_db.counts()
    assert counts == {"stored": BACKLOG, "scored": BACKLOG, "pending": 0, "incomplete": 0}
    after = private_db.scored_snapshot()
    assert {rid: after[rid] for rid in before} == before  # nothing scored before the kill was written again
    rescored_late = [rid for rid, (scored_at, _, _) in after.items() if rid not in before and scored_at < killed_at]
    assert rescored_late == []
    assert sum(second.batch_writes()) == BACKLOG - len(before), second.batch_writes()


# --- PostgreSQL restarted ---------------------------------------------------------------------

RESTART_BACKLOG = 20_000


def sentiment_jobs(redis_url: str) -> dict[str, list[str]]:
    """The scoring jobs RQ holds: queued, running, failed."""
    connection = Redis.from_url(redis_url, socket_timeout=2)
    try:
        queue = Queue("default", connection=connection)
        return {
            "queued": [job_id for job_id in queue.get_job_ids() if job_id.startswith("answers-")],
            "started": [job_id for job_id in StartedJobRegistry(queue=queue).get_job_ids()
                        if job_id.startswith("answers-")],
            "failed": [job_id for job_id in FailedJobRegistry(queue=queue).get_job_ids()
                       if job_id.startswith("answers-")],
        }
    finally:
        connection.close()


def test_postgresql_restarted_under_a_running_worker_which_recovers_and_finishes(
        pg_cluster, private_db, redis_server, workers, tmp_path):
    private_db.load_backlog(RESTART_BACKLOG)
    worker = workers(worker_env(private_db.worker_url(), redis_server.url, SWEEP_INTERVAL="1",
                                SENTIMENT_GRACE_SECONDS="1"), tmp_path / "worker.log")

    def draining(after: int = 0):
        def check():
            assert worker.alive(), f"the worker exited:\n{worker.output()[-4000:]}"
            return private_db.worker_in_transaction() and private_db.scored() > after
        return check

    # 1. A quick restart mid-drain (pg_ctl restart -m fast): the batch in flight is rolled back.
    wait_for(draining(), timeout=30, interval=0.01, what="the worker to be draining")
    pg_cluster.restart()
    assert worker.alive(), f"the worker died with the database:\n{worker.output()[-4000:]}"
    scored = private_db.scored()
    assert scored < RESTART_BACKLOG, "the backlog was done before the restart: make it bigger"
    wait_for(draining(scored), timeout=30, interval=0.01, what="the worker to drain again after the restart")

    # 2. Down long enough for every scoring job already queued to fail: only the
    #    worker's periodic sweep can bring the rest back once the server is up.
    pg_cluster.stop()
    try:
        def queued_jobs_burnt_out():
            assert worker.alive(), f"the worker died with the database:\n{worker.output()[-4000:]}"
            jobs = sentiment_jobs(redis_server.url)
            return not jobs["queued"] and not jobs["started"] and jobs["failed"]

        wait_for(queued_jobs_burnt_out, timeout=30, interval=0.1, what="the queued scoring jobs to fail")
        time.sleep(1.5)  # a periodic sweep or two fails too (the database is away), and must not end the cycle
    finally:
        pg_cluster.start()
    before = private_db.scored_snapshot()
    assert 0 < len(before) < RESTART_BACKLOG, len(before)

    def finished():
        assert worker.alive(), f"the worker died:\n{worker.output()[-4000:]}"
        return private_db.counts()["pending"] == 0

    wait_for(finished, timeout=60, interval=0.2, what="the backlog to be scored after the restarts")
    counts = private_db.counts()
    assert counts == {"stored": RESTART_BACKLOG, "scored": RESTART_BACKLOG, "pending": 0, "incomplete": 0}
    after = private_db.scored_snapshot()
    assert {rid: after[rid] for rid in before} == before  # nothing scored before the outage was written again
    assert worker.alive()
    assert worker.terminate(timeout=20) == 0, worker.output()[-4000:]
    assert sum(worker.batch_writes()) == RESTART_BACKLOG, worker.batch_writes()
