"""Audits and their findings: start a walk, record what each touchpoint did, submit it.

An audit is walked by a member of staff (``auditor_id``) or a named outside shopper
(``shopper_name``, who walks it through a link: ``links``), never both. A finding belongs to
one touchpoint of the audit's journey; several per touchpoint are allowed. Its rules:

* ``severity`` is required when ``expectation`` is ``worse_than_expected`` and refused otherwise;
  so is ``effort`` refused (there is nothing to fix in a step that went as expected or better).
* ``reached`` false (the walk broke here) is itself worse than expected: ``expectation``
  defaults to ``worse_than_expected`` (anything else is refused) and ``severity`` to ``really_bad``.
* ``team_id`` defaults to the touchpoint's owning team.

Submitting (``status: submitted``) is final: the audit and its findings are frozen after it
(409), and ``audit.submitted`` is logged in the same transaction (webhooks carry it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..core.errors import Conflict, Invalid, NotFound
from ..core.lookup import get_or_404, resolve_reference
from ..core.pagination import Page, paginate
from ..events import log as events
from ..events.payloads import audit_data
from ..extensions import db
from ..models import (
    CHANNELS,
    EFFORTS,
    EXPECTATIONS,
    SEVERITIES,
    Audit,
    AuditFinding,
    Journey,
    Team,
    Touchpoint,
    User,
    utcnow,
)

NOTE_MAX = 5000
SCENARIO_MAX = 2000
MAX_MINUTES = 10_000
FINDING_FIELDS = ("note", "expectation", "severity", "effort", "minutes", "reached", "team_id")
WORSE = "worse_than_expected"


# ---- Audits -------------------------------------------------------------------

def _who(auditor_id: int | None, shopper_name: str | None) -> User | None:
    if auditor_id is not None and shopper_name:
        raise Invalid("shopper_name", "An audit is walked by a member of staff (auditor_id) or an outside "
                                      "shopper (shopper_name), not both.")
    if auditor_id is None and not shopper_name:
        raise Invalid("auditor_id", "Name who walks it: auditor_id (a member of staff) or shopper_name.")
    return resolve_reference(User, auditor_id, "auditor_id") if auditor_id is not None else None


def _channels(channels: list[str]) -> list[str]:
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise Invalid("channels", f"Use channels among {', '.join(CHANNELS)}.")
    return list(dict.fromkeys(channels))


def journey_touchpoints(journey_id: int) -> list[Touchpoint]:
    """The journey's live touchpoints in order: the steps an audit walks."""
    return list(db.session.scalars(select(Touchpoint).where(
        Touchpoint.journey_id == journey_id, Touchpoint.archived_at.is_(None))
        .options(selectinload(Touchpoint.team)).order_by(Touchpoint.position)))


def create_audit(*, journey_id: int, auditor_id: int | None = None, shopper_name: str | None = None,
                 scenario: str = "", channels: list[str] | None = None, notes: str = "",
                 started_at: datetime | None = None) -> Audit:
    """A walk under way. ``channels`` default to those of the journey's touchpoints."""
    journey = resolve_reference(Journey, journey_id, "journey_id")
    auditor = _who(auditor_id, shopper_name)
    if channels is None:
        channels = [t.channel for t in journey_touchpoints(journey.id)]
    audit = Audit(journey=journey, auditor=auditor, shopper_name=shopper_name or None, scenario=scenario,
                  channels=_channels(channels), notes=notes, status="in_progress",
                  started_at=started_at or utcnow())
    db.session.add(audit)
    db.session.flush()
    return audit


def get_audit(audit_id: int) -> Audit:
    return get_or_404(Audit, audit_id, what="audit")


def list_audits(*, journey_id: int | None = None, status: str | None = None, limit: int | None = None,
                cursor: str | None = None) -> Page:
    """Audits newest first."""
    query = select(Audit)
    if journey_id is not None:
        query = query.where(Audit.journey_id == journey_id)
    if status is not None:
        query = query.where(Audit.status == status)
    return paginate(query, [(Audit.id, int)], descending=True, limit=limit, cursor=cursor)


def _locked_audit(audit_id: int) -> Audit:
    """The audit, its row locked and read again, refused (409) once submitted: a submit under
    way finishes first, so nothing changes an audit after it was submitted."""
    get_audit(audit_id)  # 404 unless it is the tenant's
    audit = db.session.execute(select(Audit).where(Audit.id == audit_id).with_for_update()
                               .execution_options(populate_existing=True)).scalar_one()
    if audit.is_submitted:
        raise Conflict(f"Audit {audit.id} was submitted; it and its findings no longer change.")
    return audit


def update_audit(audit_id: int, changes: dict, *, at: datetime | None = None) -> Audit:
    """Change an audit under way; ``status: submitted`` submits it (after the other changes)."""
    audit = _locked_audit(audit_id)
    if "auditor_id" in changes or "shopper_name" in changes:
        auditor_id = changes.get("auditor_id", audit.auditor_id)
        shopper_name = changes.get("shopper_name", audit.shopper_name)
        audit.auditor = _who(auditor_id, shopper_name)
        audit.shopper_name = shopper_name or None
    if "channels" in changes:
        audit.channels = _channels(changes["channels"])
    for field in ("scenario", "notes", "started_at"):
        if field in changes:
            setattr(audit, field, changes[field])
    db.session.flush()
    if changes.get("status") == "submitted":
        _submit(audit, at)
    return audit


def submit_audit(audit_id: int, *, at: datetime | None = None) -> Audit:
    return _submit(_locked_audit(audit_id), at)


def _submit(audit: Audit, at: datetime | None) -> Audit:
    audit.status, audit.submitted_at = "submitted", at or utcnow()
    db.session.flush()
    events.record("audit.submitted", audit_data(audit, journey=audit.journey, findings=list_findings(audit.id)))
    return audit


# ---- Findings -----------------------------------------------------------------

def list_findings(audit_id: int) -> list[AuditFinding]:
    """The audit's findings in journey order (then as recorded)."""
    get_audit(audit_id)
    return list(db.session.scalars(select(AuditFinding).join(AuditFinding.touchpoint)
                                   .where(AuditFinding.audit_id == audit_id)
                                   .order_by(Touchpoint.position, AuditFinding.id)))


def _touchpoint_of(audit: Audit, touchpoint_id: int) -> Touchpoint:
    touchpoint = resolve_reference(Touchpoint, touchpoint_id, "touchpoint_id")
    if touchpoint.journey_id != audit.journey_id:
        raise Invalid("touchpoint_id", f"Touchpoint {touchpoint_id} is not a step of this audit's journey.")
    return touchpoint


def _settled(values: dict, given: set[str]) -> dict:
    """The finding's fields checked together (422 naming the field), with the defaults of a
    step not reached."""
    if not values["reached"]:
        if "expectation" in given and values["expectation"] not in (None, WORSE):
            raise Invalid("expectation", "A step not reached is worse than expected.")
        values["expectation"] = WORSE
        values["severity"] = values["severity"] or "really_bad"
    if values["expectation"] not in EXPECTATIONS:
        raise Invalid("expectation", f"Use one of {', '.join(EXPECTATIONS)}.")
    if values["expectation"] == WORSE:
        if values["severity"] not in SEVERITIES:
            raise Invalid("severity", f"Worse than expected needs a severity: {', '.join(SEVERITIES)}.")
    else:
        if values["severity"] is not None:
            raise Invalid("severity", "Only a finding worse than expected has a severity.")
        if values["effort"] is not None:
            raise Invalid("effort", "Only a finding worse than expected has an effort to fix.")
    if values["effort"] is not None and values["effort"] not in EFFORTS:
        raise Invalid("effort", f"Use one of {', '.join(EFFORTS)}.")
    if values["minutes"] is not None and not 0 <= values["minutes"] <= MAX_MINUTES:
        raise Invalid("minutes", f"Between 0 and {MAX_MINUTES} minutes.")
    if len(values["note"] or "") > NOTE_MAX:
        raise Invalid("note", f"At most {NOTE_MAX} characters.")
    return values


def _team_id(values: dict, given: set[str], touchpoint: Touchpoint) -> int | None:
    if "team_id" in given:
        team_id = values["team_id"]
        return resolve_reference(Team, team_id, "team_id").id if team_id is not None else None
    return touchpoint.team_id


def add_finding(audit_id: int, *, touchpoint_id: int, expectation: str | None = None, note: str = "",
                severity: str | None = None, effort: str | None = None, minutes: int | None = None,
                reached: bool = True, **team) -> AuditFinding:
    """A finding at one touchpoint of the audit's journey; ``team_id=`` (even None) overrides the
    touchpoint's team."""
    audit = _locked_audit(audit_id)
    touchpoint = _touchpoint_of(audit, touchpoint_id)
    given = {"expectation"} if expectation is not None else set()
    values = _settled({"note": note or "", "expectation": expectation, "severity": severity, "effort": effort,
                       "minutes": minutes, "reached": reached, "team_id": team.get("team_id")},
                      given | set(team))
    finding = AuditFinding(audit=audit, touchpoint=touchpoint, note=values["note"],
                           expectation=values["expectation"], severity=values["severity"],
                           effort=values["effort"], minutes=values["minutes"], reached=values["reached"],
                           team_id=_team_id(values, set(team), touchpoint))
    db.session.add(finding)
    db.session.flush()
    return finding


def _finding_of(audit: Audit, finding_id: int) -> AuditFinding:
    finding = get_or_404(AuditFinding, finding_id, what="finding")
    if finding.audit_id != audit.id:
        raise NotFound(f"No finding with id {finding_id} in audit {audit.id}.")
    return finding


def get_finding(audit_id: int, finding_id: int) -> AuditFinding:
    audit = get_audit(audit_id)
    return _finding_of(audit, finding_id)


def update_finding(audit_id: int, finding_id: int, changes: dict) -> AuditFinding:
    audit = _locked_audit(audit_id)
    finding = _finding_of(audit, finding_id)
    touchpoint = _touchpoint_of(audit, changes["touchpoint_id"]) if "touchpoint_id" in changes \
        else finding.touchpoint
    values = {field: changes.get(field, getattr(finding, field)) for field in FINDING_FIELDS}
    if values["expectation"] != WORSE and "expectation" in changes:
        # Judged better now: the severity and effort of the old judgement go with it, unless given.
        values["severity"] = changes.get("severity")
        values["effort"] = changes.get("effort")
    values = _settled(values, set(changes))
    team_given = set(changes) & {"team_id"}
    team_id = _team_id(values, team_given, touchpoint) if team_given or "touchpoint_id" in changes \
        else finding.team_id
    finding.touchpoint = touchpoint
    for field in ("note", "expectation", "severity", "effort", "minutes", "reached"):
        setattr(finding, field, values[field])
    finding.team_id = team_id
    db.session.flush()
    return finding


def delete_finding(audit_id: int, finding_id: int) -> None:
    audit = _locked_audit(audit_id)
    db.session.delete(_finding_of(audit, finding_id))
    db.session.flush()


# ---- Walking it, step by step (the link page and the console) ---------------------

@dataclass(frozen=True)
class Step:
    """One touchpoint of the walk and what was found there so far."""

    touchpoint: Touchpoint
    findings: list[AuditFinding]

    @property
    def first(self) -> AuditFinding | None:
        return self.findings[0] if self.findings else None


def steps(audit: Audit) -> list[Step]:
    """The journey's touchpoints in order, each with the audit's findings there."""
    found: dict[int, list[AuditFinding]] = {}
    for finding in list_findings(audit.id):
        found.setdefault(finding.touchpoint_id, []).append(finding)
    return [Step(t, found.get(t.id, [])) for t in journey_touchpoints(audit.journey_id)]


def save_step(audit_id: int, touchpoint_id: int, *, expectation: str | None, note: str = "",
              severity: str | None = None, effort: str | None = None, minutes: int | None = None,
              reached: bool = True) -> AuditFinding:
    """The walk page's one finding for a touchpoint: the first one there is changed, or one is
    added. A severity or effort left behind by a judgement since made better is dropped."""
    audit = _locked_audit(audit_id)
    touchpoint = _touchpoint_of(audit, touchpoint_id)
    if reached and expectation != WORSE:
        severity = effort = None
    existing = db.session.scalars(select(AuditFinding).where(
        AuditFinding.audit_id == audit.id, AuditFinding.touchpoint_id == touchpoint.id)
        .order_by(AuditFinding.id).limit(1)).first()
    if existing is None:
        return add_finding(audit.id, touchpoint_id=touchpoint.id, expectation=expectation, note=note,
                           severity=severity, effort=effort, minutes=minutes, reached=reached)
    return update_finding(audit.id, existing.id, {
        "expectation": expectation, "note": note, "severity": severity, "effort": effort, "minutes": minutes,
        "reached": reached})


def finding_counts(audit_ids: list[int]) -> dict[int, int]:
    if not audit_ids:
        return {}
    rows = db.session.execute(select(AuditFinding.audit_id, func.count(AuditFinding.id))
                              .where(AuditFinding.audit_id.in_(audit_ids)).group_by(AuditFinding.audit_id))
    return dict(rows.all())


def recent_audits(limit: int = 100) -> list[Audit]:
    """The console's list: newest first, with their journey and auditor."""
    return list(db.session.scalars(select(Audit).options(selectinload(Audit.journey), selectinload(Audit.auditor))
                                   .order_by(Audit.started_at.desc(), Audit.id.desc()).limit(limit)))


def journeys() -> list[Journey]:
    return list(db.session.scalars(select(Journey).order_by(Journey.name, Journey.id)))


# ---- The demo's two walks ------------------------------------------------------

# Per step of the demo journey (by name): the first walk's finding, then the second's.
_DEMO_FINDINGS = {
    "Advertisement": (
        dict(expectation="as_expected", note="The holiday code FREESHIP is on the banner, easy to copy."),
        dict(expectation="as_expected", note="Same banner, same code."),
    ),
    "Browse the shop": (
        dict(expectation="as_expected", note="Found the running shoes in two clicks; sizes clear."),
        dict(expectation="better_than_expected", note="New size filter: found my size at once."),
    ),
    "Cart & checkout": (
        dict(expectation="worse_than_expected", severity="really_bad", effort="days",
             note="The free-shipping code FREESHIP failed three times ('code not valid'); paid shipping."),
        dict(expectation="as_expected", note="FREESHIP applied at the first try."),
    ),
    "Contact support": (
        [dict(expectation="worse_than_expected", severity="bad", effort="quick", minutes=5,
              note="The phone number is hidden in the small print at the foot of the FAQ."),
         dict(expectation="worse_than_expected", severity="really_bad", effort="project", minutes=15,
              note="15 minutes on hold before anyone answered."),
         dict(expectation="better_than_expected",
              note="The agent was great: refunded the shipping and explained the code bug.")],
        [dict(expectation="as_expected", minutes=1, note="Phone number now on the contact page."),
         dict(expectation="worse_than_expected", severity="really_bad", effort="project", minutes=14,
              note="Still 14 minutes on hold."),
         dict(expectation="better_than_expected", note="Friendly, knew the order at once.")],
    ),
    "Delivery": (
        dict(expectation="as_expected", note="Arrived in three days as promised."),
        dict(expectation="as_expected", note="Arrived in two days."),
    ),
    "Returns": (
        dict(expectation="better_than_expected", note="Return label in the box; refund in two days."),
        dict(expectation="as_expected", note="Return accepted; refund in four days."),
    ),
}


def seed_demo_walks(journey_id: int, auditor_id: int, *, now: datetime | None = None) -> list[Audit]:
    """The articles' two submitted walks of the demo journey by ``auditor_id``: one five weeks ago
    (the code fails, the phone number hidden, a long hold, a great agent, an easy return), one a
    week ago (the code and the number fixed, the hold still bad). Steps of the journey not named
    in the story get no finding. The caller commits."""
    now = now or utcnow()
    made = []
    for walk, (started, scenario) in enumerate((
            (now - timedelta(days=35), "Buy running shoes with the holiday free-shipping code, then call "
                                       "support to ask about shipping and return them."),
            (now - timedelta(days=7), "The same walk again, after the checkout and contact-page fixes."))):
        audit = create_audit(journey_id=journey_id, auditor_id=auditor_id, scenario=scenario,
                             channels=["web", "phone"], started_at=started,
                             notes="Walked on a phone, signed out, in a private window.")
        for touchpoint in journey_touchpoints(journey_id):
            story = _DEMO_FINDINGS.get(touchpoint.name)
            if story is None:
                continue
            for finding in story[walk] if isinstance(story[walk], list) else [story[walk]]:
                add_finding(audit.id, touchpoint_id=touchpoint.id, **finding)
        made.append(submit_audit(audit.id, at=started + timedelta(hours=1)))
    return made


def read_step_form(form) -> dict:
    """A walk page's step form (the link page's and the console's: one form) as ``save_step``'s
    arguments; 422 naming the field when it cannot be read."""
    reached = not form.get("not_reached")
    expectation = form.get("expectation") or None
    if reached and expectation is None:
        raise Invalid("expectation", "Choose how this step went, or tick that you did not reach it.")
    raw_minutes = (form.get("minutes") or "").strip()
    try:
        minutes = int(raw_minutes) if raw_minutes else None
    except ValueError:
        raise Invalid("minutes", "A whole number of minutes.") from None
    return {"expectation": expectation, "reached": reached, "severity": form.get("severity") or None,
            "effort": form.get("effort") or None, "minutes": minutes, "note": (form.get("note") or "").strip()}
