# SPDX-License-Identifier: Apache-2.0
"""Smart Invites: invitations to people with no connected calendar, and each recipient's answer.

Revision ID: 0010_smart_invites
Revises: 0009_busy_timelines
"""

from alembic import op
import sqlalchemy as sa


revision = '0010_smart_invites'
down_revision = '0009_busy_timelines'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'smart_invites',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('application_id', sa.String(length=40), nullable=False),
        sa.Column('smart_invite_id', sa.String(length=200), nullable=False),
        sa.Column('event', sa.JSON(), nullable=False),
        sa.Column('callback_url', sa.Text(), nullable=True),
        sa.Column('organizer_name', sa.String(length=200), nullable=True),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_smart_invites_application_id_applications')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_smart_invites')),
    )
    with op.batch_alter_table('smart_invites', schema=None) as batch_op:
        batch_op.create_index('ix_smart_invites_application_invite', ['application_id', 'smart_invite_id'], unique=True)
    op.create_table(
        'smart_invite_recipients',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('invite_id', sa.String(length=40), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['invite_id'], ['smart_invites.id'], name=op.f('fk_smart_invite_recipients_invite_id_smart_invites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_smart_invite_recipients')),
    )
    with op.batch_alter_table('smart_invite_recipients', schema=None) as batch_op:
        batch_op.create_index('ix_smart_invite_recipients_invite_email', ['invite_id', 'email'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('smart_invite_recipients', schema=None) as batch_op:
        batch_op.drop_index('ix_smart_invite_recipients_invite_email')
    op.drop_table('smart_invite_recipients')
    with op.batch_alter_table('smart_invites', schema=None) as batch_op:
        batch_op.drop_index('ix_smart_invites_application_invite')
    op.drop_table('smart_invites')
