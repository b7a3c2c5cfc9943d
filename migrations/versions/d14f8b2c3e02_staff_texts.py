"""messages: who on staff sent a text, and its retries (staff conversations)

Revision ID: d14f8b2c3e02
Revises: 7b3f9e1c4a20
Create Date: 2026-11-30 15:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd14f8b2c3e02'
down_revision = '7b3f9e1c4a20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_by', sa.String(length=254), nullable=True))
        batch_op.add_column(
            sa.Column('attempts', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.create_index(
            'ix_messages_staff_status',
            ['status'],
            unique=False,
            sqlite_where=sa.text("topic = 'staff'"),
            postgresql_where=sa.text("topic = 'staff'"),
        )


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_staff_status')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('sent_by')
