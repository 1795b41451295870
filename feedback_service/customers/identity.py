"""One customer across every touchpoint and channel."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Customer, Response, Touchpoint, utcnow
from ..core.pagination import MAX_LIMIT, Page, paginate
from ..core.tenancy import current_tenant_id
from ..core.lookup import get_or_404


def list_customers(*, external_id: str | None = None, email: str | None = None,
                   limit: int | None = None, cursor: str | None = None) -> Page:
    query = select(Customer)
    if external_id is not None:
        query = query.where(Customer.external_id == external_id)
    if email is not None:
        query = query.where(Customer.email == email.strip().lower())
    return paginate(query, [(Customer.id, int)], descending=True, limit=limit, cursor=cursor)


def get_customer(customer_id: int) -> Customer:
    return get_or_404(Customer, customer_id, what="customer")


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
    statement = _statements(connection.dialect.name).upsert_by_external_id if external_id \
        else _statements(connection.dialect.name).upsert_by_email
    row = connection.execute(statement, {"org": organization_id, "external_id": external_id, "email": email,
                                         "seen_at": seen_at}).one()
    return CustomerRef(*row)


def _matching(connection, organization_id: int, external_id: str, email: str):
    return connection.execute(_statements(connection.dialect.name).matching,
                              {"org": organization_id, "external_id": external_id, "email": email}).all()


def _insert(connection, organization_id: int, external_id: str | None, email: str | None,
            seen_at: datetime) -> CustomerRef | None:
    row = connection.execute(_statements(connection.dialect.name).insert, {
        "org": organization_id, "external_id": external_id, "email": email, "seen_at": seen_at}).first()
    return CustomerRef(*row) if row else None


def _touch(connection, customer_id: int, seen_at: datetime, changes: dict) -> CustomerRef:
    table = Customer.__table__
    statement = update(table).where(table.c.id == customer_id).values(
        **_seen_bounds(connection.dialect.name), **changes).returning(table.c.id, table.c.external_id, table.c.email)
    return CustomerRef(*connection.execute(statement, {"seen_at": seen_at}).one())


def _seen_bounds(dialect: str) -> dict:
    # Answers can arrive out of order (an offline widget sends yesterday's today).
    table = Customer.__table__
    least, greatest = (func.min, func.max) if dialect == "sqlite" else (func.least, func.greatest)
    at = bindparam("seen_at", type_=table.c.first_seen_at.type)
    return {"first_seen_at": least(table.c.first_seen_at, at), "last_seen_at": greatest(table.c.last_seen_at, at)}


@dataclass(frozen=True)
class _Statements:
    upsert_by_external_id: object
    upsert_by_email: object
    matching: object
    insert: object


@functools.cache
def _statements(dialect: str) -> _Statements:
    """Built once per dialect: building a statement costs more than running it."""
    table = Customer.__table__
    returning = (table.c.id, table.c.external_id, table.c.email)
    at = bindparam("seen_at", type_=table.c.first_seen_at.type)
    new = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(table).values(
        organization_id=bindparam("org", type_=Integer), first_seen_at=at, last_seen_at=at,
        external_id=bindparam("external_id", type_=table.c.external_id.type),
        email=bindparam("email", type_=table.c.email.type))
    upserts = [new.on_conflict_do_update(index_elements=[table.c.organization_id, key], set_=_seen_bounds(dialect))
               .returning(*returning) for key in (table.c.external_id, table.c.email)]
    matching = select(*returning).where(
        table.c.organization_id == bindparam("org"),
        (table.c.external_id == bindparam("external_id")) | (table.c.email == bindparam("email")))
    return _Statements(*upserts, matching, new.on_conflict_do_nothing().returning(*returning))


# A timeline page holds this many answers (each with its follow-ups) unless the caller asks for
# fewer: the whole history of most customers, on one page, as before timelines were paged.
TIMELINE_PAGE_SIZE = MAX_LIMIT


@dataclass(frozen=True)
class AnswerSpan:
    """How many answers a customer gave, and when the first and the latest came: the whole
    history's figures, which no one page of the timeline can give."""

    count: int
    first_at: datetime | None
    latest_at: datetime | None


def answer_span(customer: Customer) -> AnswerSpan:
    count, first_at, latest_at = db.session.execute(
        select(func.count(Response.id), func.min(Response.created_at), func.max(Response.created_at))
        .where(Response.customer_id == customer.id)
    ).one()
    return AnswerSpan(count, first_at, latest_at)


def timeline(customer: Customer, *, limit: int | None = None, cursor: str | None = None) -> Page:
    """Everything the customer told us and what we did about it, newest first,
    with where and how they said it: one page of it.

    A page is ``limit`` of the customer's answers, newest first by when they
    answered (``created_at``, then id: imports arrive out of order), and the
    follow-ups of those answers, all sorted by ``at``. The cursor keys on the
    answers alone, so a follow-up always comes on the page of the answer it is
    about, whenever it last changed, and a follow-up changing between two pages
    neither moves nor repeats anything. Its cursor pages this list only: one of
    ``/responses`` holds the same kinds of values, so it is told apart by its tag.
    """
    from ..models import FollowUp

    query = (
        select(Response)
        .where(Response.customer_id == customer.id)
        .options(joinedload(Response.touchpoint).joinedload(Touchpoint.journey),
                 joinedload(Response.survey_version))
    )
    page = paginate(query, [(Response.created_at, datetime), (Response.id, int)], descending=True,
                    limit=limit or TIMELINE_PAGE_SIZE, cursor=cursor, ordering="timeline")
    responses = page.items
    entries = [
        {
            "type": "response",
            "at": response.created_at,
            "response_id": response.id,
            "touchpoint_id": response.touchpoint_id,
            "touchpoint_name": response.touchpoint.name,
            "journey_id": response.touchpoint.journey_id,
            "journey_name": response.touchpoint.journey.name,
            "channel": response.touchpoint.channel,
            "source": response.source,
            "metric": response.metric,
            "question": response.survey_version.question,
            "score": response.score,
            "comment": response.comment,
            "sentiment_label": response.sentiment_label,
        }
        for response in responses
    ]
    by_response = {response.id: response for response in responses}
    follow_ups = db.session.scalars(
        select(FollowUp).where(FollowUp.response_id.in_(list(by_response))).options(joinedload(FollowUp.owner))
    ).unique().all() if by_response else []
    entries += [
        {
            "type": "follow_up",
            "at": follow_up.updated_at,
            "follow_up_id": follow_up.id,
            "response_id": follow_up.response_id,
            "touchpoint_id": follow_up.touchpoint_id,
            "touchpoint_name": by_response[follow_up.response_id].touchpoint.name,
            "status": follow_up.status,
            "priority": follow_up.priority,
            "owner": follow_up.owner.name or follow_up.owner.email if follow_up.owner else None,
        }
        for follow_up in follow_ups
    ]
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    return Page(items=entries, next_cursor=page.next_cursor)
