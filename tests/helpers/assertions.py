"""Assertions and counters the test modules share."""

from __future__ import annotations

from sqlalchemy import func, inspect, select
from werkzeug.http import HTTP_STATUS_CODES

from feedback_service.extensions import db


def assert_error(response, status: int, field: str | None = None) -> dict:
    """The response is the contract's error body for ``status``, naming ``field`` if given."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == status
    assert body["status"] == HTTP_STATUS_CODES[status]
    assert isinstance(body["message"], str) and body["message"].strip()
    if field is not None:
        assert field in body.get("errors", {}), body
    return body


def row_counts(app) -> dict[str, int]:
    """Rows in every table, read past the tenant filter (Core, not the ORM)."""
    with app.app_context():
        existing = set(inspect(db.engine).get_table_names())
        counts = {table.name: db.session.scalar(select(func.count()).select_from(table))
                  for table in db.metadata.sorted_tables if table.name in existing}
        db.session.remove()
    return counts
