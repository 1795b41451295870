from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, cast
from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import UserDefinedType

from ..extensions import db
from .base import JSONType, TenantMixin, UTCDateTime, utcnow

EVENT_TYPES = (
    "response.created",
    # Beyond the contract's list: a comment added after the score, a score corrected from an email.
    "response.updated",
    "response.scored",
    "follow_up.created",
    "follow_up.assigned",
    "follow_up.status_changed",
    "follow_up.replied",
    "follow_up.sla_breached",
    "alert.triggered",
    # Beyond the contract's list: an alert ended (its figure recovered, or its rule stopped watching).
    "alert.recovered",
    "webhook_endpoint.disabled",
    "audit.submitted",
    "backlog_item.created",
    "backlog_item.status_changed",
)


class XID8(UserDefinedType):
    """PostgreSQL's 64-bit transaction id, as a Python int.

    psycopg has no adapter for it: values come back as text, and go out as text
    cast to xid8 (there is no cast from integers).
    """

    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return "XID8"

    def bind_processor(self, dialect):
        return lambda value: None if value is None else str(value)

    def bind_expression(self, bindvalue):
        return cast(bindvalue, self)

    def result_processor(self, dialect, coltype):
        return lambda value: None if value is None else int(value)


# So reflection (autogenerate, the no-drift test) reads the column back as what we declare.
ischema_names.setdefault("xid8", XID8)


class current_transaction_id(FunctionElement):  # noqa: N801 - reads like the SQL function
    """The writing transaction's id on PostgreSQL; NULL elsewhere."""

    type = BigInteger()
    inherit_cache = True


@compiles(current_transaction_id)
def _no_transaction_id(element, compiler, **kw) -> str:
    return "NULL"


@compiles(current_transaction_id, "postgresql")
def _pg_current_xact_id(element, compiler, **kw) -> str:
    return "pg_current_xact_id()"


class Event(TenantMixin, db.Model):
    """Something that happened, written in the same transaction as the change itself.

    Consumers page through it with a cursor, and webhooks carry it. The order is
    one a consumer can rely on never to change behind its cursor: by id on
    SQLite, where one writer at a time makes commit order id order; on
    PostgreSQL by (writing transaction, id), because ids are drawn before commit
    and a transaction that drew a lower id can commit after one that drew a
    higher (see ``events.log.list_events``).
    """

    organization_id_leads_an_index = True

    __table_args__ = (
        Index("ix_event_org_id", "organization_id", "id"),
        Index("ix_event_org_txid_id", "organization_id", "txid", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    type: Mapped[str] = mapped_column(String(64), nullable=False)
    data: Mapped[dict] = mapped_column(JSONType, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Stamped by the database, so every insert of an event records it whoever writes the
    # statement (events.log writes them all today).
    txid: Mapped[int | None] = mapped_column(BigInteger().with_variant(XID8(), "postgresql"),
                                             server_default=current_transaction_id())
