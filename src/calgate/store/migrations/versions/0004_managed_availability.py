# SPDX-License-Identifier: Apache-2.0
"""Managed availability: availability rules (weekly patterns) and available periods (one-off
periods), each keyed by the application's id, unique per account.

Revision ID: 0004_managed_availability
Revises: 0003_calendar_subscriptions
"""

from alembic import op
import sqlalchemy as sa


revision = '0004_managed_availability'
down_revision = '0003_calendar_subscriptions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('availability_rules',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('availability_rule_id', sa.String(length=64), nullable=False),
    sa.Column('tzid', sa.String(length=64), nullable=False),
    sa.Column('calendar_ids', sa.JSON(), nullable=True),
    sa.Column('weekly_periods', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_availability_rules_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_rules'))
    )
    with op.batch_alter_table('availability_rules', schema=None) as batch_op:
        batch_op.create_index('ix_availability_rules_account_rule', ['account_id', 'availability_rule_id'], unique=True)

    op.create_table('available_periods',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('available_period_id', sa.String(length=64), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tzid', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_available_periods_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_available_periods'))
    )
    with op.batch_alter_table('available_periods', schema=None) as batch_op:
        batch_op.create_index('ix_available_periods_account_period', ['account_id', 'available_period_id'], unique=True)
        batch_op.create_index('ix_available_periods_account_window', ['account_id', 'start_at', 'end_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('available_periods', schema=None) as batch_op:
        batch_op.drop_index('ix_available_periods_account_window')
        batch_op.drop_index('ix_available_periods_account_period')

    op.drop_table('available_periods')
    with op.batch_alter_table('availability_rules', schema=None) as batch_op:
        batch_op.drop_index('ix_availability_rules_account_rule')

    op.drop_table('availability_rules')