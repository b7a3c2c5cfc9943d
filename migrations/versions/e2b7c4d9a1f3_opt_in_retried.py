"""messages: the clock retries opt-in invitations like staff texts (one partial index)

Revision ID: e2b7c4d9a1f3
Revises: c13e7a1b2d01
Create Date: 2026-12-03 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e2b7c4d9a1f3'
down_revision = 'c13e7a1b2d01'
branch_labels = None
depends_on = None

RETRIED = "topic IN ('staff', 'opt_in')"


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_staff_status')
        batch_op.create_index(
            'ix_messages_retried_status',
            ['status'],
            unique=False,
            sqlite_where=sa.text(RETRIED),
            postgresql_where=sa.text(RETRIED),
        )


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_retried_status')
        batch_op.create_index(
            'ix_messages_staff_status',
            ['status'],
            unique=False,
            sqlite_where=sa.text("topic = 'staff'"),
            postgresql_where=sa.text("topic = 'staff'"),
        )
