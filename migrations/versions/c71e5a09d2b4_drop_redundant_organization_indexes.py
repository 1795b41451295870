"""organization_id alone is not indexed where an index already starts with it

Revision ID: c71e5a09d2b4
Revises: 8d4f2a6b1c93
Create Date: 2026-12-01 20:50:00

Every tenant table had an index on organization_id by itself. On these seven a
composite index or a unique constraint leads with organization_id and serves
the same lookups, while each insert (an answer, its event) kept both.
"""
from alembic import op


revision = 'c71e5a09d2b4'
down_revision = '8d4f2a6b1c93'
branch_labels = None
depends_on = None

TABLES = ("customer", "event", "follow_up", "response", "root_cause", "team", "user")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_organization_id")


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_organization_id", ["organization_id"], unique=False)
