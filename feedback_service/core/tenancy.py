"""Tenant isolation, enforced once for every ORM statement.

The current organisation lives in a context variable set by authentication (or
by a job for the row it works on). While it is set, every ORM SELECT, UPDATE
and DELETE, including relationship loads, is filtered to that organisation's
rows with ``with_loader_criteria``, and every new row is stamped with it. A
route cannot forget to scope a query because routes never scope queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from ..models.base import TenantMixin

_current_tenant: ContextVar[int | None] = ContextVar("current_tenant", default=None)


class CrossTenantWrite(RuntimeError):
    """A row of one organisation was about to be written while serving another."""


def current_tenant_id() -> int | None:
    return _current_tenant.get()


def set_tenant(organization_id: int | None):
    """Serve this tenant for the rest of the request (or context).

    In a request the previous value is restored at teardown, so code around the
    request (a job, a test's own ``tenant_scope``) gets its tenant back.
    """
    token = _current_tenant.set(organization_id)
    if has_request_context():
        g.setdefault("_tenant_tokens", []).append(token)
    return token


def restore_request_tenant() -> None:
    """Teardown: undo what ``set_tenant`` did during this request."""
    for token in reversed(g.pop("_tenant_tokens", [])):
        try:
            _current_tenant.reset(token)
        except ValueError:  # set in another context (cannot happen in one WSGI call)
            _current_tenant.set(None)


@contextmanager
def tenant_scope(organization_id: int | None) -> Iterator[None]:
    token = _current_tenant.set(organization_id)
    try:
        yield
    finally:
        _current_tenant.reset(token)


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    tenant_id = _current_tenant.get()
    if tenant_id is None or state.is_column_load:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantMixin,
            lambda cls: cls.organization_id == tenant_id,
            include_aliases=True,
        )
    )


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, flush_context, instances) -> None:
    tenant_id = _current_tenant.get()
    if tenant_id is None:
        return
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TenantMixin):
            continue
        if obj.organization_id is None:
            obj.organization_id = tenant_id
        elif obj.organization_id != tenant_id:
            raise CrossTenantWrite(
                f"{type(obj).__name__} of organisation {obj.organization_id} "
                f"written while serving organisation {tenant_id}"
            )
