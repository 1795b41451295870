"""response rollups per touchpoint, day, channel and metric; customers' steps and their rollup

Revision ID: c3d1a0f2e8b5
Revises: b7e2c4a9d1f3
Create Date: 2026-12-07 23:45:00

Reports add up these counts instead of reading every answer. The answers stored
before this migration are counted here, in one grouped INSERT; from now on the
service keeps the counts, and ``flask --app wsgi rollups rebuild`` recounts them.
The customers' steps (the journey report's transitions) start empty: the worker's
first sweep finds every customer changed since the beginning and computes them.
"""
from alembic import op
import sqlalchemy as sa


revision = 'c3d1a0f2e8b5'
down_revision = 'b7e2c4a9d1f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'response_rollup',
        sa.Column('touchpoint_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('metric', sa.String(length=8), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('sentiment', sa.String(length=8), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('touchpoint_id', 'day', 'source', 'metric', 'score', 'sentiment'),
    )
    with op.batch_alter_table('response_rollup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_rollup_organization_id'), ['organization_id'], unique=False)
    # The UTC day of each answer: PostgreSQL stores timestamptz, SQLite the UTC time as text.
    day = ("(created_at AT TIME ZONE 'UTC')::date" if op.get_bind().dialect.name == "postgresql"
           else "date(created_at)")
    op.execute(f"""
        INSERT INTO response_rollup (organization_id, touchpoint_id, day, source, metric, score, sentiment, count)
        SELECT organization_id, touchpoint_id, {day}, source, metric, score,
               CASE WHEN sentiment_status = 'scored' THEN COALESCE(sentiment_label, '') ELSE '' END, count(*)
        FROM response
        GROUP BY organization_id, touchpoint_id, {day}, source, metric, score,
                 CASE WHEN sentiment_status = 'scored' THEN COALESCE(sentiment_label, '') ELSE '' END
    """)


    op.create_table(
        'customer_step',
        sa.Column('from_response_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('to_response_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('from_touchpoint_id', sa.Integer(), nullable=False),
        sa.Column('to_touchpoint_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('change', sa.Float(), nullable=False),
        sa.Column('worse', sa.Boolean(), nullable=False),
        sa.Column('contacted_support', sa.Boolean(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('from_response_id'),
    )
    with op.batch_alter_table('customer_step', schema=None) as batch_op:
        batch_op.create_index('ix_customer_step_customer', ['customer_id'], unique=False)
    op.create_table(
        'step_rollup',
        sa.Column('from_touchpoint_id', sa.Integer(), nullable=False),
        sa.Column('to_touchpoint_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('steps', sa.Integer(), nullable=False),
        sa.Column('change_sum', sa.Float(), nullable=False),
        sa.Column('worse', sa.Integer(), nullable=False),
        sa.Column('contacted_support', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['from_touchpoint_id'], ['touchpoint.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['to_touchpoint_id'], ['touchpoint.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('from_touchpoint_id', 'to_touchpoint_id', 'day'),
    )
    with op.batch_alter_table('step_rollup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_step_rollup_organization_id'), ['organization_id'], unique=False)
    op.create_table(
        'sweep_mark',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade():
    op.drop_table('sweep_mark')
    with op.batch_alter_table('step_rollup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_step_rollup_organization_id'))
    op.drop_table('step_rollup')
    with op.batch_alter_table('customer_step', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_step_customer')
    op.drop_table('customer_step')
    with op.batch_alter_table('response_rollup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_rollup_organization_id'))
    op.drop_table('response_rollup')
