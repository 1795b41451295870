"""Themes stored and read back: one touchpoint's found again and replaced whole, and any period's
figures counted from the stored assignment.

The job (``refresh``) looks at the touchpoint's comments of the last ``THEMES_WINDOW_DAYS``
days whose sentiment is settled (scored, or skipped as not English: that verdict is what tells
the clustering a comment's language), and stores every one of them with its theme or none. A
report (``touchpoint_themes``) then counts, for any ``from``/``to``, each theme's comments, its
share of all the comments looked at in that period, their sentiment and its strongest examples;
a period reaching before the window finds only what the window holds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, insert, select

from ..core.database import commit
from ..core.errors import Invalid
from ..core.lookup import get_or_404
from ..core.tenancy import tenant_scope
from ..extensions import db
from ..models import SENTIMENT_LABELS, Response, Theme, ThemeMember, ThemeRun, Touchpoint, utcnow
from .clustering import TOPIC, Comment, find_themes

EXAMPLES = 3


@dataclass(frozen=True)
class Example:
    response_id: int
    comment: str


@dataclass(frozen=True)
class ThemeFigures:
    id: int
    label: str
    kind: str
    language: str | None
    terms: list[str]
    n: int
    # Of every comment looked at in the period, themed or not: 0 to 1.
    share: float
    sentiment: dict[str, int]
    examples: list[Example] = field(default_factory=list)


@dataclass(frozen=True)
class ThemesReport:
    touchpoint_id: int
    since: datetime
    until: datetime
    # Comments looked at in the period (the shares' denominator); those in no theme are the rest.
    comments: int
    computed_at: datetime | None
    window_start: datetime | None
    themes: list[ThemeFigures]

    @property
    def unthemed(self) -> int:
        return self.comments - sum(theme.n for theme in self.themes)


def window() -> timedelta:
    return timedelta(days=int(current_app.config["THEMES_WINDOW_DAYS"]))


def touchpoint_themes(touchpoint_id: int, *, since: datetime | None = None,
                      until: datetime | None = None) -> ThemesReport:
    """One of the tenant's touchpoints' themes over [since, until] (default: the themes' window up
    to now), largest first; 404 if not ours."""
    touchpoint = get_or_404(Touchpoint, touchpoint_id, what="touchpoint")
    until = until or utcnow()
    since = since or until - window()
    if since >= until:
        raise Invalid("from", "Must be before `to` (both ISO 8601 instants with an offset).")
    return _report(touchpoint.id, since, until)


def top_themes(touchpoint_ids: list[int], limit: int = 3, *, since: datetime | None = None,
               until: datetime | None = None) -> dict[int, list[ThemeFigures]]:
    """The ``limit`` largest topics of each touchpoint over the period (default: the themes'
    window up to now), for the journey report. Groups of comments in another language are left
    out: they say who wrote, not what about. Every id given is a key, with [] when it has none."""
    until = until or utcnow()
    since = since or until - window()
    return {touchpoint_id: [t for t in _report(touchpoint_id, since, until).themes if t.kind == TOPIC][:limit]
            for touchpoint_id in dict.fromkeys(touchpoint_ids)}


def _report(touchpoint_id: int, since: datetime, until: datetime) -> ThemesReport:
    run = db.session.get(ThemeRun, touchpoint_id)
    in_period = [ThemeMember.touchpoint_id == touchpoint_id, Response.created_at >= since,
                 Response.created_at <= until]
    counts = db.session.execute(
        select(ThemeMember.theme_id, Response.sentiment_status, Response.sentiment_label, func.count())
        .join(Response, Response.id == ThemeMember.response_id)
        .where(*in_period)
        .group_by(ThemeMember.theme_id, Response.sentiment_status, Response.sentiment_label)
    ).all()
    comments, per_theme, feelings = 0, Counter(), {}
    for theme_id, status, label, n in counts:
        comments += n
        if theme_id is None:
            continue
        per_theme[theme_id] += n
        if status == "scored" and label in SENTIMENT_LABELS:
            feelings.setdefault(theme_id, Counter())[label] += n
    themes = {theme.id: theme for theme in db.session.scalars(
        select(Theme).where(Theme.touchpoint_id == touchpoint_id, Theme.id.in_(list(per_theme))))}
    examples = _examples(touchpoint_id, list(themes), in_period)
    figures = [
        ThemeFigures(id=theme.id, label=theme.label, kind=theme.kind, language=theme.language,
                     terms=list(theme.terms or []), n=per_theme[theme.id],
                     share=round(per_theme[theme.id] / comments, 3),
                     sentiment={label: feelings.get(theme.id, Counter())[label] for label in SENTIMENT_LABELS},
                     examples=examples.get(theme.id, []))
        for theme in themes.values()
    ]
    figures.sort(key=lambda t: (-t.n, t.kind != TOPIC, themes[t.id].position))
    return ThemesReport(touchpoint_id=touchpoint_id, since=since, until=until, comments=comments,
                        computed_at=run.computed_at if run else None, window_start=run.window_start if run else None,
                        themes=figures)


def _examples(touchpoint_id: int, theme_ids: list[int], in_period: list) -> dict[int, list[Example]]:
    """Each theme's strongest comments in the period (the ones most like its topic), newest first
    among equals."""
    if not theme_ids:
        return {}
    ranked = (
        select(ThemeMember.theme_id, Response.id, Response.comment,
               func.row_number().over(partition_by=ThemeMember.theme_id,
                                      order_by=(ThemeMember.weight.desc(), Response.id.desc())).label("rank"))
        .join(Response, Response.id == ThemeMember.response_id)
        .where(*in_period, ThemeMember.theme_id.in_(theme_ids))
        .subquery()
    )
    found: dict[int, list[Example]] = {}
    for theme_id, response_id, comment, _ in db.session.execute(
            select(ranked).where(ranked.c.rank <= EXAMPLES).order_by(ranked.c.theme_id, ranked.c.rank)):
        found.setdefault(theme_id, []).append(Example(response_id, comment))
    return found


def refresh(touchpoint_id: int) -> int:
    """Find the touchpoint's themes again and replace what is stored, in one transaction; returns
    how many themes it has now. Run twice on the same comments, it stores the same themes."""
    found = store_themes(touchpoint_id)
    commit()
    return found


def store_themes(touchpoint_id: int) -> int:
    """``refresh`` within the caller's transaction (the demo seeds its themes with its answers)."""
    touchpoint = db.session.get(Touchpoint, touchpoint_id)
    if touchpoint is None:
        return 0
    with tenant_scope(touchpoint.organization_id):
        started = utcnow()
        since = started - window()
        rows = [] if touchpoint.archived_at is not None else db.session.execute(
            select(Response.id, Response.comment, Response.sentiment_status, Response.sentiment_reason)
            .where(Response.touchpoint_id == touchpoint.id, Response.created_at >= since,
                   Response.comment.is_not(None), Response.comment != "",
                   # A comment still waiting for its score has no language yet; scoring it stamps
                   # its updated_at, and the sweep comes back for it.
                   Response.sentiment_status != "pending")
            .order_by(Response.created_at, Response.id)
        ).all()
        found = find_themes([Comment(row.id, row.comment, _language(row.sentiment_status, row.sentiment_reason))
                             for row in rows], max_themes=int(current_app.config["THEMES_MAX"]))

        # Two runs for one touchpoint write one after the other; NO KEY UPDATE, so answers
        # still being stored for it (their foreign key's KEY SHARE) are not held up.
        db.session.execute(select(Touchpoint.id).where(Touchpoint.id == touchpoint.id)
                           .with_for_update(key_share=True))
        db.session.execute(delete(ThemeMember).where(ThemeMember.touchpoint_id == touchpoint.id))
        db.session.execute(delete(Theme).where(Theme.touchpoint_id == touchpoint.id))
        stored = [Theme(touchpoint_id=touchpoint.id, position=position, label=group.label[:200], kind=group.kind,
                        language=group.language, terms=group.terms) for position, group in enumerate(found.groups)]
        db.session.add_all(stored)
        db.session.flush()
        members = [{"response_id": response_id, "theme_id": theme.id, "weight": weight}
                   for theme, group in zip(stored, found.groups, strict=True) for response_id, weight in group.members]
        members += [{"response_id": response_id, "theme_id": None, "weight": 0.0} for response_id in found.unthemed]
        if members:
            db.session.execute(insert(ThemeMember), [
                {**member, "touchpoint_id": touchpoint.id, "organization_id": touchpoint.organization_id}
                for member in members])
        run = db.session.get(ThemeRun, touchpoint.id) or ThemeRun(touchpoint_id=touchpoint.id)
        run.computed_at, run.window_start, run.comments = started, since, len(rows)
        db.session.add(run)
        db.session.flush()  # inside the tenant's scope, which stamps the new rows
        return len(stored)


def _language(status: str, reason: str | None) -> str | None:
    """What the sentiment job found: scored is English, skipped as ``language:xx`` is xx."""
    if status == "scored":
        return "en"
    if reason and reason.startswith("language:"):
        return reason.split(":", 1)[1] or None
    return None
