# SPDX-License-Identifier: Apache-2.0
"""Changing a connection's access mode: each of the application's events remembers how it
reaches the person (``events.delivery``: ``provider`` or ``email_invite``), so an upgrade
never writes an accepted invitation into the calendar a second time.

Existing managed events take their profile's mode as it is now (free_busy and no_calendar
invite by email; read_write writes into the calendar). The person's own events keep NULL.

Revision ID: 0015_access_mode_change
Revises: 0014_event_fields
"""

from alembic import op
import sqlalchemy as sa


revision = '0015_access_mode_change'
down_revision = '0014_event_fields'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery', sa.String(length=16), nullable=True))
    # The modes as they were when this revision was written (a migration does not follow
    # later changes of the policy module).
    op.execute(
        "UPDATE events SET delivery = CASE "
        "WHEN (SELECT p.access_mode FROM calendars c JOIN profiles p ON p.id = c.profile_id WHERE c.id = events.calendar_id) "
        "IN ('free_busy', 'no_calendar') THEN 'email_invite' ELSE 'provider' END "
        "WHERE event_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('delivery')
