"""The committed migrations build exactly the models' schema, from empty, on either database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from feedback_service import create_app
from feedback_service.extensions import db


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
