"""What the alert tests share: a journey of five steps, each owned by its own team, answers made in
bulk at a given time, and a look at the rules at a given moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from feedback_service.accounts import staff
from feedback_service.alerts import rules
from feedback_service.alerts.jobs import evaluate_alert_rules
from feedback_service.core.database import commit
from feedback_service.extensions import db
from feedback_service.models import Alert, Event, OutboundEmail, Response, Touchpoint, utcnow


@dataclass
class Shop:
    journey_id: int
    touchpoints: dict[str, int]  # name -> id
    teams: dict[str, int]
    leads: dict[str, str]  # team name -> the lead's email (or "" when it has none)


# (touchpoint, team, whether the team has a lead)
STEPS = [("Advertisement", "Marketing", True), ("Browse the shop", "Procurement", False),
         ("Cart & checkout", "Web", True), ("Contact support", "Support", True), ("Delivery", "Shipping", True)]


@pytest.fixture
def shop(app, org, make_journey, make_touchpoint) -> Shop:
    """The shoe shop's journey: five steps, five teams of two (Procurement without a lead)."""
    journey_id = make_journey(org, "Buying shoes online")
    touchpoints, teams, leads = {}, {}, {}
    with app.app_context(), org.scope():
        for _, team_name, has_lead in STEPS:
            people = [staff.create_user(email=f"{team_name.lower()}{i}@staff.example", name=f"{team_name} {i}")
                      for i in (1, 2)]
            team = staff.create_team(name=team_name, member_ids=[p.id for p in people],
                                     lead_id=people[0].id if has_lead else None)
            teams[team_name], leads[team_name] = team.id, people[0].email if has_lead else ""
        commit()
    for name, team_name, _ in STEPS:
        metric = "nps" if name == "Delivery" else "csat"
        touchpoints[name], _ = make_touchpoint(org, journey_id, name=name, team_id=teams[team_name],
                                               survey={"metric": metric})
    return Shop(journey_id, touchpoints, teams, leads)


@pytest.fixture
def answers(app):
    """``answers(org, touchpoint_id, scores, at=…, comments=[(label or None)…])``: stored in one commit.
    A label makes the answer's comment scored with it; ``"pending"`` leaves it waiting for its score."""

    def make(tenant, touchpoint_id: int, scores: list[int], *, at: datetime | None = None,
             sentiments: list[str | None] | None = None) -> None:
        at = at or utcnow() - timedelta(hours=1)
        with app.app_context(), tenant.scope():
            touchpoint = db.session.get(Touchpoint, touchpoint_id)
            for i, score in enumerate(scores):
                label = sentiments[i] if sentiments else None
                when = at - timedelta(seconds=i)
                response = Response(touchpoint=touchpoint, survey_version=touchpoint.survey, metric=touchpoint.survey.metric,
                                    score=score, created_at=when, updated_at=when,
                                    comment=None if label is None else f"Comment {i}",
                                    sentiment_status="skipped" if label is None else
                                    ("pending" if label == "pending" else "scored"),
                                    sentiment_label=label if label not in (None, "pending") else None)
                db.session.add(response)
            commit()

    return make


@pytest.fixture
def look(app):
    """The worker's periodic look at every rule, at ``at`` (default now); returns how many fired."""

    def run(at: datetime | None = None) -> int:
        with app.app_context():
            fired = evaluate_alert_rules(at)
            db.session.remove()
            return fired

    return run


@pytest.fixture
def make_rule(app):
    def make(tenant, touchpoint_id: int, kind: str = "below_threshold", threshold: float = 60,
             window_hours: int = 24, min_n: int = 20, **kwargs) -> int:
        with app.app_context(), tenant.scope():
            rule = rules.create_rule(touchpoint_id=touchpoint_id, kind=kind, threshold=threshold,
                                     window_hours=window_hours, min_n=min_n, **kwargs)
            commit()
            return rule.id

    return make


def alert_rows(app, tenant) -> list[Alert]:
    with app.app_context(), tenant.scope():
        rows = list(db.session.scalars(select(Alert).order_by(Alert.id)))
        db.session.expunge_all()
        return rows


def alert_emails(app, tenant) -> list[OutboundEmail]:
    with app.app_context(), tenant.scope():
        rows = list(db.session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "alert")
                                       .order_by(OutboundEmail.id)))
        db.session.expunge_all()
        return rows


def logged(app, tenant, event_type: str) -> list[dict]:
    with app.app_context(), tenant.scope():
        return [event.data for event in db.session.scalars(select(Event).where(Event.type == event_type)
                                                           .order_by(Event.id))]
