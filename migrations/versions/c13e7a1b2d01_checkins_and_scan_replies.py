"""checkins: weekly symptom check-ins (schedule, conversations, answers) and C/R replies

Revision ID: c13e7a1b2d01
Revises: d14f8b2c3e02
Create Date: 2026-11-30 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c13e7a1b2d01'
down_revision = 'd14f8b2c3e02'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'checkin_schedules',
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('local_time', sa.String(length=5), nullable=False),
        sa.Column('next_due_at', sa.DateTime(), nullable=True),
        sa.Column('note', sa.String(length=200), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('patient_id'),
    )
    op.create_index('ix_checkin_schedules_next_due_at', 'checkin_schedules', ['next_due_at'])
    op.create_table(
        'checkins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=12), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('reasked', sa.Boolean(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('last_prompt_at', sa.DateTime(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_checkins_patient_id', 'checkins', ['patient_id'])
    op.create_index('ix_checkins_status_prompt', 'checkins', ['status', 'last_prompt_at'])
    op.create_table(
        'checkin_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('checkin_id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('question', sa.String(length=24), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('value', sa.Integer(), nullable=True),
        sa.Column('grade', sa.Integer(), nullable=True),
        sa.Column('trend', sa.String(length=8), nullable=True),
        sa.Column('escalation', sa.String(length=16), nullable=True),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['checkin_id'], ['checkins.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('checkin_id', 'question', name='uq_checkin_question'),
    )
    op.create_index('ix_checkin_answers_checkin_id', 'checkin_answers', ['checkin_id'])
    op.create_index('ix_checkin_answers_message_id', 'checkin_answers', ['message_id'])
    op.create_index('ix_checkin_answers_patient_id', 'checkin_answers', ['patient_id'])
    op.create_table(
        'scan_replies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('scan_id', sa.Integer(), nullable=True),
        sa.Column('reminder_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['reminder_id'], ['reminders.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['scan_id'], ['scans.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_scan_replies_patient_id', 'scan_replies', ['patient_id'])
    op.create_index('ix_scan_replies_scan_id', 'scan_replies', ['scan_id'])


def downgrade():
    op.drop_table('scan_replies')
    op.drop_table('checkin_answers')
    op.drop_table('checkins')
    op.drop_table('checkin_schedules')
