"""Opaque keyset cursors: stable while rows are inserted, cheap at any depth.

A cursor encodes the sort key of the last row a client saw. The next page is
"rows after that key", so rows inserted meanwhile never shift a page or repeat.

Every cursor ``paginate`` hands out names its list (the table it pages) and,
for a list that can be ordered more than one way, the ordering
(``paginate(ordering=…)``): a follow-ups cursor and a responses cursor, or a
newest-first cursor and a sync cursor, hold the same kinds of values, and read
by the wrong list one would silently page from the wrong place. A cursor of
another list or ordering is a 422 that says which it is.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from math import ceil
from typing import Any

from flask_smorest import abort
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from ..extensions import db
from ..models.base import MAX_ID

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
# Keys in cursors are INTEGER ids (up to MAX_ID), timestamps, or BigInt.
MAX_SQL_BIGINT = 2**63 - 1


class BigInt(int):
    """The kind of a 64-bit key in a cursor: a BIGINT id, or a PostgreSQL xid8."""


@dataclass
class Page:
    items: list
    next_cursor: str | None


# What each ordering is, as a consumer asked for it: for the 422 of a cursor given to the other.
ORDERINGS = {
    "newest": "the newest-first list (without updated_after)",
    "sync": "the sync, oldest change first (with updated_after)",
    # The answers and order of /responses?customer_id=, newest first, but another list:
    # its pages carry follow-ups too, so a cursor of one does not page the other.
    "timeline": "a customer's timeline (GET /api/v1/customers/{id})",
}


def encode_cursor(values: list[Any], tag: str | None = None) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    if tag is not None:
        plain.insert(0, tag)
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: list[type], tag: str | None = None) -> list[Any]:
    """The cursor's values, one per kind; a 422 naming ``cursor`` if it is not such a cursor
    (tagged ``tag``, when given: see ``list_tag``)."""
    if tag is None:
        values = parse_cursor(cursor, kinds)
    else:
        values = parse_cursor(cursor, [str, *kinds])
        found = _tag(cursor)
        # Cursors handed out before they named their list named only the ordering.
        ours = found == tag or (found in ORDERINGS and tag.endswith(f":{found}"))
        if not ours and found is not None:
            _refuse_other_list(found, tag)
        values = values[1:] if values is not None and ours else None
    if values is None:
        abort(422, errors={"cursor": ["Not a cursor from this list; start again without it."]})
    return values


def list_tag(table: str, ordering: str | None = None) -> str:
    """What a cursor of ``table``'s list, in ``ordering`` (a key of ``ORDERINGS``), is tagged."""
    return f"{table}:{ordering}" if ordering else table


def _refuse_other_list(found: str, wanted: str) -> None:
    table, _, ordering = found.partition(":")
    wanted_table, _, wanted_ordering = wanted.partition(":")
    if table == wanted_table and ordering in ORDERINGS and wanted_ordering in ORDERINGS:
        abort(422, errors={"cursor": [
            f"This cursor pages {ORDERINGS[ordering]}, not {ORDERINGS[wanted_ordering]}: send it with the query it "
            "came from (the same updated_after and filters), or start again without cursor."]})
    if table != wanted_table and table in db.metadata.tables:
        abort(422, errors={"cursor": [
            f"This cursor pages another list (of {table} rows, not {wanted_table} rows): send it with the "
            "request it came from, or start again without it."]})


def _tag(cursor: str) -> str | None:
    """The tag a tagged cursor carries (its first value: list and ordering), or None."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None
    return raw[0] if isinstance(raw, list) and raw and isinstance(raw[0], str) else None


def parse_cursor(cursor: str, kinds: list[type]) -> list[Any] | None:
    """Like ``decode_cursor``, but ``None`` for a cursor of another shape, so a caller can try several."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError
        decoded = []
        for value, kind in zip(values, kinds, strict=True):
            if kind is datetime:
                value = datetime.fromisoformat(value)
                if value.tzinfo is None:
                    raise ValueError
                value = value.astimezone(UTC)  # OverflowError at the ends of time
            elif kind is BigInt:
                if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SQL_BIGINT:
                    raise ValueError
            elif not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError
            elif kind is int and not -MAX_ID <= value <= MAX_ID:
                raise ValueError  # no such row; the database would refuse the number
            decoded.append(value)
        return decoded
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        return None


def paginate(
    query: Select,
    order: list[tuple[InstrumentedAttribute, type]],
    *,
    descending: bool,
    limit: int | None,
    cursor: str | None,
    ordering: str | None = None,
    tagged: bool = True,
) -> Page:
    """Run ``query`` ordered by ``order`` (its last column unique) one page at a time.

    Its cursors are tagged with the list (the table of ``order``'s first column)
    and ``ordering`` (a key of ``ORDERINGS``), for a list that has more than one;
    not with ``tagged=False``, for cursors that must read as those handed out
    elsewhere (the event log's, which consumers keep)."""
    limit = limit or DEFAULT_LIMIT
    columns = [column for column, _ in order]
    tag = list_tag(columns[0].class_.__tablename__, ordering) if tagged else None
    if cursor:
        after = decode_cursor(cursor, [kind for _, kind in order], tag)
        query = query.where(_after(columns, after, descending))
    sort = [c.desc() if descending else c.asc() for c in columns]
    rows = list(db.session.scalars(query.order_by(*sort).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, c.key) for c in columns], tag)
    return Page(items=rows, next_cursor=next_cursor)


def _after(columns, values, descending: bool):
    """Row-value comparison ``(a, b) > (x, y)`` spelt out, as SQLite needs it."""
    clauses = []
    for i, column in enumerate(columns):
        equal_prefix = [columns[j] == values[j] for j in range(i)]
        step = column < values[i] if descending else column > values[i]
        clauses.append(and_(*equal_prefix, step))
    return or_(*clauses)


# ---- Numbered pages, for people: the console's lists ---------------------------

@dataclass
class NumberedPage:
    """One page of a list shown with page numbers: its rows, and where it sits in the whole."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_number(self) -> int:
        """The 1-based position of the page's first row in the whole list (0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_number(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)


def numbered(query, count_query, page: int, per_page: int) -> NumberedPage:
    """One page of ``query`` by its number (a page past the end shows the last), with the total."""
    total = db.session.scalar(count_query) or 0
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return NumberedPage(items=items, total=total, page=page, per_page=per_page)
