"""the pending-follow-up index holds only pending rows, in id order

Revision ID: a5d3f8e2b7c1
Revises: e4a7c2d9f1b6
Create Date: 2026-12-02 14:20:00

The worker claims ``WHERE follow_up_pending ORDER BY id LIMIT 100``. The
index on (follow_up_pending) gives the pending rows in no useful order, so
PostgreSQL walked the primary key instead and stepped over every answer
already followed up, more with each batch: 20,000 pending comments took 111 ms
for the first batch and 464 ms for the last. On (id) WHERE pending, as the
scoring drain's index is (3b8e41d2c7a9), a claim reads just its batch.
"""
from alembic import op
import sqlalchemy as sa


revision = 'a5d3f8e2b7c1'
down_revision = 'e4a7c2d9f1b6'
branch_labels = None
depends_on = None

PENDING = "follow_up_pending"


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_follow_up_pending', postgresql_where=sa.text(PENDING),
                            sqlite_where=sa.text(PENDING))
        batch_op.create_index('ix_response_follow_up_pending', ['id'], unique=False,
                              postgresql_where=sa.text(PENDING), sqlite_where=sa.text(PENDING))


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_follow_up_pending', postgresql_where=sa.text(PENDING),
                            sqlite_where=sa.text(PENDING))
        batch_op.create_index('ix_response_follow_up_pending', ['follow_up_pending'], unique=False,
                              postgresql_where=sa.text(PENDING), sqlite_where=sa.text(PENDING))
