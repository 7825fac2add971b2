# SPDX-License-Identifier: Apache-2.0
"""Events carry the application's private tags (Availability constraints count by them).

Revision ID: 0008_event_tags
Revises: 0007_service_accounts
"""

from alembic import op
import sqlalchemy as sa


revision = '0008_event_tags'
down_revision = '0007_service_accounts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tags', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('tags')
