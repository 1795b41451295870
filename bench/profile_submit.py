#!/usr/bin/env python3
"""Where one ``POST /w/{pk}/responses`` spends its CPU, and which SQL it sends.

``.venv/bin/python bench/profile_submit.py [--redis] [--requests 300]``

In one process, with no server and no concurrency: a fresh PostgreSQL schema
(migrated), an organisation, journey and touchpoint, then the same widget
answers the throughput bench sends, through Flask's test client into the app
``bench/bench_wsgi.py`` builds. It prints

- CPU and wall milliseconds per request (without the profiler),
- the SQL statements and Redis round trips of one request, in order,
- the inclusive CPU of the request's cost centres under cProfile (which slows
  Python code about twofold, so read the shares, not the absolute numbers),
- the functions with the most CPU of their own.

The schema is dropped at the end (Redis db 14 flushed with ``--redis``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import sys
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from submit_throughput import BROWSER_HEADERS, ORIGIN  # noqa: E402  (the headers the throughput bench sends)

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
BODY = {"score": 4, "comment": "Checkout was quick, but the delivery options were confusing.",
        "context": {"page": "/checkout"}}

# (label, path fragment, function name): inclusive CPU of each, per request.
COST_CENTRES = [
    ("whole request (Flask.wsgi_app)", "flask/app.py", "wsgi_app"),
    ("rate limiter check (Flask-Limiter)", "flask_limiter/_extension.py", "_check_request_limit"),
    ("touchpoint read (before_request)", "feedback_service/api/widget.py", "_find_touchpoint"),
    ("body parse + SubmitSchema (webargs)", "webargs/core.py", "parse"),
    ("request_digest (JSON + sha256)", "feedback_service/collection/intake.py", "request_digest"),
    ("submit_response (all the storing)", "feedback_service/collection/intake.py", "submit_response"),
    ("  customer upsert", "feedback_service/customers/identity.py", "resolve_customer_ref"),
    ("  response.created event payload", "feedback_service/events/payloads.py", "response_data"),
    ("  event written (events.log)", "feedback_service/events/log.py", "_insert"),
    ("    webhook routes read (fan-out)", "feedback_service/webhooks/fanout.py", "routes_of"),
    ("  follow-up and scoring asked for", "feedback_service/collection/jobs.py", "request_processing"),
    ("_submitted_body (edit token, prompt)", "feedback_service/api/widget.py", "_submitted_body"),
    ("SubmittedSchema dump (marshmallow)", "marshmallow/schema.py", "dump"),
    ("commit + after-commit jobs (database.commit)", "feedback_service/core/database.py", "commit"),
    ("  after-commit jobs (dispatch_pending)", "feedback_service/core/jobs.py", "dispatch_pending"),
    ("after the answer is sent (no REDIS_URL): jobs", "feedback_service/collection/jobs.py", "process_responses"),
    ("  follow-up opened", "feedback_service/loop/opening.py", "open_pending"),
    ("  VADER polarity_scores", "vaderSentiment/vaderSentiment.py", "polarity_scores"),
    ("tenant filter hook (do_orm_execute)", "feedback_service/core/tenancy.py", "_scope_to_tenant"),
    ("SQLAlchemy: statement execution", "sqlalchemy/engine/base.py", "_execute_clauseelement"),
    ("SQL compilation (cache misses)", "sqlalchemy/sql/compiler.py", "__init__"),
    ("ORM flushes", "sqlalchemy/orm/session.py", "flush"),
    ("psycopg execute (driver, incl. waiting)", "psycopg/cursor.py", "execute"),
    ("pool checkout (incl. pre-ping)", "sqlalchemy/pool/base.py", "_checkout"),
    ("logging", "logging/__init__.py", "_log"),
]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--redis", action="store_true", help=f"set REDIS_URL={DEFAULT_REDIS} (flushed at the end)")
    p.add_argument("--requests", type=int, default=300, help="requests timed, and again profiled")
    p.add_argument("--top", type=int, default=25, help="functions listed by their own CPU")
    p.add_argument("--pg-url", default=DEFAULT_PG)
    p.add_argument("--save", metavar="PATH", help="also write the cProfile stats there (for pstats' print_callers)")
    args = p.parse_args()
    if not 10 <= args.requests <= 20000:
        p.error("--requests must be in [10, 20000]")

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    conninfo = f"{args.pg_url}?options=-csearch_path%3D{schema}"
    with psycopg.connect(args.pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    os.environ.pop("REDIS_URL", None)
    os.environ.update({"DATABASE_URL": conninfo, "SECRET_KEY": secrets.token_urlsafe(32),
                       "FEEDBACK_ENV": "production", "PUBLIC_BASE_URL": "http://127.0.0.1:18701"})
    if args.redis:
        os.environ["REDIS_URL"] = DEFAULT_REDIS
    try:
        return profile(args)
    finally:
        with psycopg.connect(args.pg_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        if args.redis:
            import redis

            client = redis.Redis.from_url(DEFAULT_REDIS, socket_connect_timeout=2)
            client.flushdb()
            client.close()


def profile(args) -> int:
    import json

    from bench_wsgi import app
    from flask_migrate import upgrade
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from feedback_service.extensions import db

    with app.app_context():
        upgrade()
        db.session.remove()
    out = app.test_cli_runner().invoke(args=["create-org", "Bench Org", "--admin-email", "bench@example.com",
                                             "--json"])
    api_key = json.loads(out.output.strip().splitlines()[-1])["api_key"]
    client = app.test_client()
    auth = {"Authorization": f"Bearer {api_key}"}
    journey = client.post("/api/v1/journeys", json={"name": "Bench journey"}, headers=auth).get_json()
    touchpoint = client.post("/api/v1/touchpoints", json={"journey_id": journey["id"], "name": "Checkout",
                                                          "allowed_origins": [ORIGIN]},
                             headers=auth).get_json()
    path = f"/w/{touchpoint['publishable_key']}/responses"

    def one(i: int) -> None:
        body = dict(BODY, customer={"id": f"c-{i % 1000}"}, context={"order_id": f"A-{i}", "page": "/checkout"})
        answer = client.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex, **BROWSER_HEADERS})
        # Closing the answer runs what a server runs once it is sent: in-process jobs (no REDIS_URL).
        answer.close()
        if answer.status_code != 201:
            raise SystemExit(f"{answer.status_code}: {answer.get_data(as_text=True)}")

    for i in range(2000, 2050):  # warm every cache; customers c-0… are new, c-1000… seen before
        one(i)

    n = args.requests
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        one(i)
    wall, cpu = (time.perf_counter() - wall) / n * 1000, (time.process_time() - cpu) / n * 1000

    # One request's SQL and Redis commands, in order (a customer already seen, as most are).
    # Statements are caught at the driver, so those sent on a raw psycopg connection count too.
    import re

    import psycopg
    from redis.connection import AbstractConnection

    sent: list[str] = []
    cursor_execute, redis_send = psycopg.Cursor.execute, AbstractConnection.send_packed_command

    def traced_cursor(self, query, *a, **kw):
        text = query if isinstance(query, str) else getattr(query, "as_string", lambda _: str(query))(self)
        sent.append("SQL    " + " ".join(text.split())[:104])
        return cursor_execute(self, query, *a, **kw)

    def traced_redis(self, command, *a, **kw):
        # Caught at the connection, so commands sent together in one write (the limiter's
        # windows) show as one round trip. RESP: each command is "*N $len NAME $len ARG …".
        data = b"".join(command) if isinstance(command, list) else command
        names = [name.decode() for name in re.findall(rb"\*\d+\r\n\$\d+\r\n([A-Za-z]+)", data)]
        sent.append("Redis  " + " + ".join(names) + " (one round trip)")
        return redis_send(self, command, *a, **kw)

    listeners = {
        "commit": lambda conn: sent.append("SQL    COMMIT"),
        "engine_connect": lambda conn: sent.append("(pool checkout)"),
    }
    psycopg.Cursor.execute, AbstractConnection.send_packed_command = traced_cursor, traced_redis
    for name, fn in listeners.items():
        event.listen(Engine, name, fn)
    try:
        one(n // 2)
    finally:
        psycopg.Cursor.execute, AbstractConnection.send_packed_command = cursor_execute, redis_send
        for name, fn in listeners.items():
            event.remove(Engine, name, fn)

    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for i in range(n):
        one(i)
    profiler.disable()
    stats = pstats.Stats(profiler)
    if args.save:
        stats.dump_stats(args.save)

    mode = "REDIS_URL set (RQ enqueue, limiter on Redis)" if args.redis else "REDIS_URL unset (in-process scoring)"
    print(f"\nPOST {path.replace(touchpoint['publishable_key'], '{pk}')}, {mode}, {n} requests, one process")
    print(f"  without profiler: {cpu:.2f} ms CPU, {wall:.2f} ms wall per request (Flask test client included)\n")
    print(f"One request sends {sum(s.startswith('SQL') for s in sent)} SQL statements "
          f"and {sum(s.startswith('Redis') for s in sent)} Redis round trips "
          f"({sum(s.startswith('(pool') for s in sent)} pool checkouts):")
    for line in sent:
        print(f"  {line}")

    total = next((v[3] for k, v in stats.stats.items() if k[0].endswith("flask/app.py") and k[2] == "wsgi_app"), 0)
    print(f"\nInclusive CPU per request under cProfile (share of Flask.wsgi_app = {total / n * 1000:.2f} ms)")
    for label, fragment, func in COST_CENTRES:
        spent = sum(v[3] for k, v in stats.stats.items() if fragment in k[0] and k[2] == func)
        calls = sum(v[1] for k, v in stats.stats.items() if fragment in k[0] and k[2] == func)
        share = spent / total * 100 if total else 0
        print(f"  {label:48}{spent / n * 1000:8.2f} ms {share:5.1f} %  {calls / n:5.1f} calls")
    print(f"\nTop {args.top} functions by own CPU (cProfile):")
    stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
