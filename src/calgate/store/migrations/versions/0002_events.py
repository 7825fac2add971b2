# SPDX-License-Identifier: Apache-2.0
"""Events in hosted calendars, application calendars on accounts, and ordered jobs (an
event's invitations go out in SEQUENCE order).

Revision ID: 0002_events
Revises: 0001_initial
"""

from alembic import op
import sqlalchemy as sa


revision = '0002_events'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('events',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('calendar_id', sa.String(length=80), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('application_id', sa.String(length=40), nullable=True),
    sa.Column('event_id', sa.String(length=200), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('start', sa.JSON(), nullable=False),
    sa.Column('end', sa.JSON(), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('location', sa.JSON(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('reminders', sa.JSON(), nullable=False),
    sa.Column('transparency', sa.String(length=16), nullable=False),
    sa.Column('color', sa.String(length=16), nullable=True),
    sa.Column('attendees', sa.JSON(), nullable=False),
    sa.Column('participation_status', sa.String(length=16), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_events_account_id_accounts')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_events_application_id_applications')),
    sa.ForeignKeyConstraint(['calendar_id'], ['calendars.id'], name=op.f('fk_events_calendar_id_calendars')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_account_updated', ['account_id', 'updated_at'], unique=False)
        batch_op.create_index('ix_events_account_window', ['account_id', 'start_at', 'end_at'], unique=False)
        batch_op.create_index('ix_events_calendar_event_id', ['calendar_id', 'event_id'], unique=True)

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_calendar_id', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_accounts_application_calendar', ['application_id', 'application_calendar_id'], unique=True)

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ordering_key', sa.String(length=120), nullable=True))
        batch_op.create_index('ix_jobs_ordering_key', ['ordering_key', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_ordering_key')
        batch_op.drop_column('ordering_key')

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index('ix_accounts_application_calendar')
        batch_op.drop_column('application_calendar_id')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_calendar_event_id')
        batch_op.drop_index('ix_events_account_window')
        batch_op.drop_index('ix_events_account_updated')

    op.drop_table('events')
