"""How fast does one worker deliver webhooks, and how soon after a commit do they arrive?

One run, one machine, PostgreSQL and Redis, a threaded receiver on loopback
that verifies every signature with ``standardwebhooks``:

1. throughput: a backlog of ``--backlog`` due deliveries (inserted directly,
   as if Redis had lost their jobs), drained by one real ``flask worker
   --burst`` (its start-up sweep finds them); deliveries/s is the count over
   the span from the first arrival to the last;
2. latency: a real ``flask worker`` running, answers submitted through the
   widget API at ``--rate`` per second for ``--seconds``; the delay of each
   webhook is its arrival time minus the event's own timestamp (written just
   before the answer's commit, so the figure errs on the slow side).

Targets (issue 6): at least 200 deliveries/s per worker; p50 under 1 s.

    .venv/bin/python bench/webhooks.py [--backlog 3000] [--rate 20] [--seconds 15]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import redis
from standardwebhooks.webhooks import Webhook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/12"


class Receiver:
    """Records (arrival time, payload) of every request, after verifying its signature."""

    def __init__(self):
        self.arrivals: list[tuple[float, dict]] = []
        self.bad_signatures = 0
        self.secret: str | None = None
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                at = time.time()
                try:
                    payload = Webhook(receiver.secret).verify(body, dict(self.headers))
                except Exception:
                    payload = None
                with lock:
                    if payload is None:
                        receiver.bad_signatures += 1
                    else:
                        receiver.arrivals.append((at, payload))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.request_queue_size = 1024
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.arrivals) < count and time.monotonic() < deadline:
            time.sleep(0.02)


def env_for(schema: str) -> dict:
    return {**os.environ, "DATABASE_URL": f"{PG.replace('postgresql://', 'postgresql+psycopg://')}"
                                          f"?options=-csearch_path%3D{schema}",
            "REDIS_URL": REDIS_URL, "SECRET_KEY": "bench", "WEBHOOK_ALLOW_PRIVATE_URLS": "1", "SWEEP_INTERVAL": "30"}


def flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)


def setup(env: dict, receiver: Receiver):
    """An organisation, a touchpoint and an endpoint pointing at the receiver."""
    from feedback_service import create_app
    from feedback_service.core.database import commit
    from feedback_service.core.tenancy import tenant_scope
    from feedback_service.journeys import ordering as journeys
    from feedback_service.journeys import touchpoints
    from feedback_service.webhooks import endpoints as webhooks

    flask(env, "db", "upgrade")
    created = json.loads(flask(env, "create-org", "Bench", "--admin-email", "bench@example.com", "--json").stdout)
    org_id = created["organization"]["id"]
    app = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "SECRET_KEY": "bench", "REDIS_URL": REDIS_URL,
                      "WEBHOOK_ALLOW_PRIVATE_URLS": True, "RATELIMIT_ENABLED": False})
    with app.app_context(), tenant_scope(org_id):
        journey = journeys.create_journey(name="Bench")
        touchpoint = touchpoints.create_touchpoint(journey_id=journey.id, name="Checkout")
        endpoint, secret = webhooks.create_endpoint(url=receiver.url, events=["response.created"])
        commit()
        receiver.secret = secret
        return app, org_id, touchpoint.id, touchpoint.publishable_key, endpoint.id


def load_backlog(app, org_id: int, touchpoint_id: int, endpoint_id: int, count: int) -> None:
    """``count`` events, each with a due delivery and no job: only a sweep will find them."""
    from sqlalchemy import insert

    from feedback_service.extensions import db
    from feedback_service.models import Event, WebhookDelivery, utcnow

    with app.app_context():
        now = utcnow()
        events = Event.__table__
        ids = db.session.scalars(insert(events).returning(events.c.id, sort_by_parameter_order=True), [
            {"organization_id": org_id, "type": "response.created", "created_at": now,
             "data": {"response": {"id": n, "score": 5}, "touchpoint": {"id": touchpoint_id, "name": "Checkout"}}}
            for n in range(count)]).all()
        db.session.execute(insert(WebhookDelivery.__table__), [
            {"organization_id": org_id, "endpoint_id": endpoint_id, "event_id": event_id, "status": "pending",
             "attempts": 0, "max_attempts": 8, "next_attempt_at": now, "created_at": now, "updated_at": now}
            for event_id in ids])
        db.session.commit()


def throughput(env: dict, receiver: Receiver, count: int) -> dict:
    started = time.time()
    worker = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    wall = time.time() - started
    if worker.returncode:
        raise SystemExit("the worker failed:\n" + worker.stderr[-3000:])
    receiver.wait_for(count, timeout=10)
    times = sorted(at for at, _ in receiver.arrivals)
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    return {"delivered": len(times), "span": span, "wall": wall, "rate": len(times) / span if span else 0.0}


def latency(app, env: dict, receiver: Receiver, pk: str, rate: float, seconds: float) -> dict:
    # The worker logs two lines a job: to a file. A pipe nobody reads fills up after a few hundred
    # lines and then blocks the worker in the middle of the run.
    log = tempfile.NamedTemporaryFile("w+", prefix="bench-webhooks-worker-", suffix=".log", delete=False)
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=log, text=True)
    try:
        time.sleep(3)  # the worker starts, sweeps, and waits on the queue
        client = app.test_client()
        total = int(rate * seconds)
        began = time.monotonic()
        for n in range(total):
            time.sleep(max(0.0, began + n / rate - time.monotonic()))
            answer = client.post(f"/w/{pk}/responses", json={"score": 1 + n % 5})
            assert answer.status_code == 201, answer.get_data(as_text=True)
        receiver.wait_for(total, timeout=30)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.seek(0)
        lines = log.read().splitlines()
        log.close()
        os.unlink(log.name)
    if len(receiver.arrivals) < total:
        print("the worker's last lines:\n" + "\n".join(lines[-15:]), file=sys.stderr)
    delays = sorted(at - datetime.fromisoformat(payload["timestamp"]).timestamp() for at, payload in receiver.arrivals)
    return {"sent": total, "delivered": len(delays), "p50": statistics.median(delays),
            "p99": delays[min(len(delays) - 1, int(len(delays) * 0.99))], "max": delays[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=20.0, help="answers per second in the latency run")
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    conn = psycopg.connect(PG, autocommit=True)
    conn.execute(f'CREATE SCHEMA "{schema}"')
    env = env_for(schema)
    queue = redis.Redis.from_url(REDIS_URL)
    queue.flushdb()
    receiver = Receiver()
    try:
        app, org_id, touchpoint_id, pk, endpoint_id = setup(env, receiver)
        load_backlog(app, org_id, touchpoint_id, endpoint_id, args.backlog)
        drained = throughput(env, receiver, args.backlog)
        receiver.arrivals.clear()
        queue.flushdb()
        timed = latency(app, env, receiver, pk, args.rate, args.seconds)

        print(f"\nWebhooks, PostgreSQL + Redis, one worker, loopback receiver, {os.cpu_count()} cores\n")
        print(f"{'':44}{'measured':>12}{'target':>12}")
        print(f"{'deliveries/s, 1 worker (backlog ' + str(args.backlog) + ')':44}{drained['rate']:12,.0f}"
              f"{'>= 200':>12}")
        print(f"{'commit -> arrival p50 (s)':44}{timed['p50']:12.3f}{'< 1':>12}")
        print(f"{'commit -> arrival p99 (s)':44}{timed['p99']:12.3f}{'':>12}")
        print(f"{'commit -> arrival max (s)':44}{timed['max']:12.3f}{'':>12}")
        print(f"\nthroughput: {drained['delivered']}/{args.backlog} delivered in {drained['span']:.2f}s from first to "
              f"last arrival ({drained['wall']:.2f}s wall, worker start-up included)")
        print(f"latency: {timed['delivered']}/{timed['sent']} delivered at {args.rate:g} answers/s for "
              f"{args.seconds:g}s; signatures that failed verification: {receiver.bad_signatures}")
        if timed["delivered"] != timed["sent"]:
            states = conn.execute(f'SELECT status, attempts, count(*) FROM "{schema}".webhook_delivery '
                                  "GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
            print(f"deliveries by (status, attempts): {states}")
        ok = (drained["rate"] >= 200 and timed["p50"] < 1 and drained["delivered"] == args.backlog
              and timed["delivered"] == timed["sent"] and receiver.bad_signatures == 0)
        print(f"\n{'PASS' if ok else 'FAIL'}")
    finally:
        receiver.server.shutdown()
        queue.flushdb()
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()


if __name__ == "__main__":
    main()
