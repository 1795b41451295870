"""Fetching rows by id within the current tenant, with errors a client can act on."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select

from ..extensions import db
from ..models.base import MAX_ID
from .errors import Invalid, NotFound

T = TypeVar("T")


def is_possible_id(id_: int) -> bool:
    return 1 <= id_ <= MAX_ID


def _get(model: type[T], id_: int) -> T | None:
    return db.session.get(model, id_) if is_possible_id(id_) else None


def get_or_404(model: type[T], id_: int, *, what: str | None = None) -> T:
    """A row addressed by the URL; 404 when absent or another tenant's."""
    obj = _get(model, id_)
    if obj is None or getattr(obj, "archived_at", None) is not None:
        raise NotFound(f"No {what or model.__name__.lower()} with id {id_}.")
    return obj


def resolve_reference(model: type[T], id_: int, field: str) -> T:
    """A row named in a request body; 422 naming the field when absent or another tenant's."""
    obj = _get(model, id_)
    if obj is None or getattr(obj, "archived_at", None) is not None:
        raise Invalid(field, f"No {model.__name__.lower()} with id {id_} in this organisation.")
    return obj


def resolve_references(model: type[T], ids: list[int], field: str) -> list[T]:
    wanted = list(dict.fromkeys(ids))
    possible = [i for i in wanted if is_possible_id(i)]
    found = {obj.id: obj for obj in db.session.scalars(select(model).where(model.id.in_(possible)))}
    missing = [i for i in wanted if i not in found]
    if missing:
        ids = ", ".join(map(str, missing))
        raise Invalid(field, f"No {model.__name__.lower()} with id {ids} in this organisation.")
    return [found[i] for i in wanted]
