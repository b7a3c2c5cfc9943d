"""the answer card a text got, or the cards offered to choose from

Revision ID: e7c4a9d2b815
Revises: e25a9c3d4f03
Create Date: 2026-12-03 12:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7c4a9d2b815'
down_revision = 'e25a9c3d4f03'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cards', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('cards')
