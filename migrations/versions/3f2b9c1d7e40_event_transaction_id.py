"""event.txid: the writing transaction, so the log pages in an order commits cannot reorder

Revision ID: 3f2b9c1d7e40
Revises: 55c19a744fa9
Create Date: 2026-12-01 10:00:00

On PostgreSQL each event records ``pg_current_xact_id()`` of the transaction
that wrote it, by a server default, so every way of inserting events stamps it.
Existing events all get this migration's transaction id (PostgreSQL evaluates a
stable default once when the column is added): they keep their id order and
sort before anything written afterwards.

SQLite serialises writers, so commit order is id order there: the column exists
(the models are the same on both) and stays NULL.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '3f2b9c1d7e40'
down_revision = '55c19a744fa9'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE event ADD COLUMN txid xid8 DEFAULT pg_current_xact_id()')
    else:
        with op.batch_alter_table('event', schema=None) as batch_op:
            batch_op.add_column(sa.Column('txid', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_org_txid_id', ['organization_id', 'txid', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_org_txid_id')
        batch_op.drop_column('txid')
