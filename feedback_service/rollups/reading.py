"""Reading the rollups: how many answers, grouped as a report asks, over any period.

A period rarely starts and ends at midnight. Its whole UTC days are read from the
rollups; the part-days at either end (at most two, each inside one day) from the
answers themselves, through the (touchpoint, created_at) index. So a figure is the
same as counting the answers, to the second, and costs what the number of days
costs, not the number of answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import Response, ResponseRollup
from .counting import sentiment_of

COLUMNS = ("touchpoint_id", "day", "source", "metric", "score", "sentiment")

# The answers' columns the rollup's columns are counted from ("day" is the part-day's own;
# "sentiment" is grouped by its two columns and named by ``counting.sentiment_of``, the one rule).
_ANSWER_COLUMNS = {
    "touchpoint_id": (Response.touchpoint_id,),
    "source": (Response.source,),
    "metric": (Response.metric,),
    "score": (Response.score,),
    "sentiment": (Response.sentiment_status, Response.sentiment_label),
}


@dataclass(frozen=True)
class PartDay:
    """Answers from ``start`` up to ``end`` (``end`` itself included when ``closed``), all on ``day``."""

    day: date
    start: datetime
    end: datetime
    closed: bool


@dataclass(frozen=True)
class Split:
    whole_days: tuple[date, date] | None  # [first, last), both UTC days
    part_days: list[PartDay]


def split(since: datetime, until: datetime) -> Split:
    """[since, until] as whole UTC days and the part-days at either end."""
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    first = since.replace(hour=0, minute=0, second=0, microsecond=0)
    if first < since:
        first += timedelta(days=1)
    last = until.replace(hour=0, minute=0, second=0, microsecond=0)
    if first > last:  # both ends inside one day
        return Split(None, [PartDay(last.date(), since, until, closed=True)])
    parts = [PartDay(since.date(), since, first, closed=False)] if since < first else []
    parts.append(PartDay(last.date(), last, until, closed=True))
    return Split((first.date(), last.date()) if first < last else None, parts)


def tallies(touchpoint_ids: Iterable[int], since: datetime, until: datetime, *, by: Sequence[str],
            source: str | None = None, metric: str | None = None) -> Counter:
    """How many of the tenant's answers at these touchpoints in [since, until], per value of the
    ``by`` columns (a tuple, in ``by``'s order; names from ``COLUMNS``)."""
    ids = list(touchpoint_ids)
    unknown = set(by) - set(COLUMNS)
    if unknown:
        raise ValueError(f"cannot group by {sorted(unknown)}")
    counts: Counter = Counter()
    if not ids:
        return counts
    period = split(since, until)
    if period.whole_days:
        counts.update(_from_rollups(ids, period.whole_days, by, source, metric))
    for part in period.part_days:
        counts.update(_from_answers(ids, part, by, source, metric))
    return +counts  # drop the zeros a removed answer leaves


def _from_rollups(ids, days: tuple[date, date], by, source, metric) -> Counter:
    columns = [getattr(ResponseRollup, name) for name in by]
    conditions = [ResponseRollup.touchpoint_id.in_(ids), ResponseRollup.day >= days[0], ResponseRollup.day < days[1]]
    if source:
        conditions.append(ResponseRollup.source == source)
    if metric:
        conditions.append(ResponseRollup.metric == metric)
    rows = db.session.execute(select(*columns, func.sum(ResponseRollup.count)).where(*conditions).group_by(*columns))
    return Counter({tuple(row[:-1]): int(row[-1]) for row in rows})


def _from_answers(ids, part: PartDay, by, source, metric) -> Counter:
    grouped = [name for name in by if name != "day"]
    columns = [column for name in grouped for column in _ANSWER_COLUMNS[name]]
    conditions = [Response.touchpoint_id.in_(ids), Response.created_at >= part.start,
                  Response.created_at <= part.end if part.closed else Response.created_at < part.end]
    if source:
        conditions.append(Response.source == source)
    if metric:
        conditions.append(Response.metric == metric)
    counts: Counter = Counter()
    for row in db.session.execute(select(*columns, func.count()).where(*conditions).group_by(*columns)):
        found = iter(row[:-1])
        values = {name: sentiment_of(next(found), next(found)) if name == "sentiment" else next(found)
                  for name in grouped}
        values["day"] = part.day
        counts[tuple(values[name] for name in by)] += row[-1]
    return counts
