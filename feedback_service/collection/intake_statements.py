"""The statements that store an answer, built once: building a statement costs more than running it.

Two shapes of the same write (see ``intake``):

- ``in_transaction(dialect)``: the answer, then its event, then the deliveries
  the event owes, as separate statements in the caller's transaction (SQLite,
  and PostgreSQL when the customer comes with both an id and an email, which
  takes a few reads to match).
- ``in_one_statement(customer_key)``: on PostgreSQL, the customer, the answer,
  its event and its deliveries in one data-modifying CTE. One statement is
  atomic by itself, so it runs in autocommit: one round trip, where a
  transaction would add BEGIN and COMMIT.

Every statement takes named parameters: ``org``, ``touchpoint_id``, ``stamp``
and ``survey_version_id`` (the card the answer was checked against), the
answer's columns, ``now``, and the event's ``event_type``, ``event_data`` and
``max_attempts``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import psycopg
from sqlalchemy import Integer, and_, bindparam, cast, exists, func, insert, literal_column, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..models import Customer, Event, Response, Touchpoint
from ..webhooks.fanout import owed_deliveries

ANSWER_COLUMNS = ("customer_id", "metric", "score", "comment", "context", "source", "idempotency_key",
                  "request_digest", "follow_up_pending", "sentiment_status", "sentiment_reason")


@dataclass(frozen=True)
class InTransaction:
    response: object
    # None on PostgreSQL, where ``deliveries`` inserts the event too (a CTE).
    event: object | None
    deliveries: object


def _answer_values(table, customer_id=None) -> dict:
    """The response row's values: bound parameters, and the touchpoint's columns where it has them."""
    touchpoints = Touchpoint.__table__
    now = bindparam("now", type_=table.c.created_at.type)
    values = {"organization_id": bindparam("org", type_=Integer)}
    values.update({name: bindparam(name, type_=table.c[name].type) for name in ANSWER_COLUMNS})
    if customer_id is not None:
        values["customer_id"] = customer_id
    values.update(touchpoint_id=touchpoints.c.id, survey_version_id=touchpoints.c.current_survey_version_id,
                  created_at=now, updated_at=now)
    return values


def _as_the_card_saw_it():
    """The touchpoint, if nothing changed since the card was read: an edit since stores nothing."""
    touchpoints = Touchpoint.__table__
    return and_(touchpoints.c.id == bindparam("touchpoint_id", type_=Integer),
                touchpoints.c.updated_at == bindparam("stamp", type_=touchpoints.c.updated_at.type),
                touchpoints.c.archived_at.is_(None),
                touchpoints.c.current_survey_version_id == bindparam("survey_version_id", type_=Integer))


def _event_values(events) -> dict:
    return {"organization_id": bindparam("org", type_=Integer),
            "type": bindparam("event_type", type_=events.c.type.type),
            "created_at": bindparam("now", type_=events.c.created_at.type)}


@functools.cache
def in_transaction(dialect: str) -> InTransaction:
    table, events = Response.__table__, Event.__table__
    values = _answer_values(table)
    dialect_insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    response = (dialect_insert(table).from_select(list(values), select(*values.values()).where(_as_the_card_saw_it()))
                .on_conflict_do_nothing(index_elements=[table.c.touchpoint_id, table.c.idempotency_key])
                .returning(table.c.id))
    event = insert(events).values(**_event_values(events),
                                  data=bindparam("event_data", type_=events.c.data.type)).returning(events.c.id)
    if dialect == "postgresql":
        return InTransaction(response, None, owed_deliveries(dialect, event.cte("created_event")))
    return InTransaction(response, event, owed_deliveries(dialect))


@functools.cache
def in_one_statement(customer_key: str | None):
    """PostgreSQL: the whole answer in one statement; returns (response id, delivery ids),
    or no row when the card was stale or the idempotency key already used.

    ``customer_key`` is the one key the customer came with (``external_id`` or
    ``email``), or None for an anonymous answer.
    """
    table, customers, events = Response.__table__, Customer.__table__, Event.__table__
    touchpoints = Touchpoint.__table__
    key = bindparam("idempotency_key", type_=table.c.idempotency_key.type)
    # Nothing is written when the answer cannot be stored: the touchpoint changed, or the
    # key was used (a concurrent twin still loses at ON CONFLICT below).
    unused_key = or_(key.is_(None), ~exists().where(table.c.touchpoint_id == touchpoints.c.id,
                                                    table.c.idempotency_key == key))
    live = select(touchpoints.c.id).where(_as_the_card_saw_it(), unused_key).cte("live")

    person = None
    if customer_key is not None:
        now = bindparam("now", type_=customers.c.first_seen_at.type)
        new = select(bindparam("org", type_=Integer), bindparam("external_id", type_=customers.c.external_id.type),
                     bindparam("email", type_=customers.c.email.type), now, now).select_from(live)
        upsert = postgresql_insert(customers).from_select(
            ["organization_id", "external_id", "email", "first_seen_at", "last_seen_at"], new)
        person = upsert.on_conflict_do_update(
            index_elements=[customers.c.organization_id, customers.c[customer_key]],
            set_={"first_seen_at": func.least(customers.c.first_seen_at, upsert.excluded.first_seen_at),
                  "last_seen_at": func.greatest(customers.c.last_seen_at, upsert.excluded.last_seen_at)},
        ).returning(customers.c.id, customers.c.external_id, customers.c.email).cte("person")

    values = _answer_values(table, select(person.c.id).scalar_subquery() if person is not None else None)
    answer = (postgresql_insert(table).from_select(
        list(values), select(*values.values()).where(touchpoints.c.id.in_(select(live.c.id))))
        .on_conflict_do_nothing(index_elements=[table.c.touchpoint_id, table.c.idempotency_key])
        .returning(table.c.id).cte("answer"))

    # The payload was built without what only the statement knows: the answer's id and the customer.
    data = func.jsonb_set(bindparam("event_data", type_=JSONB), literal_column("'{response,id}'"),
                          func.to_jsonb(answer.c.id))
    as_stored = (select(func.jsonb_build_object("id", person.c.id, "external_id", person.c.external_id,
                                                "email", person.c.email)).scalar_subquery()
                 if person is not None else None)
    data = func.jsonb_set(data, literal_column("'{customer}'"),
                          func.coalesce(as_stored, cast(literal_column("'null'"), JSONB)))
    event_values = {**_event_values(events), "data": data}
    created = (insert(events).from_select(list(event_values), select(*event_values.values()).select_from(answer))
               .returning(events.c.id).cte("created_event"))
    owed = owed_deliveries("postgresql", created).cte("owed")
    return select(answer.c.id, select(func.array_agg(owed.c.id, type_=ARRAY(Integer))).scalar_subquery())


@functools.cache
def _compiled_in_one_statement(customer_key: str | None) -> tuple[str, dict]:
    compiled = in_one_statement(customer_key).compile(dialect=postgresql_psycopg.dialect())
    return compiled.string, compiled.params


def run_in_one_statement(engine, customer_key: str | None, params: dict):
    """Run ``in_one_statement`` in autocommit, straight on the driver; its one row, or None.

    The hottest statement of the service skips SQLAlchemy's execution
    machinery, which costs more than the statement itself: it is compiled
    once, and the only values that need converting on the way (the JSON ones)
    are converted here.
    """
    sql, defaults = _compiled_in_one_statement(customer_key)
    values = {**defaults, **params, "context": json.dumps(params["context"]),
              "event_data": json.dumps(params["event_data"]), "customer_id": None}
    pooled = engine.raw_connection()
    try:
        driver = pooled.driver_connection
        driver.autocommit = True  # one statement is a transaction of its own
        try:
            return driver.execute(sql, values).fetchone()
        finally:
            driver.autocommit = False
    except (psycopg.OperationalError, psycopg.InterfaceError):
        pooled.invalidate()  # the connection broke: it is not handed out again
        raise
    finally:
        pooled.close()
