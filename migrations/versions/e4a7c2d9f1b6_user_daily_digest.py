"""user.digest_enabled, digest_sent_on, last_digest_at: the daily digest of follow-ups

Revision ID: e4a7c2d9f1b6
Revises: c71e5a09d2b4
Create Date: 2026-12-03 09:00:00

Each member of staff gets one email a day about the follow-ups they own
(services/digests.py). ``digest_enabled`` is their opt-out (existing staff are
opted in: the digest is skipped anyway for whoever owns nothing open);
``digest_sent_on`` is the day whose digest was claimed, so two sweeps or two
workers send it once; ``last_digest_at`` bounds "newly assigned since".
"""
from alembic import op
import sqlalchemy as sa


revision = 'e4a7c2d9f1b6'
down_revision = 'c71e5a09d2b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_enabled', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('digest_sent_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('last_digest_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('last_digest_at')
        batch_op.drop_column('digest_sent_on')
        batch_op.drop_column('digest_enabled')
