"""audits, their findings and audit links

Revision ID: f6a4d3c5b1e8
Revises: e5f3c2b4a0d7
Create Date: 2026-12-08 00:55:00

An audit is one walk of a journey (audits/walks.py); each finding is what it found at one
touchpoint. Audit links are signed tokens (audits/links.py): nothing is stored for them.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = 'f6a4d3c5b1e8'
down_revision = 'e5f3c2b4a0d7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('auditor_id', sa.Integer(), nullable=True),
    sa.Column('shopper_name', sa.String(length=200), nullable=True),
    sa.Column('scenario', sa.Text(), nullable=False),
    sa.Column('channels', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['auditor_id'], ['user.id'], name=op.f('fk_audit_auditor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['journey_id'], ['journey.id'], name=op.f('fk_audit_journey_id_journey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_audit_organization_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit'))
    )
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.create_index('ix_audit_journey_started', ['journey_id', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_organization_id'), ['organization_id'], unique=False)

    op.create_table('audit_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('expectation', sa.String(length=24), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=True),
    sa.Column('effort', sa.String(length=16), nullable=True),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('reached', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['audit_id'], ['audit.id'], name=op.f('fk_audit_finding_audit_id_audit'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_audit_finding_organization_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_audit_finding_team_id_team'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], name=op.f('fk_audit_finding_touchpoint_id_touchpoint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_finding'))
    )
    with op.batch_alter_table('audit_finding', schema=None) as batch_op:
        batch_op.create_index('ix_audit_finding_audit', ['audit_id', 'touchpoint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_finding_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('ix_audit_finding_touchpoint', ['touchpoint_id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_finding', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_finding_touchpoint')
        batch_op.drop_index(batch_op.f('ix_audit_finding_organization_id'))
        batch_op.drop_index('ix_audit_finding_audit')

    op.drop_table('audit_finding')
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_organization_id'))
        batch_op.drop_index('ix_audit_journey_started')

    op.drop_table('audit')
