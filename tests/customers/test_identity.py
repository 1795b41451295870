"""One customer across channels: first and last seen follow answers that arrive out of order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feedback_service.core.database import commit
from feedback_service.customers import identity as customers
from feedback_service.extensions import db


def test_an_older_answer_moves_first_seen_back_and_leaves_last_seen(app, org):
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with app.app_context(), org.scope():
        first = customers.resolve_customer(external_id="c-42", email=None, seen_at=monday)
        commit()
        # Tuesday's answer, then Sunday's from a widget that was offline, then Monday's again.
        for seen_at in (monday + timedelta(days=1), monday - timedelta(days=1), monday):
            again = customers.resolve_customer(external_id="c-42", email=None, seen_at=seen_at)
            commit()
            assert again.id == first.id
        db.session.expire_all()
        person = db.session.get(type(first), first.id)
        assert person.first_seen_at.replace(tzinfo=UTC) == monday - timedelta(days=1)
        assert person.last_seen_at.replace(tzinfo=UTC) == monday + timedelta(days=1)
