# SPDX-License-Identifier: Apache-2.0
"""Busy timelines: each calendar's busy time kept ready to read (``domain/busy_timeline``),
built here for every existing calendar from its events and busy blocks.

Revision ID: 0009_busy_timelines
Revises: 0008_event_tags
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session


revision = '0009_busy_timelines'
down_revision = '0008_event_tags'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'busy_timelines',
        sa.Column('calendar_id', sa.String(length=80), nullable=False),
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('tentative', sa.Integer(), nullable=False),
        sa.Column('index', sa.LargeBinary(), nullable=False),
        sa.Column('details', sa.LargeBinary(), nullable=False),
        sa.Column('refs', sa.Text(), nullable=False),
        sa.Column('apart', sa.Text(), nullable=False),
        sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_busy_timelines_account_id_accounts')),
        sa.ForeignKeyConstraint(['calendar_id'], ['calendars.id'], name=op.f('fk_busy_timelines_calendar_id_calendars')),
        sa.PrimaryKeyConstraint('calendar_id', name=op.f('pk_busy_timelines')),
    )
    with op.batch_alter_table('busy_timelines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_busy_timelines_account_id'), ['account_id'], unique=False)
    # The existing calendars' timelines, by the code that keeps them (the one way they are built).
    from calgate.store import busy_timelines

    session = Session(bind=op.get_bind())
    ids = list(session.scalars(sa.text("SELECT id FROM calendars")))
    busy_timelines.rebuild(session, ids)
    session.close()


def downgrade() -> None:
    with op.batch_alter_table('busy_timelines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_busy_timelines_account_id'))
    op.drop_table('busy_timelines')
