# SPDX-License-Identifier: Apache-2.0
"""ICS subscription URLs of hosted calendars: only the token's digest is stored.

Revision ID: 0003_calendar_subscriptions
Revises: 0002_events
"""

from alembic import op
import sqlalchemy as sa


revision = '0003_calendar_subscriptions'
down_revision = '0002_events'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_subscriptions',
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('calendar_id', sa.String(length=80), nullable=False),
    sa.Column('grant_id', sa.String(length=40), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['calendar_id'], ['calendars.id'], name=op.f('fk_calendar_subscriptions_calendar_id_calendars')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_calendar_subscriptions_grant_id_grants')),
    sa.PrimaryKeyConstraint('token_digest', name=op.f('pk_calendar_subscriptions'))
    )
    with op.batch_alter_table('calendar_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_subscriptions_calendar_id'), ['calendar_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('calendar_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_subscriptions_calendar_id'))

    op.drop_table('calendar_subscriptions')
