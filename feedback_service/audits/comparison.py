"""Repeat and compare: a journey's submitted audits side by side, per touchpoint, and whether
each touchpoint behaved the same on every walk.

Each walk at a touchpoint gets a ``verdict`` from its findings there:

* ``not_walked``: no finding there; ``not_reached``: a finding says the walk broke there;
* ``bad``: a finding worse than expected of severity ``really_bad`` or ``bad``;
* ``inconvenient``: worse than expected, but only ``inconvenient``;
* ``fine``: nothing worse than expected.

A touchpoint is **inconsistent** (``consistent: false``) when, among the walks that reached it
(verdict ``bad``, ``inconvenient`` or ``fine``), some are ``bad`` and others ``fine``: the same step
hurt badly on one walk and not at all on another. Anything else is consistent, including a step
bad on every walk (consistently bad) and one walked once. See docs/audits.md.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.lookup import get_or_404
from ..extensions import db
from ..models import Audit, AuditFinding, Journey
from .walks import WORSE, journey_touchpoints

BAD_SEVERITIES = ("really_bad", "bad")
SEVERITY_RANK = {"really_bad": 3, "bad": 2, "inconvenient": 1}
REACHED_VERDICTS = ("bad", "inconvenient", "fine")


def verdict(findings: list[AuditFinding]) -> str:
    """One walk's verdict at one touchpoint, from its findings there."""
    if not findings:
        return "not_walked"
    if any(not f.reached for f in findings):
        return "not_reached"
    worse = [f for f in findings if f.expectation == WORSE]
    if any(f.severity in BAD_SEVERITIES for f in worse):
        return "bad"
    return "inconvenient" if worse else "fine"


def is_consistent(verdicts: list[str]) -> bool:
    """False when some walks that reached the step found it bad and others fine."""
    reached = [v for v in verdicts if v in REACHED_VERDICTS]
    return not ("bad" in reached and "fine" in reached)


def worst_severity(findings: list[AuditFinding]) -> str | None:
    severities = [f.severity for f in findings if f.expectation == WORSE and f.severity]
    return max(severities, key=SEVERITY_RANK.__getitem__) if severities else None


def compare(journey_id: int) -> dict:
    """The journey's submitted audits (oldest first) and, per live touchpoint in journey order,
    each audit's findings there, its verdict and worst severity, and ``consistent``."""
    journey = get_or_404(Journey, journey_id, what="journey")
    audits = list(db.session.scalars(
        select(Audit).where(Audit.journey_id == journey.id, Audit.status == "submitted")
        .options(selectinload(Audit.findings), selectinload(Audit.auditor))
        .order_by(Audit.submitted_at, Audit.id)))
    touchpoints = []
    for touchpoint in journey_touchpoints(journey.id):
        walks = []
        for audit in audits:
            found = [f for f in audit.findings if f.touchpoint_id == touchpoint.id]
            walks.append({"audit_id": audit.id, "verdict": verdict(found), "worst_severity": worst_severity(found),
                          "findings": found})
        touchpoints.append({
            "touchpoint_id": touchpoint.id, "name": touchpoint.name, "position": touchpoint.position,
            "team_id": touchpoint.team_id, "team_name": touchpoint.team.name if touchpoint.team else None,
            "consistent": is_consistent([w["verdict"] for w in walks]), "audits": walks,
        })
    return {"journey_id": journey.id, "journey_name": journey.name, "audits": audits, "touchpoints": touchpoints}
