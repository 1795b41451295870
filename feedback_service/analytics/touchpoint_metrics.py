"""One touchpoint's figures over a period: headline with its interval, mean, sentiment, response
rate, the most negative comments, and the same per day, week or month (the trend).

Only answers on the touchpoint's current metric count (an answer given while it
asked another question is on another scale), optionally from one channel. A
figure from fewer than ``ANALYTICS_MIN_N`` answers is returned with
``provisional: true``: shown and marked, never hidden.

The counts come from the rollups, per day (``feedback_service.rollups``), and are
grouped here; the buckets are UTC days, ISO weeks (from Monday) and calendar months.
Only the most negative comments are read from the answers themselves.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..core.errors import Invalid
from ..core.lookup import get_or_404
from ..extensions import db
from ..models import SENTIMENT_LABELS, Display, FollowUp, Response, Touchpoint, utcnow
from ..rollups import tallies
from .figures import Figures, figures_of
from .journey_map import WINDOW

INTERVALS = ("day", "week", "month")
MAX_BUCKETS = 400
NEGATIVE_COMMENTS = 5


@dataclass(frozen=True)
class Bucket:
    start: datetime
    figures: Figures


@dataclass(frozen=True)
class NegativeComment:
    response_id: int
    comment: str
    compound: float
    created_at: datetime
    follow_up_id: int | None


@dataclass(frozen=True)
class TouchpointMetrics:
    touchpoint_id: int
    metric: str
    since: datetime
    until: datetime
    interval: str
    channel: str | None
    min_n: int
    figures: Figures
    sentiment: dict
    displays: int
    response_rate: float | None
    negative_comments: list[NegativeComment]
    series: list[Bucket] = field(default_factory=list)


def bucket_start(at: datetime, interval: str) -> datetime:
    """The start (UTC) of the day, ISO week or month that ``at`` falls in."""
    day = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next_start(start: datetime, interval: str) -> datetime:
    if interval == "day":
        return start + timedelta(days=1)
    if interval == "week":
        return start + timedelta(weeks=1)
    return (start + timedelta(days=32)).replace(day=1)


def touchpoint_metrics(touchpoint_id: int, *, since: datetime | None = None, until: datetime | None = None,
                       interval: str = "week", channel: str | None = None) -> TouchpointMetrics:
    """The figures of one of the tenant's touchpoints over [since, until]; 404 if not ours."""
    touchpoint = get_or_404(Touchpoint, touchpoint_id, what="touchpoint")
    until = until or utcnow()
    since = since or until - WINDOW
    if since >= until:
        raise Invalid("from", "Must be before `to` (both ISO 8601 instants with an offset).")
    starts = _bucket_starts(since, until, interval)
    metric = touchpoint.survey.metric
    min_n = int(current_app.config["ANALYTICS_MIN_N"])

    counts = tallies([touchpoint.id], since, until, by=("day", "source", "score", "sentiment"),
                     source=channel, metric=metric)
    total, feelings, per_bucket, answered_by_source = Counter(), Counter(), {}, Counter()
    for (day, source, score, label), n in counts.items():
        total[score] += n
        answered_by_source[source] += n
        if label:  # "" is an answer without a scored comment
            feelings[label] += n
        per_bucket.setdefault(bucket_start(datetime.combine(day, time(), UTC), interval), Counter())[score] += n

    answers = [Response.touchpoint_id == touchpoint.id, Response.metric == metric,
               Response.created_at >= since, Response.created_at <= until]
    if channel:
        answers.append(Response.source == channel)

    displays, rate = _response_rate(touchpoint.id, since, until, channel, answered_by_source)
    return TouchpointMetrics(
        touchpoint_id=touchpoint.id, metric=metric, since=since, until=until, interval=interval, channel=channel,
        min_n=min_n, figures=figures_of(metric, total, min_n),
        sentiment={"n": sum(feelings[label] for label in SENTIMENT_LABELS),
                   **{label: feelings[label] for label in SENTIMENT_LABELS}},
        displays=displays, response_rate=rate,
        negative_comments=_most_negative(answers),
        series=[Bucket(start, figures_of(metric, per_bucket.get(start, Counter()), min_n)) for start in starts],
    )


def _bucket_starts(since: datetime, until: datetime, interval: str) -> list[datetime]:
    starts, start = [], bucket_start(since, interval)
    while start <= until:
        starts.append(start)
        if len(starts) > MAX_BUCKETS:
            raise Invalid("interval", f"The period has more than {MAX_BUCKETS} {interval}s; "
                                      "choose a longer interval or a shorter period.")
        start = _next_start(start, interval)
    return starts


def _response_rate(touchpoint_id: int, since: datetime, until: datetime, channel: str | None,
                   answered_by_source: Counter) -> tuple[int, float | None]:
    """Times shown, and answers per time shown over the channels that count showings (the widget
    does; an emailed link does not), as a percentage. None when nothing was counted as shown."""
    shown = [Display.touchpoint_id == touchpoint_id, Display.created_at >= since, Display.created_at <= until]
    if channel:
        shown.append(Display.source == channel)
    by_source = dict(db.session.execute(
        select(Display.source, func.count()).where(*shown).group_by(Display.source)).all())
    displays = sum(by_source.values())
    if not displays:
        return 0, None
    answered = sum(answered_by_source[source] for source in by_source)
    return displays, round(100 * answered / displays, 1)


def _most_negative(answers: list) -> list[NegativeComment]:
    rows = db.session.execute(
        select(Response.id, Response.comment, Response.sentiment_compound, Response.created_at, FollowUp.id)
        .outerjoin(FollowUp, FollowUp.response_id == Response.id)
        .where(*answers, Response.sentiment_status == "scored", Response.sentiment_label == "negative")
        .order_by(Response.sentiment_compound, Response.created_at.desc(), Response.id.desc())
        .limit(NEGATIVE_COMMENTS)
    ).all()
    return [NegativeComment(*row) for row in rows]


def weekly_series(journey_id: int, since: datetime, until: datetime) -> dict[int, list[Bucket]]:
    """Each live touchpoint of the journey's weekly figures over [since, until] on its current
    metric (the journey map's sparklines): one read of the rollups for the whole journey."""
    touchpoints = db.session.scalars(
        select(Touchpoint).where(Touchpoint.journey_id == journey_id, Touchpoint.archived_at.is_(None))
        .options(joinedload(Touchpoint.survey))).all()
    metric_of = {t.id: t.survey.metric for t in touchpoints}
    min_n = int(current_app.config["ANALYTICS_MIN_N"])
    starts = _bucket_starts(since, until, "week")
    weeks: dict[int, dict[datetime, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for (touchpoint_id, day, metric, score), n in tallies(metric_of, since, until,
                                                         by=("touchpoint_id", "day", "metric", "score")).items():
        if metric == metric_of[touchpoint_id]:
            weeks[touchpoint_id][bucket_start(datetime.combine(day, time(), UTC), "week")][score] += n
    return {touchpoint_id: [Bucket(start, figures_of(metric, weeks[touchpoint_id].get(start, Counter()), min_n))
                            for start in starts]
            for touchpoint_id, metric in metric_of.items()}
