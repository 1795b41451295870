"""Pieces every schema uses: list envelopes, pagination arguments, origins."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import marshmallow as ma
from marshmallow import fields, validate

from ..core import urls
from ..core.pagination import MAX_LIMIT
from ..models.base import MAX_ID


class Schema(ma.Schema):
    """Unknown fields are refused by name, so a typo is never silently ignored.

    Text that no database column can hold is refused here too, by field name:
    PostgreSQL rejects NUL characters and lone UTF-16 surrogates (which JSON's
    ``\\ud800`` escapes can smuggle in), and would otherwise fail the query.
    """

    class Meta:
        unknown = ma.RAISE
        ordered = True

    @ma.pre_load
    def _refuse_unstorable_text(self, data, **kwargs):
        if isinstance(data, Mapping):
            errors = {str(key): ["Contains characters that are not valid text (NUL or a lone surrogate)."]
                      for key in data if not _storable(key) or not _storable(data.get(key))}
            if errors:
                raise ma.ValidationError(errors)
        return data


def _storable(value) -> bool:
    # Iterative: a client's JSON may nest as deep as the parser allows.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return False
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
    return True


def representable_in_utc(value: datetime) -> None:
    # 0001-01-01T00:00+14:00 parses, but is before the first instant UTC can name
    # (and 9999-12-31T23:59-14:00 after the last): comparing it would fail the query.
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ma.ValidationError("Out of range; use a date between years 1 and 9999 in UTC.") from None


def instant_field(**kwargs) -> fields.AwareDateTime:
    """An ISO 8601 instant with its offset, one the database can compare with."""
    return fields.AwareDateTime(default_timezone=None, validate=representable_in_utc, **kwargs)


# A report's period: the years its arithmetic (a window before `to`, a day after `from`) can
# reach without leaving the calendar, and more than any answer can be dated.
PERIOD_YEARS = (1900, 9000)


def within_report_years(value: datetime) -> None:
    representable_in_utc(value)
    if not PERIOD_YEARS[0] <= value.astimezone(UTC).year <= PERIOD_YEARS[1]:
        raise ma.ValidationError(f"Out of range; use a date between the years {PERIOD_YEARS[0]} and "
                                 f"{PERIOD_YEARS[1]}.")


def period_field(**kwargs) -> fields.AwareDateTime:
    """One end of a report's period: an ISO 8601 instant with its offset, in years 1900–9000."""
    return fields.AwareDateTime(default_timezone=None, validate=within_report_years, **kwargs)


def id_field(**kwargs) -> fields.Integer:
    """A row's id in a filter. Ids are 32-bit INTEGER columns on PostgreSQL, which
    refuses a larger number outright (a 500) rather than finding nothing."""
    return fields.Integer(validate=validate.Range(1, MAX_ID), **kwargs)


class ListArgs(Schema):
    limit = fields.Integer(load_default=None, validate=validate.Range(1, MAX_LIMIT),
                           metadata={"description": f"Page size, at most {MAX_LIMIT} (default 50)."})
    cursor = fields.String(load_default=None, validate=validate.Length(max=500),
                           metadata={"description": "`next_cursor` of the previous page."})


_page_schemas: dict[str, type[Schema]] = {}


def page_of(item_schema: type[ma.Schema]) -> type[Schema]:
    """``{"data": [item…], "next_cursor": str | null}`` for an item schema."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    if name not in _page_schemas:
        _page_schemas[name] = type(name, (Schema,), {
            "data": fields.List(fields.Nested(item_schema), required=True),
            "next_cursor": fields.String(allow_none=True, required=True),
        })
    return _page_schemas[name]


def page_body(page) -> dict:
    return {"data": page.items, "next_cursor": page.next_cursor}


class Origin(fields.String):
    """A bare web origin: scheme, host and optional port, as a browser sends in ``Origin``.

    The rule (and the normal form stored) is ``core.urls.bare_origin``'s."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return urls.bare_origin(super()._deserialize(value, attr, data, **kwargs))
        except urls.BadAddress as error:
            raise ma.ValidationError(str(error)) from None


class Trimmed(fields.String):
    """Text whose surrounding whitespace is noise: stripped before the validators
    run, so ``"  "`` is as empty as ``""`` and the length counts what is kept."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


def _one_line(value: str) -> None:
    # A name ends up in email subjects, CSV cells and page titles: line breaks and other
    # control characters there break headers or let text pose as another field.
    if any(not ch.isprintable() for ch in value):
        raise ma.ValidationError("Use a single line of printable text (no line breaks, tabs or control characters).")


def name_field(**kwargs) -> fields.String:
    return Trimmed(validate=[validate.Length(1, 200), _one_line], **kwargs)
