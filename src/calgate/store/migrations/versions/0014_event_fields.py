# SPDX-License-Identifier: Apache-2.0
"""Events keep the Cronofy fields calgate used to drop: a recurring managed event's rules
(``recurrence``) and, on each of its stored occurrences, the series it belongs to
(``series_id``); explicit conferencing; ``event_private``; ``extended_transparency``.

Occurrences share their series' ``event_id``, so the unique key on (calendar, event_id)
now holds for series (and single events) only: rows whose ``series_id`` is NULL.

Revision ID: 0014_event_fields
Revises: 0012_real_time_scheduling
"""

from alembic import op
import sqlalchemy as sa


revision = '0014_event_fields'
down_revision = '0012_real_time_scheduling'
branch_labels = None
depends_on = None

_ALONE = sa.text('series_id IS NULL')


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recurrence', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('series_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('conferencing', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('event_private', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('extended_transparency', sa.String(length=32), nullable=True))
        batch_op.drop_index('ix_events_calendar_event_id')
        batch_op.create_index(
            'ix_events_calendar_event_id', ['calendar_id', 'event_id'], unique=True,
            sqlite_where=_ALONE, postgresql_where=_ALONE,
        )
        batch_op.create_index('ix_events_series_id', ['series_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_series_id')
        batch_op.drop_index('ix_events_calendar_event_id')
    op.execute("DELETE FROM events WHERE series_id IS NOT NULL")
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_calendar_event_id', ['calendar_id', 'event_id'], unique=True)
        batch_op.drop_column('extended_transparency')
        batch_op.drop_column('event_private')
        batch_op.drop_column('conferencing')
        batch_op.drop_column('series_id')
        batch_op.drop_column('recurrence')
