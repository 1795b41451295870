"""What feeds the backlog: submitted audits' findings and recurring root causes.

An audit's ``worse_than_expected`` findings join the backlog when ``audit.submitted`` is
recorded (this module hears the event log's ``events_recorded``; audits know nothing of the
backlog), in the same transaction. Each finding joins the open item at its touchpoint with
the same problem (``items.same_problem`` on the normalised titles), or the item named by
``merge_into``, or makes a new one; it is linked as a ``finding`` source either way, once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..audits.walks import get_audit
from ..core.database import commit
from ..core.errors import Invalid
from ..core.tenancy import tenant_scope
from ..events.log import events_recorded
from ..extensions import db
from ..models import (
    BACKLOG_OPEN_STATUSES,
    Audit,
    AuditFinding,
    BacklogItem,
    BacklogSource,
    FollowUp,
    Organization,
    RootCause,
    Touchpoint,
    utcnow,
)
from .items import get_item, new_item, refresh_scores, same_problem, set_status, source_label, title_key

log = logging.getLogger(__name__)


def finding_title(finding: AuditFinding) -> str:
    """The finding's note, its first sentence, as the item's title."""
    note = (finding.note or "").strip()
    if not note:
        return f"{finding.touchpoint.name}: {'not reached' if not finding.reached else 'worse than expected'}"
    first = note.split(". ")[0].rstrip(".")
    return (first or note)[:200]


def _linked(kind: str, ref_id: int, touchpoint_id: int | None = None) -> BacklogSource | None:
    query = select(BacklogSource).where(BacklogSource.kind == kind, BacklogSource.ref_id == ref_id)
    if touchpoint_id is not None:
        query = query.join(BacklogItem).where(BacklogItem.touchpoint_id == touchpoint_id)
    return db.session.scalars(query.order_by(BacklogSource.id)).first()


def open_item_for(touchpoint_id: int, key: str) -> BacklogItem | None:
    """The oldest open item at the touchpoint with the same problem."""
    candidates = db.session.scalars(select(BacklogItem).where(
        BacklogItem.touchpoint_id == touchpoint_id, BacklogItem.status.in_(BACKLOG_OPEN_STATUSES))
        .order_by(BacklogItem.id))
    return next((item for item in candidates if same_problem(key, item.title_key)), None)


def _join(item: BacklogItem, source: BacklogSource) -> None:
    item.sources.append(source)
    refresh_scores(item)
    db.session.flush()


def merge_finding(finding: AuditFinding, *, into: BacklogItem | None = None) -> BacklogItem | None:
    """One worse-than-expected finding into the backlog (``into``: an explicit merge, which must be
    at the finding's touchpoint). Nothing for other findings, or one already linked."""
    if finding.expectation != "worse_than_expected":
        return None
    linked = _linked("finding", finding.id)
    if linked is not None:
        return linked.item
    if into is not None and into.touchpoint_id != finding.touchpoint_id:
        raise Invalid("merge_into", f"Backlog item {into.id} is about another touchpoint.")
    title = finding_title(finding)
    source = BacklogSource(kind="finding", ref_id=finding.id, label=source_label("finding", finding),
                           severity=finding.severity, effort=finding.effort)
    item = into or open_item_for(finding.touchpoint_id, title_key(title))
    if item is None:
        return new_item(title=title, touchpoint=finding.touchpoint, team_id=finding.team_id, sources=[source])
    _join(item, source)
    return item


def merge_audit(audit_id: int, *, merge_into: dict[int, int] | None = None) -> list[BacklogItem]:
    """A submitted audit's worse-than-expected findings into the backlog, in journey order;
    ``merge_into`` maps a finding's id to the item it joins. Running it again adds nothing."""
    audit = get_audit(audit_id)
    if not audit.is_submitted:
        return []
    merge_into = merge_into or {}
    findings = sorted(audit.findings, key=lambda f: (f.touchpoint.position, f.id))
    made = []
    for finding in findings:
        into = get_item(merge_into[finding.id]) if finding.id in merge_into else None
        item = merge_finding(finding, into=into)
        if item is not None and item not in made:
            made.append(item)
    return made


@events_recorded.connect
def _on_events(sender, events: list[dict]) -> None:
    """Hears every event recorded; merges a submitted audit in its transaction."""
    for event in events:
        if event["type"] == "audit.submitted":
            with tenant_scope(event["organization_id"]):
                merge_audit(event["data"]["audit"]["id"])


def _root_cause_severity(count: int, min_count: int) -> str:
    return "really_bad" if count >= 4 * min_count else "bad"


def merge_recurring_root_causes(min_count: int = 5, days: int = 90, *, now: datetime | None = None
                                ) -> list[BacklogItem]:
    """One item per (touchpoint, root cause) resolved at least ``min_count`` times in the last
    ``days``, linked as a ``root_cause`` source (its id the RootCause's). A pair already linked
    only has its count brought up to date: running it twice makes nothing new. Returns the
    items made or joined this time."""
    now = now or utcnow()
    rows = db.session.execute(
        select(FollowUp.touchpoint_id, FollowUp.root_cause, func.count())
        .where(FollowUp.status == "resolved", FollowUp.root_cause.is_not(None),
               FollowUp.resolved_at >= now - timedelta(days=days))
        .group_by(FollowUp.touchpoint_id, FollowUp.root_cause)
        .having(func.count() >= min_count)
        .order_by(FollowUp.touchpoint_id, FollowUp.root_cause)).all()
    touched = []
    for touchpoint_id, name, count in rows:
        cause = db.session.scalar(select(RootCause).where(RootCause.name == name))
        touchpoint = db.session.get(Touchpoint, touchpoint_id)
        if cause is None or touchpoint is None or touchpoint.archived_at is not None:
            continue
        linked = _linked("root_cause", cause.id, touchpoint_id)
        if linked is not None:
            if linked.count != count:
                linked.count, linked.severity = count, _root_cause_severity(count, min_count)
                refresh_scores(linked.item)
            continue
        source = BacklogSource(kind="root_cause", ref_id=cause.id, label=f"{name} (resolved {count}×)"[:300],
                               severity=_root_cause_severity(count, min_count), count=count)
        title = name[:1].upper() + name[1:]
        item = open_item_for(touchpoint_id, title_key(title))
        if item is None:
            item = new_item(title=title[:200], touchpoint=touchpoint, sources=[source])
        else:
            _join(item, source)
        touched.append(item)
    db.session.flush()
    return touched


def sweep_recurring_root_causes() -> int:
    """Periodic: every organisation's recurring root causes into its backlog, one transaction each;
    returns how many items were made or joined."""
    with tenant_scope(None):
        organization_ids = list(db.session.scalars(select(Organization.id).order_by(Organization.id)))
        db.session.rollback()
    total = 0
    for organization_id in organization_ids:
        with tenant_scope(organization_id):
            total += len(merge_recurring_root_causes())
            commit()
    if total:
        log.info("backlog: %d items from recurring root causes", total)
    return total


# ---- The demo --------------------------------------------------------------------

def _demo_item(*words: str) -> BacklogItem | None:
    return next((item for item in db.session.scalars(select(BacklogItem).order_by(BacklogItem.id))
                 if all(w in item.title_key.split() for w in words)), None)


def seed_demo_backlog(now: datetime | None = None) -> list[BacklogItem]:
    """The demo's backlog, after its audits exist (the tenant's scope; the caller commits): both
    submitted audits merged (already done if their ``audit.submitted`` was heard), the fixed
    checkout code and the hidden phone number marked done about three weeks ago (so their
    check shows before and after), the hold time left open, at the top."""
    now = now or utcnow()
    for audit_id in db.session.scalars(select(Audit.id).where(Audit.status == "submitted")
                                       .order_by(Audit.submitted_at, Audit.id)):
        merge_audit(audit_id)
    for words, days in ((("phone", "number", "hidden"), 21), (("code",), 24)):
        item = _demo_item(*words)
        if item is not None and item.status != "done":
            set_status(item, "done", at=now - timedelta(days=days))
    merge_recurring_root_causes(now=now)
    db.session.flush()
    return [item for item in db.session.scalars(select(BacklogItem).order_by(BacklogItem.id))]
