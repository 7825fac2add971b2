# SPDX-License-Identifier: Apache-2.0
"""Real-Time Scheduling links (``domain/scheduling_links``): the validated request, the URL
token as digest and sealed copy, the status and the booking.

Revision ID: 0012_real_time_scheduling
Revises: 0011_element_tokens
"""

from alembic import op
import sqlalchemy as sa


revision = '0012_real_time_scheduling'
down_revision = '0011_element_tokens'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'scheduling_links',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('application_id', sa.String(length=40), nullable=False),
        sa.Column('token_digest', sa.String(length=64), nullable=False),
        sa.Column('token_sealed', sa.Text(), nullable=False),
        sa.Column('request', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('display_message', sa.Text(), nullable=True),
        sa.Column('booking', sa.JSON(), nullable=True),
        sa.Column('no_times_displayed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_scheduling_links_application_id_applications')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduling_links')),
        sa.UniqueConstraint('token_digest', name=op.f('uq_scheduling_links_token_digest')),
    )
    with op.batch_alter_table('scheduling_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheduling_links_application_id'), ['application_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('scheduling_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheduling_links_application_id'))
    op.drop_table('scheduling_links')
