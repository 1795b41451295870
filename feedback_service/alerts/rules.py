"""Alert rules and the alerts they fired: what staff and the API manage and list.

A new or changed rule is looked at once its transaction commits (``jobs.evaluate_alert_rule``),
so its state shows at once instead of at the next sweep. Disabling or deleting a rule ends
its open alert (``end_reason`` says why): nobody watches that breach any more, and the
alert stays in the history either way. Changing its kind or touchpoint ends it too (the
alert was about another figure); changing its threshold, window or ``min_n`` does not: the
next look judges the breach by the new terms, and recovers it if they are met.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..analytics.figures import THRESHOLDS
from ..core.errors import Invalid
from ..core.jobs import PendingJob, after_commit
from ..core.lookup import get_or_404, resolve_reference
from ..core.pagination import NumberedPage, Page, numbered, paginate
from ..extensions import db
from ..models import ALERT_KINDS, Alert, AlertRule, Touchpoint, utcnow
from .evaluation import end_alert, open_alert_of
from .jobs import evaluate_alert_rule
from .terms import MAX_MIN_N, MAX_WINDOW_HOURS, threshold_problem
from .wording import describe

ALERTS_PAGE_SIZE = 50
TERMS = ("threshold", "window_hours", "min_n")


def _checked(kind: str, touchpoint: Touchpoint, threshold: float, window_hours: int, min_n: int) -> None:
    """The rule's terms against its kind and its touchpoint's metric; 422 naming the field."""
    if kind not in ALERT_KINDS:
        raise Invalid("kind", f"Use one of {', '.join(ALERT_KINDS)}.")
    problem = threshold_problem(kind, touchpoint.survey.metric, threshold)
    if problem:
        raise Invalid("threshold", problem)
    if not 1 <= window_hours <= MAX_WINDOW_HOURS:
        raise Invalid("window_hours", f"Between 1 and {MAX_WINDOW_HOURS} hours (90 days).")
    if not 1 <= min_n <= MAX_MIN_N:
        raise Invalid("min_n", f"At least 1 answer (and at most {MAX_MIN_N}).")


def _look_soon(rule: AlertRule) -> None:
    rule.evaluated_at = None  # due at the next sweep, should the job below not run
    db.session.flush()
    after_commit(PendingJob(evaluate_alert_rule, (rule.id,), job_id=f"alert-rule-{rule.id}", result_ttl=0))


def create_rule(*, touchpoint_id: int, kind: str, threshold: float, window_hours: int, min_n: int,
                enabled: bool = True) -> AlertRule:
    """A rule on one of the tenant's touchpoints (422 naming ``touchpoint_id`` if not ours)."""
    touchpoint = resolve_reference(Touchpoint, touchpoint_id, "touchpoint_id")
    _checked(kind, touchpoint, threshold, window_hours, min_n)
    rule = AlertRule(touchpoint=touchpoint, kind=kind, threshold=float(threshold), window_hours=window_hours,
                     min_n=min_n, enabled=enabled)
    db.session.add(rule)
    db.session.flush()
    if enabled:
        _look_soon(rule)
    return rule


def get_rule(rule_id: int) -> AlertRule:
    return get_or_404(AlertRule, rule_id, what="alert rule")


def list_rules(*, touchpoint_id: int | None = None, enabled: bool | None = None, limit: int | None = None,
               cursor: str | None = None) -> Page:
    query = select(AlertRule).options(selectinload(AlertRule.open_alert))
    if touchpoint_id is not None:
        query = query.where(AlertRule.touchpoint_id == touchpoint_id)
    if enabled is not None:
        query = query.where(AlertRule.enabled.is_(enabled))
    return paginate(query, [(AlertRule.id, int)], descending=False, limit=limit, cursor=cursor)


def _locked_rule(rule_id: int) -> AlertRule:
    """The rule, its row locked and read again: an evaluation under way (which holds the rows it
    judges) finishes first, so an alert it fires is seen here and ended with the change."""
    get_rule(rule_id)  # 404 unless it is the tenant's
    return db.session.execute(select(AlertRule).where(AlertRule.id == rule_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()


def update_rule(rule_id: int, changes: dict) -> AlertRule:
    rule = _locked_rule(rule_id)
    touchpoint = rule.touchpoint
    if "touchpoint_id" in changes:
        touchpoint = resolve_reference(Touchpoint, changes["touchpoint_id"], "touchpoint_id")
    kind = changes.get("kind", rule.kind)
    terms = {field: changes.get(field, getattr(rule, field)) for field in TERMS}
    # Judged again only when what they are judged against changes: switching off a rule whose
    # touchpoint has since moved to another metric must not fail on the old threshold.
    if {"touchpoint_id", "kind", *TERMS} & set(changes):
        _checked(kind, touchpoint, **terms)
    now = utcnow()
    refocused = touchpoint.id != rule.touchpoint_id or kind != rule.kind
    open_alert = open_alert_of(rule.id)
    if open_alert is not None and refocused:
        end_alert(open_alert, now, "rule_changed")
    enabled = changes.get("enabled", rule.enabled)
    if open_alert is not None and not enabled and open_alert.recovered_at is None:
        end_alert(open_alert, now, "rule_disabled")
    changed = refocused or any(terms[field] != getattr(rule, field) for field in TERMS) or enabled != rule.enabled
    rule.touchpoint, rule.kind, rule.enabled = touchpoint, kind, enabled
    rule.threshold, rule.window_hours, rule.min_n = float(terms["threshold"]), terms["window_hours"], terms["min_n"]
    db.session.flush()
    if changed:
        rule.last_value = rule.last_n = None
        if rule.enabled:
            _look_soon(rule)
    return rule


def delete_rule(rule_id: int) -> None:
    """The rule goes; its alerts stay (``rule_id`` null), the open one ended."""
    rule = _locked_rule(rule_id)
    open_alert = open_alert_of(rule.id)
    if open_alert is not None:
        end_alert(open_alert, utcnow(), "rule_deleted")
    db.session.delete(rule)
    db.session.flush()


def set_enabled(rule_id: int, enabled: bool) -> AlertRule:
    return update_rule(rule_id, {"enabled": enabled})


def get_alert(alert_id: int) -> Alert:
    return get_or_404(Alert, alert_id, what="alert")


def list_alerts(*, touchpoint_id: int | None = None, rule_id: int | None = None, open: bool | None = None,
                limit: int | None = None, cursor: str | None = None) -> Page:
    """Alerts newest first; ``open=true`` only those in breach now, ``open=false`` only ended ones."""
    query = select(Alert)
    if touchpoint_id is not None:
        query = query.where(Alert.touchpoint_id == touchpoint_id)
    if rule_id is not None:
        query = query.where(Alert.rule_id == rule_id)
    if open is not None:
        query = query.where(Alert.recovered_at.is_(None) if open else Alert.recovered_at.is_not(None))
    return paginate(query, [(Alert.id, int)], descending=True, limit=limit, cursor=cursor)


def describe_rule(rule: AlertRule) -> str:
    """The rule in words, on its touchpoint's current metric."""
    return describe(rule.kind, rule.touchpoint.survey.metric, rule.threshold, rule.window_hours, rule.min_n)


# ---- The console --------------------------------------------------------------

@dataclass(frozen=True)
class Overview:
    """The alerts page: the breaches under way, the history, and the rules."""

    open: list[Alert]
    recent: NumberedPage
    rules: list[AlertRule]


def _with_touchpoint(query):
    return query.options(selectinload(Alert.touchpoint).selectinload(Touchpoint.journey))


def overview(page: int = 1) -> Overview:
    open_alerts = list(db.session.scalars(_with_touchpoint(
        select(Alert).where(Alert.recovered_at.is_(None)).order_by(Alert.fired_at.desc(), Alert.id.desc()))))
    ended = select(Alert).where(Alert.recovered_at.is_not(None))
    recent = numbered(_with_touchpoint(ended.order_by(Alert.fired_at.desc(), Alert.id.desc())),
                      select(func.count(Alert.id)).where(Alert.recovered_at.is_not(None)), page, ALERTS_PAGE_SIZE)
    rules = list(db.session.scalars(
        select(AlertRule).join(AlertRule.touchpoint).where(Touchpoint.archived_at.is_(None))
        .options(selectinload(AlertRule.open_alert),
                 selectinload(AlertRule.touchpoint).selectinload(Touchpoint.journey),
                 selectinload(AlertRule.touchpoint).selectinload(Touchpoint.survey))
        .order_by(Touchpoint.journey_id, Touchpoint.position, AlertRule.id)))
    return Overview(open=open_alerts, recent=recent, rules=rules)


@dataclass(frozen=True)
class TouchpointAlerts:
    """One touchpoint's rules and its latest alerts, for its page."""

    rules: list[AlertRule]
    recent: list[Alert]

    @staticmethod
    def describe(rule: AlertRule) -> str:
        return describe_rule(rule)


def touchpoint_alerts(touchpoint_id: int, recent: int = 5) -> TouchpointAlerts:
    rules = list(db.session.scalars(select(AlertRule).where(AlertRule.touchpoint_id == touchpoint_id)
                                    .options(selectinload(AlertRule.open_alert)).order_by(AlertRule.id)))
    alerts = list(db.session.scalars(select(Alert).where(Alert.touchpoint_id == touchpoint_id)
                                     .order_by(Alert.fired_at.desc(), Alert.id.desc()).limit(recent)))
    return TouchpointAlerts(rules=rules, recent=alerts)


def live_touchpoints() -> list[Touchpoint]:
    """What a new rule may watch, in journey order."""
    return list(db.session.scalars(select(Touchpoint).where(Touchpoint.archived_at.is_(None))
                                   .options(selectinload(Touchpoint.journey), selectinload(Touchpoint.survey))
                                   .order_by(Touchpoint.journey_id, Touchpoint.position)))


# ---- Starter rules (the demo seeds these) -------------------------------------

def create_starter_rules(journey_id: int, *, window_hours: int = 720, min_n: int = 20,
                         drop_points: float = 15.0, negative_share: float = 40.0) -> list[AlertRule]:
    """Three rules on each live touchpoint of a journey: its headline below the metric's hurting
    line (``analytics.figures.THRESHOLDS``), a drop of ``drop_points`` against the trailing
    average, and ``negative_share`` % negative comments; over ``window_hours``, from ``min_n``
    answers. Returns the rules made (each looked at once the transaction commits)."""
    touchpoints = db.session.scalars(select(Touchpoint).where(
        Touchpoint.journey_id == journey_id, Touchpoint.archived_at.is_(None)).order_by(Touchpoint.position)).all()
    made = []
    for touchpoint in touchpoints:
        hurting = THRESHOLDS[touchpoint.survey.metric][1]
        # NPS's hurting line is 0: "below 0" is a fair line for it, as "below 60%" is for CSAT.
        for kind, threshold in (("below_threshold", hurting), ("drop", drop_points),
                                ("negative_surge", negative_share)):
            made.append(create_rule(touchpoint_id=touchpoint.id, kind=kind, threshold=threshold,
                                    window_hours=window_hours, min_n=min_n))
    return made
