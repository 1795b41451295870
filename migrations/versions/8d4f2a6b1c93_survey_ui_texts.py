"""survey_version.ui_texts: the widget's own words, given by the survey in its language

Revision ID: 8d4f2a6b1c93
Revises: 3b8e41d2c7a9
Create Date: 2026-12-02 10:00:00

Until now the widget's words (Send, Close, No comment, the statuses) came only
from the five built-in languages, so an Italian survey had English buttons.
A translation carries them in its JSON (``translations.<lang>.texts``); the
survey's own language needs this column. Existing versions give none: ``{}``.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '8d4f2a6b1c93'
down_revision = '3b8e41d2c7a9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ui_texts', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                                      server_default=sa.text("'{}'"), nullable=False))


def downgrade():
    with op.batch_alter_table('survey_version', schema=None) as batch_op:
        batch_op.drop_column('ui_texts')
