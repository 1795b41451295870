"""How fast does a worker drain a backlog of comments, next to raw VADER?

One run, one machine, the same 20,000 comments, in rounds of:

1. raw ``polarity_scores`` in a loop on one core: the ceiling;
2. one ``flask worker --burst`` draining 20,000 pending rows on PostgreSQL
   end to end (claim, score, write back with their events, commit);
3. raw VADER again;
4. two workers on the same backlog: sooner, and no row scored twice;
5. raw VADER again.

A drain runs from the first row scored (its ``scored_at``, stamped when that
batch was claimed) to the last batch's commit (its worker's "scored a batch"
log line, written after the commit). Worker start-up is left out, as building
the analyzer is left out of the raw loop. Each drain is compared with the raw
rate measured just before and just after it, so other load on the machine
weighs on both figures alike; the verdicts use the median round.

Target (issue 4): step 2 at >= 0.5x raw.

    .venv/bin/python bench/sentiment_drain.py [--rows 20000] [--rounds 3] [--follow-ups]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql://postgres@127.0.0.1:5432/test"
# Not 13 or 15, which test runs use: this bench flushes its db.
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
BATCH_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*scored a batch of (\d+) responses", re.M)


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


def load_backlog(conn: psycopg.Connection, schema: str, texts: list[str], follow_ups: bool) -> None:
    """The comments, pending; with ``follow_ups``, each with the open follow-up a submission opens."""
    from feedback_service.loop.priority import priority_for

    rng = random.Random(7)
    scores = [rng.randint(1, 5) for _ in texts] if follow_ups else [3] * len(texts)
    # A fresh backlog, as Redis losing its data leaves one: answers of the last minutes, their
    # follow-ups not yet due (overdue ones would have the worker's start-up sweep escalate them all).
    created = datetime.now(UTC) - timedelta(minutes=5)
    due = created + timedelta(days=3)
    with conn.cursor() as cur:
        cur.execute(f'SET search_path TO "{schema}"')
        cur.execute("SELECT organization_id, id, current_survey_version_id FROM touchpoint LIMIT 1")
        org, touchpoint, version = cur.fetchone()
        cur.execute("DELETE FROM event")
        cur.execute("DELETE FROM follow_up_activity")
        cur.execute("DELETE FROM follow_up")
        cur.execute("DELETE FROM response")
        with cur.copy("COPY response (organization_id, touchpoint_id, survey_version_id, metric, score, comment, "
                      "context, source, sentiment_status, created_at, updated_at) FROM STDIN") as copy:
            for text, score in zip(texts, scores, strict=True):
                copy.write_row((org, touchpoint, version, "csat", score, text, "{}", "widget", "pending",
                                created, created))
        if follow_ups:
            cur.execute("SELECT id, score FROM response ORDER BY id")
            rows = cur.fetchall()
            with cur.copy("COPY follow_up (organization_id, response_id, touchpoint_id, status, priority, due_at, "
                          "version, created_at, updated_at) FROM STDIN") as copy:
                for rid, score in rows:
                    unscored = SimpleNamespace(metric="csat", score=score, sentiment_status="pending",
                                               sentiment_compound=None)
                    copy.write_row((org, rid, touchpoint, "new", priority_for(unscored),
                                    due, 1, created, created))
        # What autovacuum would do to tables that just grew by 20,000 rows; the test server runs
        # without it. With no statistics at all the planner guesses a handful of pending rows.
        cur.execute("ANALYZE response")
        cur.execute("ANALYZE follow_up")
    conn.commit()


def drain(env: dict, workers: int, conn: psycopg.Connection, schema: str, rows: int) -> dict:
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(workers)]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    wall = time.perf_counter() - started
    if any(p.returncode for p in procs):
        raise SystemExit("a worker failed:\n" + "\n".join(outputs))
    with conn.cursor() as cur:
        cur.execute(f'SET search_path TO "{schema}"')
        cur.execute("SELECT count(*) FILTER (WHERE sentiment_status = 'scored'), "
                    "count(*) FILTER (WHERE sentiment_status = 'pending'), extract(epoch FROM min(scored_at)), "
                    "(SELECT count(*) FROM event WHERE type = 'response.scored'), "
                    "(SELECT count(DISTINCT (data -> 'response' ->> 'id')) FROM event WHERE type = 'response.scored') "
                    "FROM response")
        scored, pending, first, events, evented = cur.fetchone()
    conn.commit()
    batches = [(datetime.strptime(at, "%Y-%m-%d %H:%M:%S,%f").timestamp(), int(n))
               for out in outputs for at, n in BATCH_LINE.findall(out)]
    if not batches:
        raise SystemExit("no 'scored a batch' lines in the workers' output:\n" + "\n".join(outputs))
    span = max(at for at, _ in batches) - float(first)
    return {"wall": wall, "span": span, "rate": rows / span, "scored": scored, "pending": pending,
            "writes": sum(n for _, n in batches), "events": events, "evented": evented}


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of raw / 1 worker / raw / 2 workers / raw")
    parser.add_argument("--follow-ups", action="store_true",
                        help="every comment has an open follow-up (as submissions open), so scoring recomputes "
                             "their priorities")
    args = parser.parse_args()
    texts = comments(args.rows)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    conn = psycopg.connect(PG, autocommit=False)
    conn.execute(f'CREATE SCHEMA "{schema}"')
    conn.commit()
    env = env_for(schema)
    queue = redis.Redis.from_url(REDIS_URL)
    load_before = loadavg()
    try:
        flask(env, "db", "upgrade")
        flask(env, "create-org", "Bench", "--admin-email", "bench@example.com")
        from feedback_service import create_app
        from feedback_service.core.database import commit
        from feedback_service.core.tenancy import tenant_scope
        from feedback_service.journeys import ordering as journeys
        from feedback_service.journeys import touchpoints

        app = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "SECRET_KEY": "bench"})
        with app.app_context(), tenant_scope(1):
            journey = journeys.create_journey(name="Bench")
            touchpoints.create_touchpoint(journey_id=journey.id, name="Checkout")
            commit()

        rounds = []
        for _ in range(args.rounds):
            before = raw_rate(texts)
            queue.flushdb()
            load_backlog(conn, schema, texts, args.follow_ups)
            one = drain(env, 1, conn, schema, args.rows)
            between = raw_rate(texts)
            queue.flushdb()
            load_backlog(conn, schema, texts, args.follow_ups)
            two = drain(env, 2, conn, schema, args.rows)
            after = raw_rate(texts)
            one["raw"], two["raw"] = (before + between) / 2, (between + after) / 2
            rounds.append((one, two))

        print(f"\nSentiment drain, {args.rows:,} comments{' with open follow-ups' if args.follow_ups else ''}, "
              f"PostgreSQL, {os.cpu_count()} cores, load average before {load_before}, after {loadavg()}\n")
        print(f"{'':30}{'raw VADER/s':>12}{'drain/s':>10}{'x raw':>7}{'span s':>8}{'wall s':>8}"
              f"{'scored':>8}{'writes':>8}{'events':>8}")
        for n, (one, two) in enumerate(rounds, 1):
            for label, run in ((f"round {n}: 1 worker", one), (f"round {n}: 2 workers", two)):
                print(f"{label:30}{run['raw']:12,.0f}{run['rate']:10,.0f}{run['rate'] / run['raw']:7.2f}"
                      f"{run['span']:8.2f}{run['wall']:8.2f}{run['scored']:8}{run['writes']:8}{run['events']:8}")
        ratio = statistics.median(one["rate"] / one["raw"] for one, _ in rounds)
        speedup = statistics.median(one["span"] / two["span"] for one, two in rounds)
        raw = statistics.median(one["raw"] for one, _ in rounds)
        rate = statistics.median(one["rate"] for one, _ in rounds)
        ok_ratio = ratio >= 0.5
        ok_once = all(run["scored"] == args.rows and run["pending"] == 0 and run["writes"] == args.rows
                      and run["events"] == args.rows and run["evented"] == args.rows
                      for pair in rounds for run in pair)
        print(f"\nmedian: raw VADER {raw:,.0f}/s, 1 worker {rate:,.0f}/s")
        print(f"1 worker at {ratio:.2f}x raw (target >= 0.5): {'PASS' if ok_ratio else 'FAIL'}")
        print(f"2 workers {speedup:.2f}x as fast as 1: {'PASS' if speedup > 1 else 'FAIL'}")
        print(f"every row scored exactly once, one event each: {'PASS' if ok_once else 'FAIL'}")
        print("(span: first scored_at to the last batch's commit; wall adds worker start-up and exit)")
    finally:
        queue.flushdb()
        conn.rollback()
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.commit()
        conn.close()


if __name__ == "__main__":
    main()
