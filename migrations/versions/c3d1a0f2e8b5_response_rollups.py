"""response rollups per touchpoint, day, channel and metric

Revision ID: c3d1a0f2e8b5
Revises: b7e2c4a9d1f3
Create Date: 2026-12-07 23:45:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = 'c3d1a0f2e8b5'
down_revision = 'b7e2c4a9d1f3'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
