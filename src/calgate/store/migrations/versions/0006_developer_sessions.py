# SPDX-License-Identifier: Apache-2.0
"""Dashboard sign-in hardening: a session epoch per developer (signing out ends every copy of
the session cookie) and a lockout after repeated wrong passwords.

Revision ID: 0006_developer_sessions
Revises: 0005_provider_sync
"""

from alembic import op
import sqlalchemy as sa


revision = '0006_developer_sessions'
down_revision = '0005_provider_sync'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('developers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('failed_sign_ins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('developers', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_sign_ins')
        batch_op.drop_column('session_epoch')
