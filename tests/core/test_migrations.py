"""The committed migrations build exactly the models' schema, from empty, on either database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from feedback_service import create_app
from feedback_service.core.tenancy import tenant_scope
from feedback_service.events import log as events
from feedback_service.extensions import db
from feedback_service.models import utcnow


def schema_drift(app) -> list:
    """What autogenerate would put in a new migration: empty when the two agree."""
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                **app.extensions["migrate"].configure_args,
                "target_metadata": db.metadata,
            })
            return compare_metadata(context, db.metadata)


def tables(app) -> set[str]:
    with app.app_context():
        return set(inspect(db.engine).get_table_names())


def test_the_upgraded_database_matches_the_models(app):
    assert schema_drift(app) == []


def test_every_model_table_exists_after_upgrade(app):
    assert {table.name for table in db.metadata.sorted_tables} <= tables(app)


def test_the_migration_chain_runs_down_to_empty_and_up_again(app_config, fresh_database_url):
    fresh = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": fresh_database_url})
    try:
        with fresh.app_context():
            upgrade()
        assert schema_drift(fresh) == []

        with fresh.app_context():
            downgrade(revision="base")
        assert tables(fresh) <= {"alembic_version"}

        with fresh.app_context():
            upgrade()
        assert schema_drift(fresh) == []
        assert {table.name for table in db.metadata.sorted_tables} <= tables(fresh)
    finally:
        with fresh.app_context():
            db.engine.dispose()


def test_events_logged_before_the_transaction_column_keep_their_order(app_config, fresh_database_url, database_kind):
    fresh = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": fresh_database_url})
    try:
        with fresh.app_context():
            upgrade(revision="55c19a744fa9")
            with db.engine.begin() as connection:
                connection.execute(text("INSERT INTO organization (id, name, sla_hours, is_demo, created_at, "
                                        "updated_at) VALUES (1, 'Old', '{}', false, :now, :now)"), {"now": utcnow()})
                for n in (1, 2, 3):
                    connection.execute(text("INSERT INTO event (organization_id, type, data, created_at) "
                                            "VALUES (1, 'alert.triggered', :data, :now)"),
                                       {"data": f'{{"n": {n}}}', "now": utcnow()})
            upgrade()
            with tenant_scope(1):
                page = events.list_events()
                later = events.record("alert.triggered", {"n": 4})
                db.session.commit()
                after = events.list_events(after=events.cursor_of(page.items[-1]))
            txids = {event.txid for event in page.items}
        assert [event.data["n"] for event in page.items] == [1, 2, 3]
        assert [event.data["n"] for event in after.items] == [4]
        if database_kind == "postgresql":
            # All stamped with the migration's own transaction: before anything written since.
            assert len(txids) == 1 and None not in txids and later["txid"] > txids.pop()
        else:
            assert txids == {None}
    finally:
        with fresh.app_context():
            db.engine.dispose()
