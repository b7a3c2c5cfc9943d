"""patients.unenrolled_from (staff unenroll can be undone) and scans.time_confirmed
(a rhythm-planned scan has a date, its time is asked of staff)

Revision ID: e25a9c3d4f03
Revises: e2b7c4d9a1f3
Create Date: 2026-12-03 12:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e25a9c3d4f03'
down_revision = 'e2b7c4d9a1f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unenrolled_from', sa.String(length=12), nullable=True))
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('time_confirmed', sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_column('time_confirmed')
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_column('unenrolled_from')
