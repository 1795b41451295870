"""follow_up (status, due_at): the SLA check finds late follow-ups without reading them all

Revision ID: b7e2c4a9d1f3
Revises: a5d3f8e2b7c1
Create Date: 2026-12-02 14:30:00

The check runs every sweep, for every organisation at once: ``status IN (new,
assigned, in_progress) AND due_at < now AND sla_breached_at IS NULL``. The
only index with both columns leads with organization_id, so PostgreSQL read
the whole table each time (every follow-up ever opened, closed ones too).
"""
from alembic import op


revision = 'b7e2c4a9d1f3'
down_revision = 'a5d3f8e2b7c1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index('ix_follow_up_open_due', ['status', 'due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_up_open_due')
