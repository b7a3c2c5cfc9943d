"""the language of each message; a patient's language may be not yet known

Revision ID: 5e1a7c2d9b40
Revises: 3cfc71cb1da5
Create Date: 2026-11-30 13:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1a7c2d9b40'
down_revision = '3cfc71cb1da5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=8), nullable=True)


def downgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=8), nullable=False)
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('language')
