"""Who hears of an alert, and what they are told.

The team that owns the touchpoint, and the teams that own the touchpoints just before and
after it in the journey (archived ones skipped): silos next door hear too, because a
broken promise at one step is felt at the next (the advert's free shipping that the cart
will not apply). Each team is told once, through its lead, or its active members when it
has no active lead; a touchpoint nobody owns is the admins'. Each person gets one email per
alert, the owner's text first. Plain text through the outbox, in the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.urls import public_url
from ..extensions import db
from ..mail.outbox import queue_email
from ..models import Alert, AlertRule, Team, Touchpoint, User
from .terms import TRAILING_WINDOWS
from .wording import describe, figure, metric_name, span

EMAIL_KIND = "alert"


def neighbours(touchpoint: Touchpoint) -> tuple[Touchpoint | None, Touchpoint | None]:
    """The live touchpoints just before and just after ``touchpoint`` in its journey."""
    live = (select(Touchpoint)
            .where(Touchpoint.journey_id == touchpoint.journey_id, Touchpoint.archived_at.is_(None),
                   Touchpoint.id != touchpoint.id)
            .options(selectinload(Touchpoint.team).selectinload(Team.members),
                     selectinload(Touchpoint.team).selectinload(Team.lead)))
    before = db.session.scalar(live.where(Touchpoint.position < touchpoint.position)
                               .order_by(Touchpoint.position.desc(), Touchpoint.id.desc()).limit(1))
    after = db.session.scalar(live.where(Touchpoint.position > touchpoint.position)
                              .order_by(Touchpoint.position, Touchpoint.id).limit(1))
    return before, after


def team_recipients(team: Team) -> list[User]:
    """The lead, if active; else the team's active members."""
    if team.lead is not None and team.lead.is_active:
        return [team.lead]
    return [member for member in team.members if member.is_active]


def _admins() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == "admin", User.is_active.is_(True))
                                   .order_by(User.id)))


def tell_teams(alert: Alert, rule: AlertRule) -> list[dict]:
    """Email the owning team and the neighbours' teams; returns who was told, for the alert's record:
    ``[{team_id, name, relation: owner | previous | next, touchpoint_ids, recipients}]``."""
    touchpoint = alert.touchpoint
    before, after = neighbours(touchpoint)
    told: list[dict] = []
    sent: set[str] = set()

    owners = team_recipients(touchpoint.team) if touchpoint.team else _admins()
    owner_entry = {"team_id": touchpoint.team_id, "name": touchpoint.team.name if touchpoint.team else "Admins",
                   "relation": "owner", "touchpoint_ids": [touchpoint.id], "recipients": []}
    told.append(owner_entry)

    # The neighbours' teams, each once (one team may own both, or the touchpoint itself).
    next_door: dict[int, dict] = {}
    for relation, neighbour in (("previous", before), ("next", after)):
        if neighbour is None or neighbour.team is None or neighbour.team_id == touchpoint.team_id:
            continue
        entry = next_door.get(neighbour.team_id)
        if entry is None:
            entry = next_door[neighbour.team_id] = {
                "team_id": neighbour.team_id, "name": neighbour.team.name, "relation": relation,
                "touchpoint_ids": [], "recipients": [], "_team": neighbour.team, "_touchpoints": []}
            told.append(entry)
        entry["touchpoint_ids"].append(neighbour.id)
        entry["_touchpoints"].append((relation, neighbour))

    subject, body = owner_email(alert, rule, [e for e in told if e["relation"] != "owner"])
    for person in owners:
        if person.email not in sent:
            queue_email(kind=EMAIL_KIND, to=person.email, subject=subject, body=body,
                        organization_id=alert.organization_id)
            sent.add(person.email)
            owner_entry["recipients"].append(person.email)

    for entry in next_door.values():
        subject, body = neighbour_email(alert, rule, entry["_touchpoints"])
        for person in team_recipients(entry.pop("_team")):
            if person.email not in sent:
                queue_email(kind=EMAIL_KIND, to=person.email, subject=subject, body=body,
                            organization_id=alert.organization_id)
                sent.add(person.email)
                entry["recipients"].append(person.email)
        entry.pop("_touchpoints")
    return told


def _what(alert: Alert) -> str:
    """The breach in one sentence."""
    name, over = metric_name(alert.metric), span(alert.window_hours)
    if alert.kind == "drop":
        return (f"{name} fell {figure('drop', alert.metric, alert.value)} over the last {over}: "
                f"{figure('below_threshold', alert.metric, alert.baseline - alert.value)} from "
                f"{figure('below_threshold', alert.metric, alert.baseline)} over the "
                f"{span(alert.window_hours * TRAILING_WINDOWS)} before "
                f"({alert.n} answers, against {alert.baseline_n}).")
    if alert.kind == "negative_surge":
        return (f"{figure('negative_surge', alert.metric, alert.value)} of the {alert.n} comments scored "
                f"over the last {over}, against a line of {alert.threshold:g}%.")
    return (f"{name} is {figure('below_threshold', alert.metric, alert.value)} over the last {over} "
            f"({alert.n} answers), below the line of {figure('below_threshold', alert.metric, alert.threshold)}.")


def _interval(alert: Alert) -> str:
    if alert.ci_low is None:
        return ""
    kind = "negative_surge" if alert.kind == "negative_surge" else "below_threshold"
    return (f"95 % interval: {figure(kind, alert.metric, alert.ci_low)} to "
            f"{figure(kind, alert.metric, alert.ci_high)}, so this is not a handful of unlucky answers.\n")


def _journey_name(touchpoint: Touchpoint) -> str:
    return touchpoint.journey.name if touchpoint.journey else "the journey"


def owner_email(alert: Alert, rule: AlertRule, neighbours_told: list[dict]) -> tuple[str, str]:
    touchpoint = alert.touchpoint
    subject = f"[Alert] {touchpoint.name}: {_short(alert)}"
    told = ""
    if neighbours_told:
        told = ("\nWe told the teams next door too, whose steps lead into or out of this one: "
                + ", ".join(f"{entry['name']} ({entry['relation']} step)" for entry in neighbours_told) + ".\n")
    body = (f"{touchpoint.name} ({_journey_name(touchpoint)}, step {touchpoint.position}) needs a look.\n\n"
            f"{_what(alert)}\n{_interval(alert)}"
            f"Rule: {describe(rule.kind, alert.metric, rule.threshold, rule.window_hours, rule.min_n)}.\n"
            f"{told}\n"
            f"The touchpoint's figures and comments: {public_url(f'/touchpoints/{touchpoint.id}')}\n"
            f"Every alert: {public_url('/alerts')}\n\n"
            "You hear once for this breach; the alert closes by itself when the figure recovers.\n")
    return subject, body


def neighbour_email(alert: Alert, rule: AlertRule, theirs: list[tuple[str, Touchpoint]]) -> tuple[str, str]:
    touchpoint = alert.touchpoint
    owner = touchpoint.team.name if touchpoint.team else "nobody yet"
    subject = f"[Alert] Next door: {touchpoint.name} ({owner}) is hurting"
    why = []
    for relation, own in theirs:
        if relation == "previous":
            why.append(f"Customers go on from your {own.name} straight to {touchpoint.name}. What they were "
                       f"promised or set up for at {own.name} (an offer, a price, a date) may be what breaks "
                       f"there, and how they feel at {touchpoint.name} colours how they remember your step.")
        else:
            why.append(f"Customers come to your {own.name} straight from {touchpoint.name}. Expect what went "
                       f"wrong there to arrive at yours (lower scores, more contacts, angrier comments), and "
                       f"you may be the first to hear the cause.")
    body = (f"{touchpoint.name}, next to your step in {_journey_name(touchpoint)}, is hurting, and its "
            f"owners ({owner}) have been told.\n\n"
            f"{_what(alert)}\n{_interval(alert)}\n"
            + "\n\n".join(why) + "\n\n"
            f"Have a word with {owner}: {public_url(f'/touchpoints/{touchpoint.id}')}\n"
            f"Every alert: {public_url('/alerts')}\n")
    return subject, body


def _short(alert: Alert) -> str:
    name = metric_name(alert.metric)
    if alert.kind == "drop":
        return f"{name} down {figure('drop', alert.metric, alert.value)} over {span(alert.window_hours)}"
    if alert.kind == "negative_surge":
        return f"{figure('negative_surge', alert.metric, alert.value)} comments over {span(alert.window_hours)}"
    return (f"{name} {figure('below_threshold', alert.metric, alert.value)} over {span(alert.window_hours)}, "
            f"below {figure('below_threshold', alert.metric, alert.threshold)}")
