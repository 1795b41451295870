"""touchpoint themes found in comments

Revision ID: d4e2b1a3f9c6
Revises: c3d1a0f2e8b5
Create Date: 2026-12-07 23:45:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = 'd4e2b1a3f9c6'
down_revision = 'c3d1a0f2e8b5'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
