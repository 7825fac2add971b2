# SPDX-License-Identifier: Apache-2.0
"""UI Element tokens (``domain/element_tokens``): kept only as digests, bound to their
application, subs, permissions and origin.

Revision ID: 0011_element_tokens
Revises: 0010_smart_invites
"""

from alembic import op
import sqlalchemy as sa


revision = '0011_element_tokens'
down_revision = '0010_smart_invites'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'element_tokens',
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('application_id', sa.String(length=40), nullable=False),
        sa.Column('permissions', sa.JSON(), nullable=False),
        sa.Column('subs', sa.JSON(), nullable=False),
        sa.Column('origin', sa.String(length=300), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_element_tokens_application_id_applications')),
        sa.PrimaryKeyConstraint('digest', name=op.f('pk_element_tokens')),
    )
    with op.batch_alter_table('element_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_element_tokens_application_id'), ['application_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('element_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_element_tokens_application_id'))
    op.drop_table('element_tokens')
