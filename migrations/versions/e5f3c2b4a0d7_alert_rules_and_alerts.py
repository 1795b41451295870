"""alert rules and the alerts they fired

Revision ID: e5f3c2b4a0d7
Revises: d4e2b1a3f9c6
Create Date: 2026-12-07 23:45:00

A rule watches one touchpoint's figure over a moving window (alerts/evaluation.py);
each breach is one ``alert`` row, open until it recovers. The partial unique index
allows one open alert per rule, so two workers evaluating at once cannot fire one
breach twice. Alerts outlive their rule (``rule_id`` SET NULL): they are history.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = 'e5f3c2b4a0d7'
down_revision = 'd4e2b1a3f9c6'
branch_labels = None
depends_on = None

OPEN = "recovered_at IS NULL"


def upgrade():
    op.create_table('alert_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('window_hours', sa.Integer(), nullable=False),
    sa.Column('min_n', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_value', sa.Float(), nullable=True),
    sa.Column('last_n', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_alert_rule_organization_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], name=op.f('fk_alert_rule_touchpoint_id_touchpoint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_rule'))
    )
    with op.batch_alter_table('alert_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_rule_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('ix_alert_rule_touchpoint', ['touchpoint_id'], unique=False)

    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('touchpoint_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('metric', sa.String(length=8), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('window_hours', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('ci_low', sa.Float(), nullable=True),
    sa.Column('ci_high', sa.Float(), nullable=True),
    sa.Column('baseline', sa.Float(), nullable=True),
    sa.Column('baseline_n', sa.Integer(), nullable=True),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recovered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recovered_value', sa.Float(), nullable=True),
    sa.Column('end_reason', sa.String(length=24), nullable=True),
    sa.Column('notified', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_alert_organization_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['alert_rule.id'], name=op.f('fk_alert_rule_id_alert_rule'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], name=op.f('fk_alert_touchpoint_id_touchpoint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert'))
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index('ix_alert_org_fired', ['organization_id', 'fired_at', 'id'], unique=False)
        batch_op.create_index('ix_alert_touchpoint_fired', ['touchpoint_id', 'fired_at'], unique=False)
        batch_op.create_index('ix_alert_rule_fired', ['rule_id', 'fired_at'], unique=False)
        batch_op.create_index('uq_alert_open_per_rule', ['rule_id'], unique=True,
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade():
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index('uq_alert_open_per_rule', postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
        batch_op.drop_index('ix_alert_rule_fired')
        batch_op.drop_index('ix_alert_touchpoint_fired')
        batch_op.drop_index('ix_alert_org_fired')
    op.drop_table('alert')
    with op.batch_alter_table('alert_rule', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_rule_touchpoint')
        batch_op.drop_index(batch_op.f('ix_alert_rule_organization_id'))
    op.drop_table('alert_rule')
