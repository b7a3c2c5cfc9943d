"""index scans awaiting their time (partial), for the clock

Revision ID: 3cfc71cb1da5
Revises: 29f1555ce90a
Create Date: 2026-11-23 18:25:00.484604

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3cfc71cb1da5'
down_revision = '29f1555ce90a'
branch_labels = None
depends_on = None

SCHEDULED_ONLY = sa.text("status = 'scheduled'")


def upgrade():
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.create_index(
            'ix_scans_upcoming',
            ['scheduled_at'],
            unique=False,
            sqlite_where=SCHEDULED_ONLY,
            postgresql_where=SCHEDULED_ONLY,
        )


def downgrade():
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_index('ix_scans_upcoming')
