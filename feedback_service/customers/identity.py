"""Who answered: one customer across every touchpoint and channel, found by id or email, made on first sight."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, select, update

from ..core.database import DIALECT_INSERTS, for_this_database
from ..core.tenancy import current_tenant_id
from ..extensions import db
from ..models import Customer, utcnow

_table = Customer.__table__
_RETURNED = (_table.c.id, _table.c.external_id, _table.c.email)


@dataclass(frozen=True)
class CustomerRef:
    """A customer's id and keys as stored: what an answer needs, without loading the row."""

    id: int
    external_id: str | None
    email: str | None


def resolve_customer(*, external_id: str | None, email: str | None, seen_at: datetime | None = None) -> Customer | None:
    """The current tenant's customer with this external id or email, created on first sight."""
    db.session.flush()
    ref = resolve_customer_ref(current_tenant_id(), external_id=external_id, email=email, seen_at=seen_at)
    return db.session.get(Customer, ref.id, populate_existing=True) if ref else None


def resolve_customer_ref(organization_id: int, *, external_id: str | None, email: str | None,
                         seen_at: datetime | None = None) -> CustomerRef | None:
    """The organisation's customer with this external id or email, created on first sight,
    with its first and last seen moved to include ``seen_at``.

    The external id wins when both match different people: it is the host
    system's own key, while an email can be shared or mistyped. An email that
    already belongs to another account is not copied onto a new one.

    Core statements on the session's connection, in its transaction: one upsert
    when the answer names the customer by one key, which is the common case.
    Two answers introducing the same new customer at once both end up with the
    same row, through the unique constraints, without a savepoint.
    """
    email = email.strip().lower() if email else None
    if not external_id and not email:
        return None
    seen_at = seen_at or utcnow()
    connection = db.session.connection()
    if not (external_id and email):
        return _upsert(connection, organization_id, external_id, email, seen_at)
    for _ in range(3):
        found = _matching(connection, organization_id, external_id, email)
        by_external = next((row for row in found if row.external_id == external_id), None)
        by_email = next((row for row in found if row.email == email), None)
        changes: dict = {}
        if by_external is not None:
            customer = by_external
            if customer.email is None and by_email is None:
                changes["email"] = email
        elif by_email is not None and by_email.external_id is None:
            customer = by_email
            changes["external_id"] = external_id
        else:
            created = _insert(connection, organization_id, external_id, email if by_email is None else None, seen_at)
            if created is not None:
                return created
            continue  # the same new customer was inserted a moment ago by another answer: match again
        return _touch(connection, customer.id, seen_at, changes)
    raise RuntimeError("customer resolution did not settle")  # unreachable: the third pass sees the winner


def _upsert(connection, organization_id: int, external_id: str | None, email: str | None,
            seen_at: datetime) -> CustomerRef:
    statements = for_this_database(_UPSERT_BY_EXTERNAL_ID if external_id else _UPSERT_BY_EMAIL)
    return CustomerRef(*connection.execute(statements, _params(organization_id, external_id, email, seen_at)).one())


def _matching(connection, organization_id: int, external_id: str, email: str):
    return connection.execute(_MATCHING, {"org": organization_id, "external_id": external_id, "email": email}).all()


def _insert(connection, organization_id: int, external_id: str | None, email: str | None,
            seen_at: datetime) -> CustomerRef | None:
    row = connection.execute(for_this_database(_INSERT_NEW),
                             _params(organization_id, external_id, email, seen_at)).first()
    return CustomerRef(*row) if row else None


def _touch(connection, customer_id: int, seen_at: datetime, changes: dict) -> CustomerRef:
    statement = update(_table).where(_table.c.id == customer_id).values(
        **_seen_bounds(), **changes).returning(*_RETURNED)
    return CustomerRef(*connection.execute(statement, {"seen_at": seen_at}).one())


def _params(organization_id: int, external_id: str | None, email: str | None, seen_at: datetime) -> dict:
    return {"org": organization_id, "external_id": external_id, "email": email, "seen_at": seen_at}


def _seen_bounds() -> dict:
    # Answers can arrive out of order (an offline widget sends yesterday's today). CASE, not
    # least()/greatest(), which SQLite spells min()/max(): one expression for both databases.
    at = bindparam("seen_at", type_=_table.c.first_seen_at.type)
    first, last = _table.c.first_seen_at, _table.c.last_seen_at
    return {"first_seen_at": case((first <= at, first), else_=at), "last_seen_at": case((last >= at, last), else_=at)}


def _new(dialect: str):
    at = bindparam("seen_at", type_=_table.c.first_seen_at.type)
    return DIALECT_INSERTS[dialect](_table).values(
        organization_id=bindparam("org"), external_id=bindparam("external_id"), email=bindparam("email"),
        first_seen_at=at, last_seen_at=at)


# Built once per database: an answer naming its customer runs one of them.
_UPSERT_BY_EXTERNAL_ID, _UPSERT_BY_EMAIL = (
    {dialect: _new(dialect).on_conflict_do_update(index_elements=[_table.c.organization_id, key],
                                                  set_=_seen_bounds()).returning(*_RETURNED)
     for dialect in DIALECT_INSERTS}
    for key in (_table.c.external_id, _table.c.email))
_INSERT_NEW = {dialect: _new(dialect).on_conflict_do_nothing().returning(*_RETURNED) for dialect in DIALECT_INSERTS}
_MATCHING = select(*_RETURNED).where(
    _table.c.organization_id == bindparam("org"),
    (_table.c.external_id == bindparam("external_id")) | (_table.c.email == bindparam("email")))


def find_customer(external_id: str | None, email: str | None) -> Customer | None:
    """Look up without creating: reading a survey must not create people."""
    if external_id:
        found = db.session.scalar(select(Customer).where(Customer.external_id == external_id))
        if found:
            return found
    if email:
        return db.session.scalar(select(Customer).where(Customer.email == email.strip().lower()))
    return None
