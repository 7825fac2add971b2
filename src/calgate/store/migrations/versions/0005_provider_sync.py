# SPDX-License-Identifier: Apache-2.0
"""Connected providers: sealed credentials and sync state on profiles, the provider's keys on
calendars and events (and where an event was before it moved), busy blocks for free_busy
profiles, and push notification channels.

Revision ID: 0005_provider_sync
Revises: 0004_managed_availability
"""

from alembic import op
import sqlalchemy as sa


revision = '0005_provider_sync'
down_revision = '0004_managed_availability'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credentials_sealed', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('initial_sync_done', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('last_synced_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sync_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('sync_failures', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('calendars', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remote_id', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('sync_state', sa.Text(), nullable=True))

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remote_id', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('etag', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('recurrence_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('remote_uid', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('moved_from_start_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('moved_from_end_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_events_calendar_remote', ['calendar_id', 'remote_id'], unique=False)

    op.create_table('busy_blocks',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('calendar_id', sa.String(length=80), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_busy_blocks_account_id_accounts')),
    sa.ForeignKeyConstraint(['calendar_id'], ['calendars.id'], name=op.f('fk_busy_blocks_calendar_id_calendars')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_busy_blocks'))
    )
    with op.batch_alter_table('busy_blocks', schema=None) as batch_op:
        batch_op.create_index('ix_busy_blocks_account_window', ['account_id', 'start_at', 'end_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_busy_blocks_calendar_id'), ['calendar_id'], unique=False)

    op.create_table('channels',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('application_id', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('callback_url', sa.Text(), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_channels_account_id_accounts')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_channels_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels'))
    )
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channels_account_id'), ['account_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channels_account_id'))
    op.drop_table('channels')
    with op.batch_alter_table('busy_blocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_busy_blocks_calendar_id'))
        batch_op.drop_index('ix_busy_blocks_account_window')
    op.drop_table('busy_blocks')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_calendar_remote')
        batch_op.drop_column('moved_from_end_at')
        batch_op.drop_column('moved_from_start_at')
        batch_op.drop_column('remote_uid')
        batch_op.drop_column('recurrence_id')
        batch_op.drop_column('etag')
        batch_op.drop_column('remote_id')
    with op.batch_alter_table('calendars', schema=None) as batch_op:
        batch_op.drop_column('sync_state')
        batch_op.drop_column('remote_id')
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.drop_column('sync_failures')
        batch_op.drop_column('sync_error')
        batch_op.drop_column('last_synced_at')
        batch_op.drop_column('initial_sync_done')
        batch_op.drop_column('credentials_sealed')
