"""Steps: each customer's moves from one touchpoint to the next, kept for the transitions.

A step is two answers of one customer in a row: x, then their very next answer y at
another touchpoint, within ``ANALYTICS_TRANSITION_DAYS``. Its change is y − x on the 0–1
scale every metric shares; it ``contacted_support`` when the customer answered at a phone
or chat touchpoint (other than x's and y's) within the same days after x. A step belongs
to the UTC day of x.

Steps do not depend on the journey's order: a report picks the steps between its
consecutive stations. They are kept by the worker, exactly once: a customer's steps are
computed again from all of their answers and replace the old ones, with the change to
``step_rollup`` (per pair of touchpoints and day) applied in the same transaction, while
the customer's row is locked, so two workers on one customer take turns and a second run
changes nothing. The sweep finds customers whose answers changed since its last pass
(``Response.updated_at``, looking back ``SYNC_SETTLE_SECONDS`` for transactions that
committed late).

What the sweep cannot see needs ``refresh_customers`` (or ``rollups rebuild``): answers
removed (their customer's steps must be followed again without them), answers written with
an ``updated_at`` in the past (the demo, a bulk load), a touchpoint's channel moved to or
from phone or chat, and a change of ``ANALYTICS_TRANSITION_DAYS``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, func, insert, select, update

from ..core.database import DIALECT_INSERTS, for_this_database
from ..extensions import db
from ..journeys.surveys import METRICS
from ..models import Customer, CustomerStep, Organization, Response, StepRollup, SweepMark, Touchpoint, utcnow

SUPPORT_CHANNELS = ("phone", "chat")
# Customers whose steps one transaction computes again, and one pass of the sweep at most.
BATCH = 500
SWEEP_LIMIT = 20_000
MARK = "customer_steps"


def normalised(metric: str, score: int) -> float:
    """A score on the 0–1 scale every metric shares: its lowest answer 0, its highest 1."""
    scale = METRICS[metric]
    return (score - scale.low) / (scale.high - scale.low)


@dataclass(frozen=True)
class Step:
    organization_id: int
    customer_id: int
    from_response_id: int
    to_response_id: int
    from_touchpoint_id: int
    to_touchpoint_id: int
    day: date
    change: float
    worse: bool
    contacted_support: bool


def steps_of(answers: list, support: set[int], window: timedelta) -> list[Step]:
    """One customer's steps, from their answers (in time order) and the support touchpoints."""
    found = []
    for i, x in enumerate(answers[:-1]):
        y = answers[i + 1]
        if y.touchpoint_id == x.touchpoint_id or y.created_at - x.created_at > window:
            continue
        change = round(normalised(y.metric, y.score) - normalised(x.metric, x.score), 6)
        called = any(a.touchpoint_id in support and a.touchpoint_id not in (x.touchpoint_id, y.touchpoint_id)
                     and x.created_at < a.created_at <= x.created_at + window for a in answers[i + 1:])
        found.append(Step(x.organization_id, x.customer_id, x.id, y.id, x.touchpoint_id, y.touchpoint_id,
                          x.created_at.astimezone(UTC).date(), change, change < 0, called))
    return found


def refresh_customers(customer_ids: Iterable[int]) -> int:
    """Compute these customers' steps again from their answers and replace the stored ones, with
    the difference applied to the rollup; in the caller's transaction. Returns the steps now."""
    ids = sorted(set(customer_ids))
    if not ids:
        return 0
    # Their rows, locked in id order: a second worker on the same customers waits, then finds
    # the steps this one stored and changes nothing.
    db.session.execute(select(Customer.id).where(Customer.id.in_(ids)).order_by(Customer.id).with_for_update())
    window = timedelta(days=int(current_app.config["ANALYTICS_TRANSITION_DAYS"]))
    answers = db.session.execute(
        select(Response.id, Response.organization_id, Response.customer_id, Response.touchpoint_id,
               Response.created_at, Response.metric, Response.score)
        .where(Response.customer_id.in_(ids)).order_by(Response.customer_id, Response.created_at, Response.id)
    ).all()
    support = set(db.session.scalars(select(Touchpoint.id).where(
        Touchpoint.id.in_({a.touchpoint_id for a in answers}), Touchpoint.channel.in_(SUPPORT_CHANNELS))))
    by_customer: dict[int, list] = defaultdict(list)
    for answer in answers:
        by_customer[answer.customer_id].append(answer)
    new = [step for walk in by_customer.values() for step in steps_of(walk, support, window)]
    old = db.session.scalars(select(CustomerStep).where(CustomerStep.customer_id.in_(ids))).all()
    if _key_set(old) == _key_set(new):
        return len(new)  # nothing moved: no writes
    deltas = _totals(new)
    for key, values in _totals(old).items():
        deltas[key] = [a - b for a, b in zip(deltas.get(key, [0, 0.0, 0, 0]), values, strict=True)]
    db.session.execute(delete(CustomerStep).where(CustomerStep.customer_id.in_(ids)))
    if new:
        db.session.execute(insert(CustomerStep), [step.__dict__ for step in new])
    _apply(deltas)
    return len(new)


def _key_set(steps) -> set[tuple]:
    return {(s.from_response_id, s.to_response_id, s.from_touchpoint_id, s.to_touchpoint_id, s.day, s.change,
             s.worse, s.contacted_support) for s in steps}


def _totals(steps) -> dict[tuple, list]:
    totals: dict[tuple, list] = {}
    for s in steps:
        row = totals.setdefault((s.organization_id, s.from_touchpoint_id, s.to_touchpoint_id, s.day), [0, 0.0, 0, 0])
        row[0] += 1
        row[1] += s.change
        row[2] += int(s.worse)
        row[3] += int(s.contacted_support)
    return totals


_rollup = StepRollup.__table__
_UPSERT = {
    dialect: (statement := insert_for(_rollup).values(
        {column.key: bindparam(column.key, type_=column.type) for column in _rollup.c}))
    .on_conflict_do_update(index_elements=list(_rollup.primary_key.columns), set_={
        name: _rollup.c[name] + statement.excluded[name] for name in ("steps", "change_sum", "worse",
                                                                    "contacted_support")})
    for dialect, insert_for in DIALECT_INSERTS.items()
}


def _apply(deltas: dict[tuple, list]) -> None:
    changes = sorted((key, values) for key, values in deltas.items() if any(values))
    if changes:
        db.session.execute(for_this_database(_UPSERT), [
            {"organization_id": org, "from_touchpoint_id": a, "to_touchpoint_id": b, "day": day, "steps": n,
             "change_sum": change, "worse": worse, "contacted_support": called}
            for (org, a, b, day), (n, change, worse, called) in changes])


def changed_customers(since: datetime, limit: int) -> list[tuple[int, datetime]]:
    """Up to ``limit`` customers with an answer written after ``since`` (every organisation's,
    each through its (organization_id, updated_at) index), with their latest such write, the
    least recent first."""
    found = []
    for organization_id in db.session.scalars(select(Organization.id)):
        latest = func.max(Response.updated_at)
        found += db.session.execute(
            select(Response.customer_id, latest)
            .where(Response.organization_id == organization_id, Response.updated_at > since,
                   Response.customer_id.is_not(None))
            .group_by(Response.customer_id).order_by(latest, Response.customer_id).limit(limit)).all()
    return sorted(((customer_id, at) for customer_id, at in found), key=lambda row: (row[1], row[0]))[:limit]


def sweep(limit: int = SWEEP_LIMIT) -> int:
    """Bring the steps of the customers whose answers changed since the last pass up to date,
    at most ``limit`` of them, the least recently changed first; returns how many it looked at.

    The mark moves after each batch, to the latest change that batch covered, so a pass cut
    short (a worker stopped, a job timed out) goes on from there; a first pass over a large
    database takes several. Safe to run twice, or in two workers at once.
    """
    started = utcnow()
    mark = db.session.get(SweepMark, MARK)
    # Transactions still open at the last pass commit later with earlier stamps: look back.
    settle = timedelta(seconds=float(current_app.config["SYNC_SETTLE_SECONDS"]))
    since = (mark.at - settle) if mark else datetime.min.replace(tzinfo=UTC)
    changed = changed_customers(since, limit)
    db.session.rollback()
    for start in range(0, len(changed), BATCH):
        batch = changed[start:start + BATCH]
        refresh_customers([customer_id for customer_id, _ in batch])
        db.session.commit()
        _advance(batch[-1][1])
    if len(changed) < limit:
        _advance(started)  # every change up to the start of this pass is followed
    return len(changed)


_MARK_INSERT = {dialect: insert_for(SweepMark.__table__).on_conflict_do_nothing(index_elements=["name"])
                for dialect, insert_for in DIALECT_INSERTS.items()}


def _advance(at: datetime) -> None:
    """Move the mark forward to ``at`` (never back: another worker's pass may be further on)."""
    db.session.execute(for_this_database(_MARK_INSERT), {"name": MARK, "at": at})
    db.session.execute(update(SweepMark).where(SweepMark.name == MARK, SweepMark.at < at).values(at=at))
    db.session.commit()


def rebuild(organization_id: int | None = None, progress: Callable[[int], None] | None = None) -> int:
    """Compute every customer's steps again (or one organisation's); ``progress`` hears each batch."""
    query = select(Customer.id).order_by(Customer.id)
    if organization_id is not None:
        query = query.where(Customer.organization_id == organization_id)
    customers = list(db.session.scalars(query))
    db.session.rollback()
    total = 0
    for start in range(0, len(customers), BATCH):
        batch = customers[start:start + BATCH]
        total += refresh_customers(batch)
        db.session.commit()
        if progress:
            progress(len(batch))
    return total


def step_totals(touchpoint_ids: list[int], first_day: date, last_day: date) -> dict[tuple[int, int], tuple]:
    """``{(from, to): (steps, change_sum, worse, contacted_support)}`` for steps from these
    touchpoints on days [first_day, last_day]."""
    if not touchpoint_ids:
        return {}
    rows = db.session.execute(
        select(StepRollup.from_touchpoint_id, StepRollup.to_touchpoint_id, func.sum(StepRollup.steps),
               func.sum(StepRollup.change_sum), func.sum(StepRollup.worse), func.sum(StepRollup.contacted_support))
        .where(StepRollup.from_touchpoint_id.in_(touchpoint_ids), StepRollup.day >= first_day,
               StepRollup.day <= last_day)
        .group_by(StepRollup.from_touchpoint_id, StepRollup.to_touchpoint_id))
    return {(a, b): (int(n or 0), float(change or 0), int(worse or 0), int(called or 0))
            for a, b, n, change, worse, called in rows}


