"""Fetching rows by id within the current tenant, with errors a client can act on."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select

from ..errors import Invalid, NotFound
from ..extensions import db

T = TypeVar("T")


def get_or_404(model: type[T], id_: int, *, what: str | None = None) -> T:
    """A row addressed by the URL; 404 when absent or another tenant's."""
    obj = db.session.get(model, id_)
    if obj is None or getattr(obj, "archived_at", None) is not None:
        raise NotFound(f"No {what or model.__name__.lower()} with id {id_}.")
    return obj


def resolve_reference(model: type[T], id_: int, field: str) -> T:
    """A row named in a request body; 422 naming the field when absent or another tenant's."""
    obj = db.session.get(model, id_)
    if obj is None or getattr(obj, "archived_at", None) is not None:
        raise Invalid(field, f"No {model.__name__.lower()} with id {id_} in this organisation.")
    return obj


def resolve_references(model: type[T], ids: list[int], field: str) -> list[T]:
    wanted = list(dict.fromkeys(ids))
    found = {obj.id: obj for obj in db.session.scalars(select(model).where(model.id.in_(wanted)))}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise Invalid(field, f"No {model.__name__.lower()} with id {', '.join(map(str, missing))} in this organisation.")
    return [found[i] for i in wanted]
