"""How fast does a worker drain a backlog of comments, next to raw VADER?

One run, one machine, the same 20,000 comments:

1. raw ``polarity_scores`` in a loop on one core: the ceiling;
2. one ``flask worker --burst`` draining 20,000 pending rows on PostgreSQL
   end to end (claim, score, write back), timed by the rows' own scored_at;
3. two workers on the same backlog: sooner, and no row scored twice.

Target (issue 4): step 2 at ≥ 0.5× step 1.

    .venv/bin/python bench/sentiment_drain.py [--rows 20000]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/11"

GOOD = ["The holiday special was clear and tempting.", "Checkout was quick and painless, thanks!",
        "Sofia was very helpful and solved it quickly.", "Arrived next day, well packed. Excellent!",
        "Returns were free and easy, I will buy again.", "Love the filters, found the shoes in a minute."]
BAD = ["I tried three times and the free shipping never activated. Terrible.",
       "Waited 15 minutes on hold before anyone answered. Unacceptable.",
       "The parcel arrived two days late and the box was crushed.",
       "I had to explain my problem three times. Nobody listened.",
       "It took five minutes to even find your phone number, hidden in the footer."]
EXTRA = ["Also the size guide is confusing.", "Otherwise fine.", "Please fix the coupon field.",
         "My order number is A-{n}.", "I will tell my friends.", "Not sure I will come back."]


def comments(n: int) -> list[str]:
    rng = random.Random(42)
    return [f"{rng.choice(GOOD + BAD)} {rng.choice(EXTRA).format(n=rng.randint(1000, 9999))}" for _ in range(n)]


def raw_rate(texts: list[str]) -> float:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    started = time.perf_counter()
    for text in texts:
        analyzer.polarity_scores(text)
    return len(texts) / (time.perf_counter() - started)


def env_for(schema: str) -> dict:
    return {**os.environ, "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}",
            "REDIS_URL": REDIS_URL, "SECRET_KEY": "bench", "SENTIMENT_GRACE_SECONDS": "0"}


def flask(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True, **kwargs)


def load_backlog(conn: psycopg.Connection, schema: str, texts: list[str]) -> None:
    with conn.cursor() as cur:
        cur.execute(f'SET search_path TO "{schema}"')
        cur.execute("SELECT organization_id, id, current_survey_version_id FROM touchpoint LIMIT 1")
        org, touchpoint, version = cur.fetchone()
        cur.execute("DELETE FROM response")
        with cur.copy("COPY response (organization_id, touchpoint_id, survey_version_id, metric, score, comment, "
                      "context, source, sentiment_status, created_at, updated_at) FROM STDIN") as copy:
            for text in texts:
                copy.write_row((org, touchpoint, version, "csat", 3, text, "{}", "widget", "pending",
                                "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"))
    conn.commit()


def drain(env: dict, workers: int, conn: psycopg.Connection, schema: str, rows: int) -> dict:
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(workers)]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    wall = time.perf_counter() - started
    with conn.cursor() as cur:
        cur.execute(f'SET search_path TO "{schema}"')
        cur.execute("SELECT count(*) FILTER (WHERE sentiment_status = 'scored'), "
                    "count(*) FILTER (WHERE sentiment_status = 'pending'), "
                    "extract(epoch FROM max(scored_at) - min(scored_at)) FROM response")
        scored, pending, span = cur.fetchone()
    conn.commit()
    batches = [int(line.rsplit("batch of ", 1)[1].split()[0]) for out in outputs
               for line in out.splitlines() if "scored a batch of" in line]
    if any(p.returncode for p in procs):
        raise SystemExit("a worker failed:\n" + "\n".join(outputs))
    return {"wall": wall, "span": float(span or 0), "scored": scored, "pending": pending,
            "writes": sum(batches), "rate": rows / float(span or wall)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    texts = comments(args.rows)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    conn = psycopg.connect(PG, autocommit=False)
    conn.execute(f'CREATE SCHEMA "{schema}"')
    conn.commit()
    env = env_for(schema)
    queue = redis.Redis.from_url(REDIS_URL)
    try:
        flask(env, "db", "upgrade")
        flask(env, "create-org", "Bench", "--admin-email", "bench@example.com")
        key = flask(env, "create-org", "Bench2", "--admin-email", "b2@example.com", "--json").stdout
        from feedback_service import create_app
        from feedback_service.database import commit
        from feedback_service.services import journeys, touchpoints
        from feedback_service.tenancy import tenant_scope

        app = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "SECRET_KEY": "bench"})
        with app.app_context(), tenant_scope(1):
            journey = journeys.create_journey(name="Bench")
            touchpoints.create_touchpoint(journey_id=journey.id, name="Checkout")
            commit()
        del key

        raw = raw_rate(texts)
        queue.flushdb()
        load_backlog(conn, schema, texts)
        one = drain(env, 1, conn, schema, args.rows)
        queue.flushdb()
        load_backlog(conn, schema, texts)
        two = drain(env, 2, conn, schema, args.rows)

        print(f"\nSentiment drain, {args.rows} comments, PostgreSQL, {os.cpu_count()} cores\n")
        print(f"{'':34}{'comments/s':>12}{'x raw':>8}{'wall s':>9}{'scored':>9}{'writes':>9}")
        print(f"{'raw VADER polarity_scores, 1 core':34}{raw:12,.0f}{1:8.2f}{'':>9}{'':>9}{'':>9}")
        for label, run in (("1 worker (claim, score, write)", one), ("2 workers, same backlog", two)):
            print(f"{label:34}{run['rate']:12,.0f}{run['rate'] / raw:8.2f}{run['wall']:9.2f}"
                  f"{run['scored']:9}{run['writes']:9}")
        ok_ratio = one["rate"] / raw >= 0.5
        ok_once = all(r["scored"] == args.rows and r["pending"] == 0 and r["writes"] == args.rows for r in (one, two))
        print(f"\n1 worker at {one['rate'] / raw:.2f}x raw (target >= 0.5): {'PASS' if ok_ratio else 'FAIL'}")
        print(f"2 workers {one['span'] / max(two['span'], 1e-9):.2f}x faster than 1 (drain span "
              f"{two['span']:.2f}s vs {one['span']:.2f}s); every row scored exactly once: {'PASS' if ok_once else 'FAIL'}")
        print("(rates are rows / time from the first to the last scored_at; wall includes worker start-up)")
    finally:
        queue.flushdb()
        conn.rollback()
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.commit()
        conn.close()


if __name__ == "__main__":
    main()
