"""alert rules and the alerts they fired

Revision ID: e5f3c2b4a0d7
Revises: d4e2b1a3f9c6
Create Date: 2026-12-07 23:45:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = 'e5f3c2b4a0d7'
down_revision = 'd4e2b1a3f9c6'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
