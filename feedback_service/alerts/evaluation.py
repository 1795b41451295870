"""Judging a rule: what its touchpoint's answers say over the window, and whether that fires,
holds or ends its alert.

A rule is armed or in breach; an open ``Alert`` is the breach. Every kind fires when its
figure is past the line *surely*, beyond its 95 % interval, so a handful of unlucky answers
does not page three teams; and it recovers when the figure itself is back on the right side
of the line. Between the two it holds: an alert neither flaps on noise nor outlives the
trouble. Too few answers (fewer than ``min_n``) say nothing: no alert fires, and none
recovers (a quiet night is not a fix).

- ``below_threshold``: the headline (CSAT %, CES %, NPS) over the window; fires when the
  interval's upper end is below the threshold, recovers once the headline is at or above it.
- ``drop``: the window's headline against the trailing one over the ``TRAILING_WINDOWS``
  windows before it; fires when it fell by at least the threshold (points) and the window's
  upper end is below the trailing figure, both periods with ``min_n`` answers; recovers once
  the fall is less than the threshold.
- ``negative_surge``: the share (%) of the window's scored comments that are negative; fires
  when the interval's lower end is at or above the threshold, with ``min_n`` scored comments;
  recovers once the share is below it.

Only answers on the touchpoint's current metric count toward a headline (an answer given
while it asked another question is on another scale); comments count whatever was asked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from ..analytics.figures import headline
from ..analytics.intervals import interval_for, wilson
from ..events.log import record
from ..events.payloads import alert_data
from ..extensions import db
from ..models import Alert, AlertRule, Response
from .notices import tell_teams
from .terms import TRAILING_WINDOWS

FIRED, RECOVERED, IN_BREACH, ARMED, TOO_FEW, SKIPPED = (
    "fired", "recovered", "in_breach", "armed", "too_few", "skipped")


@dataclass(frozen=True)
class Reading:
    """What a rule sees now: its figure on the threshold's scale, and how sure that is."""

    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    window_start: datetime
    enough: bool
    breached: bool
    recovered: bool
    baseline: float | None = None
    baseline_n: int | None = None


def read(rule: AlertRule, metric: str, now: datetime) -> Reading:
    """The rule's figure over its window ending ``now``: one grouped query on the touchpoint's
    (touchpoint_id, created_at) index, the drop's trailing period included."""
    window = timedelta(hours=rule.window_hours)
    start = now - window
    since = start - TRAILING_WINDOWS * window if rule.kind == "drop" else start
    answers = (select(case((Response.created_at >= start, 1), else_=0).label("recent"),
                      Response.metric, Response.score, Response.sentiment_status, Response.sentiment_label)
               .where(Response.touchpoint_id == rule.touchpoint_id, Response.created_at >= since,
                      Response.created_at <= now)
               .subquery())
    # Grouped outside, on the subquery's columns: PostgreSQL will not match a CASE with a bound
    # parameter in SELECT to the same CASE in GROUP BY.
    columns = [answers.c.recent, answers.c.metric, answers.c.score, answers.c.sentiment_status,
               answers.c.sentiment_label]
    rows = db.session.execute(select(*columns, func.count()).group_by(*columns)).all()

    recent, trailing = Counter(), Counter()
    comments = negative = 0
    for in_window, answer_metric, score, status, label, count in rows:
        if answer_metric == metric:
            (recent if in_window else trailing)[score] += count
        if in_window and status == "scored":
            comments += count
            negative += count if label == "negative" else 0

    if rule.kind == "negative_surge":
        return _surge(rule, start, comments, negative)
    if rule.kind == "drop":
        return _drop(rule, metric, start, recent, trailing)
    return _below(rule, metric, start, recent)


def _below(rule: AlertRule, metric: str, start: datetime, recent: Counter) -> Reading:
    n = sum(recent.values())
    score, ci = headline(metric, list(recent.elements())), interval_for(metric, recent)
    enough = n >= rule.min_n and score is not None
    return Reading(value=score, n=n, ci_low=ci.low if ci else None, ci_high=ci.high if ci else None,
                   window_start=start, enough=enough,
                   breached=enough and ci.high < rule.threshold,
                   recovered=enough and score >= rule.threshold)


def _drop(rule: AlertRule, metric: str, start: datetime, recent: Counter, trailing: Counter) -> Reading:
    n, baseline_n = sum(recent.values()), sum(trailing.values())
    score, ci = headline(metric, list(recent.elements())), interval_for(metric, recent)
    baseline = headline(metric, list(trailing.elements()))
    enough = n >= rule.min_n and baseline_n >= rule.min_n and score is not None and baseline is not None
    fall = round(baseline - score, 1) if enough else None
    return Reading(value=fall, n=n, ci_low=ci.low if ci else None, ci_high=ci.high if ci else None,
                   window_start=start, enough=enough, baseline=baseline, baseline_n=baseline_n,
                   breached=enough and fall >= rule.threshold and ci.high < baseline,
                   recovered=enough and fall < rule.threshold)


def _surge(rule: AlertRule, start: datetime, comments: int, negative: int) -> Reading:
    share = round(100 * negative / comments, 1) if comments else None
    ci = wilson(negative, comments)
    enough = comments >= rule.min_n and share is not None
    return Reading(value=share, n=comments, ci_low=ci.low if ci else None, ci_high=ci.high if ci else None,
                   window_start=start, enough=enough,
                   breached=enough and ci.low >= rule.threshold,
                   recovered=enough and share < rule.threshold)


def evaluate(rule: AlertRule, now: datetime) -> str:
    """Look at the rule now (the caller holds its row and its tenant): fire, end or leave its alert.

    Returns what happened: ``fired``, ``recovered``, ``in_breach`` (still), ``armed`` (still),
    ``too_few`` (answers to judge by) or ``skipped`` (its touchpoint is archived)."""
    open_alert = open_alert_of(rule.id)
    rule.evaluated_at = now
    touchpoint = rule.touchpoint
    if touchpoint.archived_at is not None:
        if open_alert is not None:
            end_alert(open_alert, now, "touchpoint_archived")
        return SKIPPED
    reading = read(rule, touchpoint.survey.metric, now)
    rule.last_value, rule.last_n = reading.value, reading.n
    if open_alert is None:
        if reading.breached:
            return FIRED if fire(rule, reading, now) is not None else IN_BREACH
        return ARMED if reading.enough else TOO_FEW
    if reading.recovered:
        end_alert(open_alert, now, "recovered", reading.value)
        return RECOVERED
    return IN_BREACH


def open_alert_of(rule_id: int) -> Alert | None:
    return db.session.scalar(select(Alert).where(Alert.rule_id == rule_id, Alert.recovered_at.is_(None)))


def fire(rule: AlertRule, reading: Reading, now: datetime) -> Alert | None:
    """The breach's alert, the teams told and ``alert.triggered`` logged; None if another
    evaluation fired it first (the open-alert index refused a second)."""
    touchpoint = rule.touchpoint
    alert = Alert(rule_id=rule.id, touchpoint_id=touchpoint.id, kind=rule.kind, metric=touchpoint.survey.metric,
                  threshold=rule.threshold, window_hours=rule.window_hours, value=reading.value, n=reading.n,
                  ci_low=reading.ci_low, ci_high=reading.ci_high, baseline=reading.baseline,
                  baseline_n=reading.baseline_n, window_start=reading.window_start, fired_at=now, notified=[])
    alert.touchpoint = touchpoint
    try:
        with db.session.begin_nested():
            db.session.add(alert)
            db.session.flush()
    except IntegrityError:
        return None
    alert.notified = tell_teams(alert, rule)
    db.session.flush()
    record("alert.triggered", alert_data(alert), organization_id=alert.organization_id)
    return alert


def end_alert(alert: Alert, now: datetime, reason: str, value: float | None = None) -> None:
    """The breach is over (``reason``: one of ``ALERT_END_REASONS``): the rule is armed again, and
    ``alert.recovered`` says so."""
    alert.recovered_at, alert.recovered_value, alert.end_reason = now, value, reason
    db.session.flush()
    record("alert.recovered", alert_data(alert), organization_id=alert.organization_id)
