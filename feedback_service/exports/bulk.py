"""Bulk export of responses and follow-ups as CSV or JSON Lines, in constant memory.

Rows come from the database through a server-side cursor (``yield_per``) and
leave as text in chunks of about ``CHUNK_BYTES``: a million rows stream
through without ever being in memory together, whether to an HTTP client or
to a file from the CLI. Rows are ordered by ``(updated_at, id)``, so the last
row's ``updated_at`` is where the next incremental export (``updated_after``)
starts. For that mark to be safe, an export holds only settled rows, those
changed more than ``SYNC_SETTLE_SECONDS`` ago (see ``sync_window``): a change
made within that window comes in the next export.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select

from ..core.sync_window import settled
from ..extensions import db
from ..models import Customer, FollowUp, Response, SurveyVersion, Touchpoint, User

FORMATS = ("csv", "jsonl")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
YIELD_PER = 1000
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Export:
    """What is exported: its columns, and the query behind them."""

    kind: str
    query: Select

    @property
    def columns(self) -> list[str]:
        return [column.key for column in self.query.selected_columns]

    def count(self) -> int:
        return db.session.scalar(select(func.count()).select_from(self.query.order_by(None).subquery()))

    def rows(self) -> Iterator[dict]:
        """One dict per row, fetched ``YIELD_PER`` at a time from a server-side cursor."""
        result = db.session.execute(self.query.execution_options(yield_per=YIELD_PER))
        keys = self.columns
        try:
            for row in result:
                yield dict(zip(keys, row, strict=True))
        finally:
            result.close()


def responses(*, organization_id: int | None = None, touchpoint_id: int | None = None,
              customer_id: int | None = None, updated_after: datetime | None = None) -> Export:
    query = (
        select(Response.id, Response.organization_id, Response.touchpoint_id,
               Touchpoint.name.label("touchpoint_name"), Touchpoint.journey_id, SurveyVersion.question,
               Response.customer_id, Customer.external_id.label("customer_external_id"),
               Customer.email.label("customer_email"), Response.metric, Response.score, Response.comment,
               Response.context, Response.source, Response.sentiment_status, Response.sentiment_label,
               Response.sentiment_compound, Response.created_at, Response.updated_at)
        .join(Touchpoint, Touchpoint.id == Response.touchpoint_id)
        .join(SurveyVersion, SurveyVersion.id == Response.survey_version_id)
        .outerjoin(Customer, Customer.id == Response.customer_id)
        .where(settled(Response.updated_at))
        .order_by(Response.updated_at, Response.id)
    )
    if organization_id is not None:
        query = query.where(Response.organization_id == organization_id)
    if touchpoint_id is not None:
        query = query.where(Response.touchpoint_id == touchpoint_id)
    if customer_id is not None:
        query = query.where(Response.customer_id == customer_id)
    if updated_after is not None:
        query = query.where(Response.updated_at > updated_after)
    return Export("responses", query)


def follow_ups(*, organization_id: int | None = None, status: str | None = None, owner_id: int | None = None,
               team_id: int | None = None, touchpoint_id: int | None = None,
               updated_after: datetime | None = None) -> Export:
    query = (
        select(FollowUp.id, FollowUp.organization_id, FollowUp.response_id, FollowUp.touchpoint_id,
               Touchpoint.name.label("touchpoint_name"), FollowUp.team_id, FollowUp.owner_id,
               User.email.label("owner_email"), FollowUp.status, FollowUp.priority, FollowUp.due_at,
               FollowUp.root_cause, Response.score, Response.comment, Response.customer_id,
               FollowUp.first_action_at, FollowUp.resolved_at, FollowUp.sla_breached_at, FollowUp.created_at,
               FollowUp.updated_at)
        .join(Response, Response.id == FollowUp.response_id)
        .join(Touchpoint, Touchpoint.id == FollowUp.touchpoint_id)
        .outerjoin(User, User.id == FollowUp.owner_id)
        .where(settled(FollowUp.updated_at))
        .order_by(FollowUp.updated_at, FollowUp.id)
    )
    if organization_id is not None:
        query = query.where(FollowUp.organization_id == organization_id)
    for column, value in ((FollowUp.status, status), (FollowUp.owner_id, owner_id), (FollowUp.team_id, team_id),
                          (FollowUp.touchpoint_id, touchpoint_id)):
        if value is not None:
            query = query.where(column == value)
    if updated_after is not None:
        query = query.where(FollowUp.updated_at > updated_after)
    return Export("follow-ups", query)


def render(export: Export, export_format: str, rows: Iterable[dict] | None = None) -> Iterator[str]:
    """The export as text, in chunks; ``rows`` lets a caller watch them go by (a progress bar)."""
    rows = export.rows() if rows is None else rows
    lines = _csv_lines(export.columns, rows) if export_format == "csv" else _jsonl_lines(rows)
    chunk, size = [], 0
    for line in lines:
        chunk.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield "".join(chunk)
            chunk, size = [], 0
    if chunk:
        yield "".join(chunk)


def _csv_lines(columns: list[str], rows: Iterable[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(columns)
    for row in rows:
        yield line([_csv_cell(row[column]) for column in columns])


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        # A customer's comment must not run as a formula when the file is opened in a
        # spreadsheet (OWASP "CSV injection"): a leading apostrophe keeps it text.
        return "'" + value
    return value


_FORMULA_STARTS = frozenset("=+-@\t\r")


def _jsonl_lines(rows: Iterable[dict]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False, default=_json_default, separators=(",", ":")) + "\n"


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
