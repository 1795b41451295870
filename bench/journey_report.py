#!/usr/bin/env python3
"""The journey report and a touchpoint's 12-month weekly series, at 10,000 and 1,000,000 answers.

``.venv/bin/python bench/journey_report.py [--sizes 10000,1000000] [--repeat 15]``

For each size, a fresh PostgreSQL schema gets one organisation, a journey of ten
touchpoints and that many answers over the past year, COPYed in, from customers who
walk a few consecutive stations each (so there are transitions to find); a third
of the answers carry a scored comment. The rollups are then counted by
``rollups rebuild``'s code (answers, then customers' steps), with progress bars.

Timed warm (after three unmeasured calls), median of ``--repeat``:
- the journey report over its default 90 days, with transitions and consistency,
  and its parts (histograms from the rollups, consistency, transitions from the steps);
- ``GET …/metrics`` figures for one touchpoint over 12 months, weekly;
- beside them, the raw query the rollups replace: the same 90-day histogram,
  grouped from the answers themselves.

Targets (issue 15): report < 200 ms at 1M and within 3x of its time at 10k; the
weekly series < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
STATIONS = [("Advertisement", "social", "csat"), ("Browse the shop", "web", "ces"), ("Product page", "web", "csat"),
            ("Cart & checkout", "web", "ces"), ("Payment", "web", "csat"), ("Contact support", "phone", "csat"),
            ("Order confirmation", "email", "csat"), ("Delivery", "email", "csat"), ("Unboxing", "app", "nps"),
            ("Returns", "web", "nps")]
SCALES = {"csat": (1, 5), "ces": (1, 7), "nps": (0, 10)}
COMMENTS = ["Great, thanks!", "The free shipping code never worked.", "Waited 20 minutes on hold.",
            "Fine.", "The box was crushed.", "Easy and quick."]


def _schema_url(base: str, schema: str) -> str:
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}?options=-csearch_path%3D{schema}"


def _answers(n: int, touchpoints: list[tuple[int, int, str]], now: datetime, rng: random.Random):
    """(touchpoint, version, metric, customer index, score, comment, created_at) rows: customers walking
    one to four consecutive stations, a few days apart, over the past year."""
    made, customer = 0, 0
    while made < n:
        customer += 1
        start = rng.randrange(len(touchpoints))
        at = now - timedelta(days=rng.uniform(0, 365))
        mood = rng.random()
        for step in range(rng.randint(1, 4)):
            if start + step >= len(touchpoints) or made >= n or at > now:
                break
            touchpoint_id, version_id, metric = touchpoints[start + step]
            low, high = SCALES[metric]
            score = round(low + (high - low) * min(1.0, max(0.0, rng.gauss(mood, 0.25))))
            comment = rng.choice(COMMENTS) if rng.random() < 0.33 else None
            yield touchpoint_id, version_id, metric, customer, score, comment, at
            made += 1
            at += timedelta(days=rng.uniform(0.1, 6))


def seed(app, n: int, pg_url: str, schema: str) -> tuple[int, int, int]:
    """Returns (organization id, journey id, the checkout touchpoint's id)."""
    from feedback_service.accounts.organizations import create_organization
    from feedback_service.core.database import commit
    from feedback_service.core.tenancy import tenant_scope
    from feedback_service.extensions import db
    from feedback_service.journeys import ordering, touchpoints
    from feedback_service.rollups import steps
    from feedback_service.rollups.rebuild import rebuild

    with app.app_context():
        org = create_organization("Bench", f"bench-{uuid.uuid4().hex[:6]}@example.com", "bench-password-1").organization
        commit()
        with tenant_scope(org.id):
            journey = ordering.create_journey(name="Buying shoes online")
            made = [touchpoints.create_touchpoint(journey_id=journey.id, name=name, channel=channel,
                                                  survey={"metric": metric}) for name, channel, metric in STATIONS]
            db.session.flush()
            ids = [(t.id, t.survey.id, t.survey.metric) for t in made]
            org_id, journey_id = org.id, journey.id
            commit()
    now = datetime.now(UTC)
    rng = random.Random(n)
    rows = list(_answers(n, ids, now, rng))
    customers = max(r[3] for r in rows)
    with psycopg.connect(pg_url, options=f"-csearch_path={schema}") as conn, conn.cursor() as cur:
        with cur.copy("COPY customer (id, organization_id, external_id, first_seen_at, last_seen_at) FROM STDIN") as copy:
            for i in range(1, customers + 1):
                copy.write_row((i, org_id, f"c{i}", now, now))
        cur.execute("SELECT setval('customer_id_seq', %s)", (customers,))
        columns = ("organization_id, touchpoint_id, survey_version_id, customer_id, metric, score, comment, context, "
                   "source, follow_up_pending, sentiment_status, sentiment_label, sentiment_compound, created_at, "
                   "updated_at")
        with click.progressbar(rows, label=f"COPY {n:,} answers", file=sys.stderr) as bar, \
                cur.copy(f"COPY response ({columns}) FROM STDIN") as copy:
            for touchpoint_id, version_id, metric, customer, score, comment, at in bar:
                label = (("positive", 0.6), ("neutral", 0.0), ("negative", -0.6))[score % 3] if comment else (None, None)
                copy.write_row((org_id, touchpoint_id, version_id, customer, metric, score, comment, "{}", "widget",
                                False, "scored" if comment else "skipped", label[0], label[1], at, at))
        conn.commit()
        cur.execute("ANALYZE")
    with app.app_context():
        with click.progressbar(length=n, label="Counting the rollups", file=sys.stderr) as bar:
            rebuild(org_id, progress=bar.update)
        with click.progressbar(length=customers, label="Following the customers' steps", file=sys.stderr) as bar:
            steps.rebuild(org_id, progress=bar.update)
    return org_id, journey_id, ids[3][0]


def timed(fn, repeat: int) -> float:
    for _ in range(3):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def measure(n: int, base_url: str, repeat: int) -> dict:
    from sqlalchemy import func, select

    from feedback_service import create_app
    from feedback_service.analytics.consistency import consistency
    from feedback_service.analytics.figures import score_histograms
    from feedback_service.analytics.journey_report import journey_report
    from feedback_service.analytics.touchpoint_metrics import touchpoint_metrics
    from feedback_service.analytics.transitions import transitions
    from feedback_service.core.tenancy import tenant_scope
    from feedback_service.extensions import db
    from feedback_service.models import Response, Touchpoint

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": _schema_url(base_url, schema), "REDIS_URL": None,
                          "SECRET_KEY": "bench", "TESTING": False})
        with app.app_context():
            from flask_migrate import upgrade
            upgrade(directory=str(ROOT / "migrations"))
        org_id, journey_id, checkout_id = seed(app, n, base_url, schema)
        results = {}
        with app.app_context(), tenant_scope(org_id):
            now = datetime.now(UTC)
            since = now - timedelta(days=90)
            stations = db.session.scalars(select(Touchpoint).where(Touchpoint.journey_id == journey_id)
                                          .order_by(Touchpoint.position)).all()
            ids = [t.id for t in stations]
            results["report"] = timed(lambda: journey_report(journey_id), repeat)
            results["histograms"] = timed(lambda: score_histograms(ids, since, now), repeat)
            results["consistency"] = timed(lambda: consistency(stations, since, now), repeat)
            results["transitions"] = timed(lambda: transitions(stations, since, now), repeat)
            results["series"] = timed(lambda: touchpoint_metrics(checkout_id, since=now - timedelta(days=365),
                                                                 interval="week"), repeat)
            raw = (select(Response.touchpoint_id, Response.metric, Response.score, func.count())
                   .where(Response.touchpoint_id.in_(ids), Response.created_at >= since, Response.created_at <= now)
                   .group_by(Response.touchpoint_id, Response.metric, Response.score))
            results["raw histograms"] = timed(lambda: db.session.execute(raw).all(), repeat)
            db.session.rollback()
        return results
    finally:
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    found = {n: measure(n, args.pg, args.repeat) for n in sizes}
    rows = list(next(iter(found.values())))
    print()
    print("ms, warm median of", args.repeat, "| " + " | ".join(f"{n:,} answers" for n in sizes)
          + (" | ratio" if len(sizes) == 2 else ""))
    for name in rows:
        figures = [found[n][name] for n in sizes]
        ratio = f" | {figures[1] / figures[0]:.2f}x" if len(sizes) == 2 else ""
        print(f"{name:<22} | " + " | ".join(f"{f:8.1f}" for f in figures) + ratio)
    if len(sizes) == 2:
        big = found[sizes[1]]
        print()
        print(f"report < 200 ms at {sizes[1]:,}: {'PASS' if big['report'] < 200 else 'FAIL'} ({big['report']:.1f} ms)")
        ratio = big["report"] / found[sizes[0]]["report"]
        print(f"report within 3x of {sizes[0]:,}: {'PASS' if ratio <= 3 else 'FAIL'} ({ratio:.2f}x)")
        print(f"weekly series < 100 ms: {'PASS' if big['series'] < 100 else 'FAIL'} ({big['series']:.1f} ms)")


if __name__ == "__main__":
    main()
