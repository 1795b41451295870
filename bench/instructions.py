#!/usr/bin/env python3
"""Instructions per widget answer, counted by callgrind, next to the bare endpoint's.

``.venv/bin/python bench/instructions.py [--requests 200] [--no-redis]``

Requests per second on a shared two-core machine move by a tenth from one run to
the next; the instructions a request executes do not (callgrind counts the same
total to within 0.3 % whatever else the machine is doing). So this is the bench
to tell two builds apart; ``submit_throughput.py`` is the one that says whether
the targets are met.

Each app runs in its own process under ``valgrind --tool=callgrind`` with
instrumentation off; the process builds every request's WSGI environ first
(the body the widget sends, a unique ``Idempotency-Key``), serves 50 to warm its
caches, then switches counting on (``callgrind_control -i on``), calls the WSGI
callable for each request as gunicorn would (reading the body, closing the
iterable), and switches it off. The count covers the app's process only: the
PostgreSQL backend and Redis server are other processes (``submit_throughput.py``
reads their CPU from ``/proc``).

Both apps store into one fresh PostgreSQL schema, dropped at the end; with Redis
(the default, as production), db 14 is flushed at the end.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg
from submit_throughput import BROWSER_HEADERS, COMMENT, ORIGIN, SCORE  # bench/ is this script's folder

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
WARM_UP = 50
# The answer and the browser's headers the throughput bench sends.
BODY = {"score": SCORE, "comment": COMMENT}


def environ(pk: str, i: int) -> dict:
    body = json.dumps(dict(BODY, customer={"id": f"c-{i % 1000}"},
                           context={"order_id": f"A-{i}", "page": "/checkout"})).encode()
    return {
        "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": f"/w/{pk}/responses", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "18701", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000", "HTTP_HOST": "127.0.0.1:18701",
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
        "HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex, **{f"HTTP_{name.upper().replace('-', '_')}": value
                                                     for name, value in BROWSER_HEADERS.items()},
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }


def serve(app, environs: list[dict]) -> None:
    status: list[str] = []

    def start_response(s, headers, exc_info=None):
        status.append(s)

    for env in environs:
        body = app(env, start_response)
        try:
            b"".join(body)  # read it all, as a server sends it
        finally:
            if hasattr(body, "close"):
                body.close()
    bad = [s for s in status if not s.startswith("201")]
    if bad:
        raise SystemExit(f"{len(bad)} answers were not 201, the first: {bad[0]}")


def child(which: str, pk: str, requests: int) -> None:
    """Runs under callgrind: serve ``requests`` answers with counting on."""
    sys.path[:0] = [str(ROOT), str(BENCH)]
    if which == "service":
        from bench_wsgi import app
    else:
        from bare_app import app
    warm = [environ(pk, 10_000 + i) for i in range(WARM_UP)]
    counted = [environ(pk, i) for i in range(requests)]
    serve(app, warm)
    control = shutil.which("callgrind_control")
    subprocess.run([control, "-i", "on", str(os.getpid())], check=True, capture_output=True)
    serve(app, counted)
    subprocess.run([control, "-i", "off", str(os.getpid())], check=True, capture_output=True)


def count(which: str, pk: str, requests: int, env: dict, tmp: Path) -> int:
    out = tmp / f"{which}.callgrind"
    cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
           sys.executable, __file__, "--child", which, "--pk", pk, "--requests", str(requests)]
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"{which} under callgrind failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    totals = re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE)
    if not totals:
        raise SystemExit(f"no totals in {out}")
    return int(totals.group(1))


def make_touchpoint(env: dict) -> str:
    """An organisation, a journey and a touchpoint in the fresh schema, through the service's own API."""
    code = (
        "import json, sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
        "from flask_migrate import upgrade\n"
        "from bench_wsgi import app\n"
        "with app.app_context(): upgrade()\n"
        "out = app.test_cli_runner().invoke(args=['create-org', 'Bench Org', '--admin-email', 'b@example.com',"
        " '--json'])\n"
        "auth = {'Authorization': 'Bearer ' + json.loads(out.output.strip().splitlines()[-1])['api_key']}\n"
        "c = app.test_client()\n"
        "j = c.post('/api/v1/journeys', json={'name': 'Bench journey'}, headers=auth).get_json()\n"
        "t = c.post('/api/v1/touchpoints', json={'journey_id': j['id'], 'name': 'Checkout',"
        f" 'allowed_origins': ['{ORIGIN}']}}, headers=auth)\n"
        "print(t.get_json()['publishable_key'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(ROOT), str(BENCH)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise SystemExit(f"setting up the touchpoint failed:\n{proc.stderr[-3000:]}")
    return proc.stdout.strip().splitlines()[-1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=200, help="answers counted per app (after 50 to warm up)")
    p.add_argument("--no-redis", action="store_true", help="REDIS_URL unset: limiter in memory, scoring in process")
    p.add_argument("--pg-url", default=DEFAULT_PG)
    p.add_argument("--child", choices=["service", "bare"], help=argparse.SUPPRESS)
    p.add_argument("--pk", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.child, args.pk, args.requests)
        return 0
    if not 10 <= args.requests <= 5000:
        p.error("--requests must be in [10, 5000]")
    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        p.error("needs valgrind (Debian: apt-get install -y valgrind)")

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    conninfo = f"{args.pg_url}?options=-csearch_path%3D{schema}"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FLASK_APP")}
    env.update({"DATABASE_URL": conninfo.replace("postgresql://", "postgresql+psycopg://", 1),
                "SECRET_KEY": secrets.token_urlsafe(32), "FEEDBACK_ENV": "production",
                "PUBLIC_BASE_URL": "http://127.0.0.1:18701", "BARE_POOL_SIZE": "1",
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
    if not args.no_redis:
        env["REDIS_URL"] = DEFAULT_REDIS
    tmp = Path(tempfile.mkdtemp(prefix="instructions-"))
    with psycopg.connect(args.pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        pk = make_touchpoint(env)
        figures = {}
        for which in ("service", "bare"):
            print(f"{which}: {WARM_UP} answers to warm up, {args.requests} counted, under callgrind…",
                  file=sys.stderr, flush=True)
            figures[which] = count(which, pk, args.requests, env, tmp) / args.requests
    finally:
        with psycopg.connect(args.pg_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        if not args.no_redis:
            import redis

            client = redis.Redis.from_url(DEFAULT_REDIS, socket_connect_timeout=2)
            client.flushdb()
            client.close()
        shutil.rmtree(tmp, ignore_errors=True)

    mode = "Redis (limiter and RQ on redis://…/14)" if not args.no_redis else "no Redis (memory limiter, inline jobs)"
    print(f"\nInstructions per POST /w/{{pk}}/responses, in the app's process only, {args.requests} answers, {mode}")
    print(f"  {'service':>12} {'bare':>12} {'service/bare':>14}")
    s, b = figures["service"], figures["bare"]
    print(f"  {s / 1000:>11,.0f}K {b / 1000:>11,.0f}K {s / b:>14.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
