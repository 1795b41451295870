#!/usr/bin/env python3
"""Where one ``POST /w/{pk}/responses`` spends its CPU, and which SQL it sends.

``.venv/bin/python bench/profile_submit.py [--redis] [--requests 300]``

In one process, with no server and no concurrency: a fresh PostgreSQL schema
(migrated), an organisation, journey and touchpoint, then the same widget
answers the throughput bench sends, through Flask's test client into the app
``bench/bench_wsgi.py`` builds. It prints

- CPU and wall milliseconds per request (without the profiler),
- the SQL statements, transactions and savepoints of one request, in order,
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

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
BODY = {"score": 4, "comment": "Checkout was quick, but the delivery options were confusing.",
        "context": {"page": "/checkout"}}

# (label, path fragment, function name): inclusive CPU of each, per request.
COST_CENTRES = [
    ("whole request (Flask.wsgi_app)", "flask/app.py", "wsgi_app"),
    ("rate limiter check", "flask_limiter/_extension.py", "_check_request_limit"),
    ("rate limiter headers (after_request)", "flask_limiter/_extension.py", "_Limiter__inject_headers"),
    ("touchpoint by key (before_request)", "feedback_service/api/widget.py", "_load_touchpoint"),
    ("body parse + SubmitSchema (webargs)", "webargs/core.py", "parse"),
    ("idempotency lookup", "feedback_service/services/collection.py", "_by_idempotency_key"),
    ("customer resolve (select/update/insert)", "feedback_service/services/collection.py", "_resolve_customer"),
    ("request_digest (JSON + sha256)", "feedback_service/services/collection.py", "request_digest"),
    ("response.created event payload", "feedback_service/services/events.py", "response_payload"),
    ("follow-up opened for the comment", "feedback_service/services/follow_ups.py", "open_for_response"),
    ("  outbox emails queued", "feedback_service/services/mail.py", "queue_email"),
    ("submit_response (all of the above storing)", "feedback_service/services/collection.py", "submit_response"),
    ("commit + after-commit jobs (database.commit)", "feedback_service/database.py", "commit"),
    ("  after-commit jobs (scoring or RQ enqueue)", "feedback_service/jobs.py", "dispatch_pending"),
    ("  VADER polarity_scores", "vaderSentiment/vaderSentiment.py", "polarity_scores"),
    ("_submitted_body (reload + edit token)", "feedback_service/api/widget.py", "_submitted_body"),
    ("  edit token (itsdangerous)", "feedback_service/services/links.py", "edit_token"),
    ("SubmittedSchema dump (marshmallow)", "marshmallow/schema.py", "dump"),
    ("tenant filter hook (do_orm_execute)", "feedback_service/tenancy.py", "_scope_to_tenant"),
    ("SQL compilation (cache misses)", "sqlalchemy/sql/compiler.py", "__init__"),
    ("ORM flushes", "sqlalchemy/orm/session.py", "flush"),
    ("lazy loads (relationships)", "sqlalchemy/orm/strategies.py", "_load_for_state"),
    ("reloads of attributes expired by commit", "sqlalchemy/orm/state.py", "_load_expired"),
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

    from flask_migrate import upgrade
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from bench_wsgi import app
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
    touchpoint = client.post("/api/v1/touchpoints", json={"journey_id": journey["id"], "name": "Checkout"},
                             headers=auth).get_json()
    path = f"/w/{touchpoint['publishable_key']}/responses"

    def one(i: int) -> None:
        body = dict(BODY, customer={"id": f"c-{i % 1000}"}, context={"order_id": f"A-{i}", "page": "/checkout"})
        answer = client.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
        if answer.status_code != 201:
            raise SystemExit(f"{answer.status_code}: {answer.get_data(as_text=True)}")

    for i in range(2000, 2050):  # warm every cache; customers c-0… are new, c-1000… seen before
        one(i)

    n = args.requests
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        one(i)
    wall, cpu = (time.perf_counter() - wall) / n * 1000, (time.process_time() - cpu) / n * 1000

    # One request's SQL, in order (a customer already seen, as most are).
    sent: list[str] = []
    listeners = {
        "before_cursor_execute": lambda conn, cur, stmt, params, ctx, many: sent.append(" ".join(stmt.split())[:110]),
        "begin": lambda conn: sent.append("BEGIN"),
        "commit": lambda conn: sent.append("COMMIT"),
        "rollback": lambda conn: sent.append("ROLLBACK"),
        # These two fire twice per savepoint (a nameless first call): count the named one.
        "savepoint": lambda conn, name: name and sent.append(f"SAVEPOINT {name}"),
        "release_savepoint": lambda conn, name, ctx: sent.append(f"RELEASE SAVEPOINT {name}"),
        "engine_connect": lambda conn: sent.append("(pool checkout: pre-ping SELECT 1)"),
    }
    for name, fn in listeners.items():
        event.listen(Engine, name, fn)
    one(n // 2)
    for name, fn in listeners.items():
        event.remove(Engine, name, fn)
    sent = [line for i, line in enumerate(sent) if not (line.startswith("RELEASE") and sent[i - 1] == line)]

    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for i in range(n):
        one(i)
    profiler.disable()
    stats = pstats.Stats(profiler)

    mode = "REDIS_URL set (RQ enqueue, limiter on Redis)" if args.redis else "REDIS_URL unset (in-process scoring)"
    print(f"\nPOST {path.replace(touchpoint['publishable_key'], '{pk}')}, {mode}, {n} requests, one process")
    print(f"  without profiler: {cpu:.2f} ms CPU, {wall:.2f} ms wall per request (Flask test client included)\n")
    statements = [s for s in sent if not s.startswith("(")]
    print(f"SQL of one request: {len(statements)} statements/markers "
          f"({sum(s == 'COMMIT' for s in sent)} commits, {sum(s.startswith('SAVEPOINT') for s in sent)} savepoints, "
          f"{sum(s.startswith('(pool') for s in sent)} pool checkouts)")
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
