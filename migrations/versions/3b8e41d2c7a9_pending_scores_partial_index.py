"""the pending-score index holds only pending rows, in id order

Revision ID: 3b8e41d2c7a9
Revises: 3f2b9c1d7e40
Create Date: 2026-12-01 19:10:00

The drain claims ``WHERE sentiment_status = 'pending' ORDER BY id LIMIT n``.
On (sentiment_status, updated_at) PostgreSQL fetched every pending row and
sorted them for each batch, so a backlog cost O(backlog) per batch; and every
scored row stayed in the index for good. On (id) WHERE pending the claim reads
just the batch, and a scored row leaves the index.
"""
from alembic import op
import sqlalchemy as sa


revision = '3b8e41d2c7a9'
down_revision = '3f2b9c1d7e40'
branch_labels = None
depends_on = None

PENDING = "sentiment_status = 'pending'"


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_sentiment_pending')
        batch_op.create_index('ix_response_sentiment_pending', ['id'], unique=False,
                              postgresql_where=sa.text(PENDING), sqlite_where=sa.text(PENDING))


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_sentiment_pending', postgresql_where=sa.text(PENDING),
                            sqlite_where=sa.text(PENDING))
        batch_op.create_index('ix_response_sentiment_pending', ['sentiment_status', 'updated_at'], unique=False)
