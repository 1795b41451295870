"""touchpoint themes found in comments

Revision ID: d4e2b1a3f9c6
Revises: c3d1a0f2e8b5
Create Date: 2026-12-07 23:45:00

``theme`` holds each touchpoint's themes as the job last found them, ``theme_member`` each
comment of that window with its theme (null: looked at, in none), so any period's figures are
counted from the assignment; ``theme_run`` when and over what that was done, for the sweep.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = 'd4e2b1a3f9c6'
down_revision = 'c3d1a0f2e8b5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('theme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('terms', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_theme_organization_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], name=op.f('fk_theme_touchpoint_id_touchpoint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_theme'))
    )
    with op.batch_alter_table('theme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('ix_theme_touchpoint_position', ['touchpoint_id', 'position'], unique=False)

    op.create_table('theme_run',
    sa.Column('touchpoint_id', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('comments', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_theme_run_organization_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], name=op.f('fk_theme_run_touchpoint_id_touchpoint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('touchpoint_id', name=op.f('pk_theme_run'))
    )
    with op.batch_alter_table('theme_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_run_organization_id'), ['organization_id'], unique=False)

    op.create_table('theme_member',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=True),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_theme_member_organization_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_theme_member_response_id_response'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['theme.id'], name=op.f('fk_theme_member_theme_id_theme'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], name=op.f('fk_theme_member_touchpoint_id_touchpoint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', name=op.f('pk_theme_member'))
    )
    with op.batch_alter_table('theme_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theme_member_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index('ix_theme_member_theme_weight', ['theme_id', 'weight'], unique=False)
        batch_op.create_index('ix_theme_member_touchpoint', ['touchpoint_id'], unique=False)


def downgrade():
    with op.batch_alter_table('theme_member', schema=None) as batch_op:
        batch_op.drop_index('ix_theme_member_touchpoint')
        batch_op.drop_index('ix_theme_member_theme_weight')
        batch_op.drop_index(batch_op.f('ix_theme_member_organization_id'))

    op.drop_table('theme_member')
    with op.batch_alter_table('theme_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_theme_run_organization_id'))

    op.drop_table('theme_run')
    with op.batch_alter_table('theme', schema=None) as batch_op:
        batch_op.drop_index('ix_theme_touchpoint_position')
        batch_op.drop_index(batch_op.f('ix_theme_organization_id'))

    op.drop_table('theme')
