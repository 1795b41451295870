"""Column types and mixins shared by every model."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, TypeDecorator, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

# Ids are INTEGER columns: 32-bit on PostgreSQL. A larger number names no row, and
# sending it to the database would fail the query instead of finding nothing.
MAX_ID = 2**31 - 1

# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend.

    SQLite keeps no offset, so values are normalised to UTC on the way in and
    marked UTC on the way out; PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


class TenantMixin:
    """Rows that belong to one organisation.

    Every ORM query on such a model is filtered to the current tenant by
    ``feedback_service.core.tenancy``; nothing else needs to remember to do it.

    ``organization_id`` has an index of its own unless the model sets
    ``organization_id_leads_an_index``: an index that starts with it serves the
    same lookups, and every write would keep both.
    """

    organization_id_leads_an_index = False

    @declared_attr
    def organization_id(cls) -> Mapped[int]:
        return mapped_column(
            Integer, ForeignKey("organization.id", ondelete="CASCADE"), nullable=False,
            index=not cls.organization_id_leads_an_index,
        )


__all__ = ["MAX_ID", "JSONType", "TenantMixin", "TimestampMixin", "UTCDateTime", "func", "utcnow"]
