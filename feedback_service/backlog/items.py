"""Backlog items: made, listed in priority order, worked on, and checked once done.

The order (docs/backlog.md): items still to do before done and dropped ones; among each,
items staff ranked by hand first, by their ``manual_rank``
(1 first); then the rest by ``priority = impact × ease`` (9: really bad and quick to fix,
"fix it now if it takes two minutes"), ties going to the item with more sources, then the
older one. ``impact`` follows the strongest severity among an item's sources (really_bad 3,
bad 2, inconvenient 1) and ``ease`` the easiest effort (quick 3, days 2, project 1), each 2
when no source says, until staff set it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..analytics.touchpoint_metrics import touchpoint_metrics
from ..core.errors import Invalid
from ..core.lookup import get_or_404, is_possible_id, resolve_reference
from ..events import log as events
from ..events.payloads import backlog_item_data
from ..extensions import db
from ..models import (
    BACKLOG_OPEN_STATUSES,
    BACKLOG_SOURCE_KINDS,
    BACKLOG_STATUSES,
    SEVERITIES,
    Alert,
    Audit,
    AuditFinding,
    BacklogComment,
    BacklogItem,
    BacklogSource,
    RootCause,
    Team,
    Theme,
    Touchpoint,
    utcnow,
)

SEVERITY_IMPACT = {"really_bad": 3, "bad": 2, "inconvenient": 1}
EFFORT_EASE = {"quick": 3, "days": 2, "project": 1}
UNKNOWN = 2  # neither severity nor effort known: the middle
CHECK_WINDOW = timedelta(days=30)
# What a source's id names, per kind (friction: the touchpoint the journey report ranks).
SOURCE_MODELS = {"finding": AuditFinding, "alert": Alert, "theme": Theme, "root_cause": RootCause,
                 "friction": Touchpoint}


# Words that say nothing about which problem it is.
_STOPWORDS = frozenset("""a an and any anyone at before by for from in is it its my of on or still the then this
to too was were when with again now same very""".split())


def title_key(title: str) -> str:
    """The title as "the same problem" compares it: lower case, its words without numbers and
    filler ("Still 14 minutes on hold" -> "minutes hold")."""
    words = [w for w in re.findall(r"[^\W\d_]+", title.casefold()) if w not in _STOPWORDS and len(w) > 1]
    return " ".join(words)[:200]


def same_problem(key: str, other: str) -> bool:
    """Two normalised titles name the same problem: equal, or at least two words in common making
    up most (60 %) of the shorter one ("15 minutes on hold before anyone answered" and "Still 14
    minutes on hold")."""
    if key == other:
        return bool(key)
    a, b = set(key.split()), set(other.split())
    shared = len(a & b)
    return shared >= 2 and shared >= 0.6 * min(len(a), len(b))


def order_key(item: BacklogItem):
    return (item.status in ("done", "wont_fix"), item.manual_rank is None, item.manual_rank or 0, -item.priority,
            -len(item.sources), item.created_at, item.id)


def refresh_scores(item: BacklogItem) -> None:
    """Impact and ease from the sources, unless staff set them."""
    if not item.impact_set:
        item.impact = max((SEVERITY_IMPACT[s.severity] for s in item.sources if s.severity in SEVERITY_IMPACT),
                          default=UNKNOWN)
    if not item.ease_set:
        item.ease = max((EFFORT_EASE[s.effort] for s in item.sources if s.effort in EFFORT_EASE), default=UNKNOWN)


def _clean_title(title: str | None) -> str:
    title = (title or "").strip()
    if not title:
        raise Invalid("title", "Say what is to be fixed.")
    if len(title) > 200:
        raise Invalid("title", "At most 200 characters.")
    return title


def _score(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3:
        raise Invalid(field, "1, 2 or 3.")
    return value


def source_label(kind: str, row) -> str:
    if kind == "finding":
        return f"Audit {row.audit_id}: {row.note or row.expectation.replace('_', ' ')}"[:300]
    if kind == "root_cause":
        return row.name
    if kind == "alert":
        return f"Alert {row.id} ({row.kind.replace('_', ' ')})"
    if kind == "theme":
        return getattr(row, "label", None) or getattr(row, "name", None) or f"Theme {row.id}"
    return f"Friction at {row.name}"


def new_item(*, title: str, touchpoint: Touchpoint, team_id: int | None = None, sources=()) -> BacklogItem:
    """An item with its sources (``BacklogSource`` rows, not yet added), logged as created."""
    item = BacklogItem(title=title, title_key=title_key(title), touchpoint=touchpoint,
                       team_id=team_id if team_id is not None else touchpoint.team_id, status="open")
    item.sources = list(sources)
    refresh_scores(item)
    db.session.add(item)
    db.session.flush()
    events.record("backlog_item.created", backlog_item_data(item))
    return item


def create_item(*, title: str, touchpoint_id: int, team_id: int | None = None, impact: int | None = None,
                ease: int | None = None, sources: list[dict] | None = None) -> BacklogItem:
    """By hand (the API): sources of any kind, each one that exists in the tenant (422 naming
    ``sources``)."""
    title = _clean_title(title)
    touchpoint = resolve_reference(Touchpoint, touchpoint_id, "touchpoint_id")
    if team_id is not None:
        resolve_reference(Team, team_id, "team_id")
    rows = []
    for i, source in enumerate(sources or []):
        kind, ref_id = source.get("kind"), source.get("id")
        if kind not in BACKLOG_SOURCE_KINDS:
            raise Invalid("sources", f"Source {i + 1}: the kind is one of {', '.join(BACKLOG_SOURCE_KINDS)}.")
        row = db.session.get(SOURCE_MODELS[kind], ref_id) if isinstance(ref_id, int) and is_possible_id(ref_id) \
            else None
        if row is None:
            raise Invalid("sources", f"Source {i + 1}: no {kind.replace('_', ' ')} with id {ref_id} "
                                     "in this organisation.")
        if any((r.kind, r.ref_id) == (kind, ref_id) for r in rows):
            continue
        rows.append(BacklogSource(kind=kind, ref_id=ref_id, label=source_label(kind, row),
                                  severity=getattr(row, "severity", None) if kind == "finding" else None,
                                  effort=getattr(row, "effort", None) if kind == "finding" else None))
    item = new_item(title=title, touchpoint=touchpoint, team_id=team_id, sources=rows)
    if impact is not None:
        item.impact, item.impact_set = _score(impact, "impact"), True
    if ease is not None:
        item.ease, item.ease_set = _score(ease, "ease"), True
    db.session.flush()
    return item


def get_item(item_id: int) -> BacklogItem:
    return get_or_404(BacklogItem, item_id, what="backlog item")


def with_check(item: BacklogItem, *, now: datetime | None = None) -> BacklogItem:
    """The item with its ``check`` worked out (``None`` unless done), for showing."""
    item.check = check(item, now=now)
    return item


def shown_item(item_id: int) -> BacklogItem:
    return with_check(get_item(item_id))


def list_items(*, status: str | None = None, team_id: int | None = None, touchpoint_id: int | None = None
               ) -> list[BacklogItem]:
    """Highest priority first (see the module's docstring)."""
    query = select(BacklogItem).options(selectinload(BacklogItem.sources), selectinload(BacklogItem.touchpoint),
                                        selectinload(BacklogItem.team))
    if status is not None:
        query = query.where(BacklogItem.status == status)
    if team_id is not None:
        query = query.where(BacklogItem.team_id == team_id)
    if touchpoint_id is not None:
        query = query.where(BacklogItem.touchpoint_id == touchpoint_id)
    return [with_check(item) for item in sorted(db.session.scalars(query), key=order_key)]


def set_status(item: BacklogItem, status: str, *, at: datetime | None = None) -> None:
    if status not in BACKLOG_STATUSES:
        raise Invalid("status", f"One of {', '.join(BACKLOG_STATUSES)}.")
    if status == item.status:
        return
    before = item.status
    item.status = status
    item.done_at = (at or utcnow()) if status == "done" else None
    db.session.flush()
    events.record("backlog_item.status_changed", backlog_item_data(item, **{"from": before, "to": status}))


def update_item(item_id: int, changes: dict, *, at: datetime | None = None) -> BacklogItem:
    """Change the item: ``title``, ``status``, ``impact``/``ease`` (null: back to the sources'),
    ``team_id`` (reassign; null: nobody), ``manual_rank`` with ``rank_reason`` (null: the formula)."""
    item = get_item(item_id)
    if "title" in changes:
        item.title = _clean_title(changes["title"])
        item.title_key = title_key(item.title)
    for field in ("impact", "ease"):
        if field in changes:
            if changes[field] is None:
                setattr(item, f"{field}_set", False)
            else:
                setattr(item, field, _score(changes[field], field))
                setattr(item, f"{field}_set", True)
    refresh_scores(item)
    if "team_id" in changes:
        item.team_id = None if changes["team_id"] is None else resolve_reference(Team, changes["team_id"], "team_id").id
    if "manual_rank" in changes:
        rank = changes["manual_rank"]
        if rank is None:
            item.manual_rank = item.rank_reason = None
        else:
            if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
                raise Invalid("manual_rank", "A whole number from 1 (first).")
            reason = (changes.get("rank_reason") or "").strip()
            if not reason:
                raise Invalid("rank_reason", "Say why this item is ranked by hand.")
            item.manual_rank, item.rank_reason = rank, reason[:2000]
    elif changes.get("rank_reason") is not None and item.manual_rank is not None:
        item.rank_reason = changes["rank_reason"].strip()[:2000] or item.rank_reason
    if "status" in changes:
        set_status(item, changes["status"], at=at)
    db.session.flush()
    return item


def add_comment(item_id: int, body: str, *, author_id: int | None = None) -> BacklogComment:
    item = get_item(item_id)
    body = (body or "").strip()
    if not body:
        raise Invalid("body", "Write something.")
    if len(body) > 5000:
        raise Invalid("body", "At most 5000 characters.")
    comment = BacklogComment(item_id=item.id, body=body, author_id=author_id)
    db.session.add(comment)
    db.session.flush()
    return comment


def _headline(touchpoint_id: int, since: datetime, until: datetime) -> dict:
    if since >= until:
        return {"since": since.isoformat(), "until": until.isoformat(), "score": None, "n": 0, "ci": None}
    figures = touchpoint_metrics(touchpoint_id, since=since, until=until).figures
    return {"since": since.isoformat(), "until": until.isoformat(), "score": figures.score, "n": figures.n,
            "ci": [figures.ci_low, figures.ci_high] if figures.ci else None}


def _worst_severity(touchpoint_id: int, audit_query, key: str) -> dict | None:
    audit = db.session.scalars(audit_query.where(Audit.id.in_(
        select(AuditFinding.audit_id).where(AuditFinding.touchpoint_id == touchpoint_id)))).first()
    if audit is None:
        return None
    found = [f for f in audit.findings if f.touchpoint_id == touchpoint_id]
    worse = [f.severity for f in found if f.expectation == "worse_than_expected"]
    worst = min(worse, key=lambda s: SEVERITIES.index(s) if s in SEVERITIES else len(SEVERITIES), default=None)
    return {"audit_id": audit.id, "submitted_at": audit.submitted_at.isoformat(),
            "expectation": "worse_than_expected" if worse else (found[0].expectation if found else None),
            "severity": worst,
            # This item's own problem in that audit: how the finding like it went, if there was one.
            "same_problem": next(({"finding_id": f.id, "expectation": f.expectation, "severity": f.severity}
                                  for f in found if same_problem(key, title_key(f.note or ""))), None)}


def check(item: BacklogItem, *, now: datetime | None = None) -> dict | None:
    """Did the fix help? Done items only: the touchpoint's headline over the 30 days before
    ``done_at`` against since, and the worst finding there in the last submitted audit before
    against the first after (null when there is none)."""
    if item.done_at is None:
        return None
    now = now or utcnow()
    done = item.done_at
    submitted = select(Audit).where(Audit.status == "submitted")
    return {
        "before": {"headline": _headline(item.touchpoint_id, done - CHECK_WINDOW, done),
                   "audit": _worst_severity(item.touchpoint_id, submitted.where(Audit.submitted_at < done)
                                            .order_by(Audit.submitted_at.desc()), item.title_key)},
        "after": {"headline": _headline(item.touchpoint_id, done, max(now, done)),
                  "audit": _worst_severity(item.touchpoint_id, submitted.where(Audit.submitted_at >= done)
                                           .order_by(Audit.submitted_at), item.title_key)},
    }


def teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def finding_audits(items: list[BacklogItem]) -> dict[int, int]:
    """The audit of each finding the items name (the console links the source to it)."""
    ids = {s.ref_id for item in items for s in item.sources if s.kind == "finding"}
    if not ids:
        return {}
    query = select(AuditFinding.id, AuditFinding.audit_id).where(AuditFinding.id.in_(ids))
    return dict(db.session.execute(query).all())


def open_counts(touchpoint_ids: list[int]) -> dict[int, int]:
    """How many items still to do each of these touchpoints has (the journey map marks them)."""
    if not touchpoint_ids:
        return {}
    return dict(db.session.execute(
        select(BacklogItem.touchpoint_id, func.count()).where(
            BacklogItem.touchpoint_id.in_(touchpoint_ids), BacklogItem.status.in_(BACKLOG_OPEN_STATUSES))
        .group_by(BacklogItem.touchpoint_id)).all())
