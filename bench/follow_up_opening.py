#!/usr/bin/env python3
"""How fast the worker opens follow-ups for a backlog of comments, next to one at a time.

``.venv/bin/python bench/follow_up_opening.py [--rows 3000] [--rounds 3]``

Every comment gets a follow-up, and the worker opens them before it scores
anything (``collection.jobs.drain_answers``), so after a burst of answers this is
what the scoring waits behind. In one process, on PostgreSQL (a fresh schema
in ``test``, dropped at the end): for each way a touchpoint routes its
follow-ups (no team, a round-robin team of three, a least-open team of three),
``--rows`` pending comments are COPYed in, as a lost job leaves them, and opened

- by the worker's batch (``open_pending_follow_ups``, 100 a batch), and
- one at a time (``follow_ups.open_for_response`` and a flush each, a commit
  every 100): the baseline, what a batch cost before it was written in passes.

Each prints follow-ups per second and CPU per follow-up (``time.process_time``:
this process's Python and driver, not PostgreSQL's), the median of the rounds.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
COMMENTS = ["The courier left it at the wrong door.", "Waited forty minutes on the phone.",
            "Checkout kept rejecting my card.", "The size guide was wrong, had to return them."]


def load_backlog(conn: psycopg.Connection, schema: str, touchpoint_id: int, rows: int) -> None:
    with conn.cursor() as cur:
        cur.execute(f'SET search_path TO "{schema}"')
        for table in ("event", "outbound_email", "follow_up_activity", "follow_up", "response"):
            cur.execute(f"DELETE FROM {table}")
        cur.execute("SELECT organization_id, current_survey_version_id FROM touchpoint WHERE id = %s",
                    (touchpoint_id,))
        org, version = cur.fetchone()
        with cur.copy("COPY response (organization_id, touchpoint_id, survey_version_id, metric, score, comment, "
                      "context, source, sentiment_status, follow_up_pending, created_at, updated_at) "
                      "FROM STDIN") as copy:
            for i in range(rows):
                copy.write_row((org, touchpoint_id, version, "csat", 2, f"{COMMENTS[i % 4]} ({i})", "{}",
                                "widget", "skipped", True, "now()", "now()"))
        cur.execute("ANALYZE response")
    conn.commit()


def one_at_a_time() -> int:
    from sqlalchemy import select

    from feedback_service.core.database import commit
    from feedback_service.core.tenancy import tenant_scope
    from feedback_service.extensions import db
    from feedback_service.loop import opening
    from feedback_service.models import Response

    opened = 0
    while True:
        batch = db.session.scalars(select(Response).where(Response.follow_up_pending.is_(True))
                                   .order_by(Response.id).limit(100)).all()
        if not batch:
            commit()
            return opened
        for response in batch:
            with tenant_scope(response.organization_id):
                opening.open_for_response(response)
                db.session.flush()
            opened += 1
        commit()


def batched() -> int:
    from feedback_service.loop.opening import OPENING_BATCH as FOLLOW_UP_BATCH
    from feedback_service.loop.opening import open_pending as open_pending_follow_ups

    opened = 0
    while (n := open_pending_follow_ups()) > 0:
        opened += n
        if n < FOLLOW_UP_BATCH:
            break
    return opened


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--pg-url", default=DEFAULT_PG)
    args = p.parse_args()
    if not (100 <= args.rows <= 100_000 and 1 <= args.rounds <= 9):
        p.error("--rows must be in [100, 100000] and --rounds in [1, 9]")

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    os.environ.pop("REDIS_URL", None)  # in process: nothing else is queued
    os.environ.update({"DATABASE_URL": f"{args.pg_url}?options=-csearch_path%3D{schema}",
                       "SECRET_KEY": secrets.token_urlsafe(32)})
    try:
        return run(args, schema)
    finally:
        with psycopg.connect(args.pg_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def run(args, schema: str) -> int:
    import logging

    from flask_migrate import upgrade

    from feedback_service import create_app
    from feedback_service.accounts import organizations, staff
    from feedback_service.core.database import commit
    from feedback_service.core.tenancy import tenant_scope
    from feedback_service.extensions import db
    from feedback_service.journeys import ordering as journeys
    from feedback_service.journeys import touchpoints

    logging.disable(logging.INFO)  # a line per batch would be most of the output
    app = create_app()
    with app.app_context():
        upgrade()
        org = organizations.create_organization("Bench", "bench@example.com", "correct-horse-battery")
        commit()
        with tenant_scope(org.organization.id):
            journey = journeys.create_journey(name="Bench")
            routes = {"no team": None}
            for assignment in ("round_robin", "least_open"):
                members = [staff.create_user(email=f"{assignment}{i}@example.com", name=f"Agent {i}")
                           for i in range(3)]
                routes[assignment.replace("_", "-") + " team of 3"] = staff.create_team(
                    name=assignment, assignment=assignment, member_ids=[m.id for m in members]).id
            touchpoint_of = {label: touchpoints.create_touchpoint(journey_id=journey.id, name=label,
                                                                  team_id=team_id).id
                             for label, team_id in routes.items()}
            commit()
        db.session.remove()

    print(f"\nOpening follow-ups: {args.rows:,} pending comments, PostgreSQL, median of {args.rounds} rounds, "
          f"load average {os.getloadavg()[0]:.2f}\n")
    print(f"{'':28}{'batched /s':>12}{'CPU ms each':>13}{'one at a time /s':>18}{'CPU ms each':>13}{'gain':>7}")
    with psycopg.connect(args.pg_url) as conn:
        for label, touchpoint_id in touchpoint_of.items():
            figures = {}
            for name, opener in (("batched", batched), ("one", one_at_a_time)):
                rates, cpus = [], []
                for _ in range(args.rounds):
                    load_backlog(conn, schema, touchpoint_id, args.rows)
                    with app.app_context():
                        wall, cpu = time.perf_counter(), time.process_time()
                        opened = opener()
                        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                        db.session.remove()
                    if opened != args.rows:
                        raise SystemExit(f"{label}, {name}: opened {opened} follow-ups of {args.rows}")
                    rates.append(opened / wall)
                    cpus.append(cpu / opened * 1000)
                figures[name] = (statistics.median(rates), statistics.median(cpus))
            (rate, cpu), (base_rate, base_cpu) = figures["batched"], figures["one"]
            print(f"{label:28}{rate:12,.0f}{cpu:13.2f}{base_rate:18,.0f}{base_cpu:13.2f}{rate / base_rate:6.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
