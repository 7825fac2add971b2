# SPDX-License-Identifier: Apache-2.0
"""Enterprise Connect: service accounts, their own grants (with no account), and the profiles
whose access comes from one.

Revision ID: 0007_service_accounts
Revises: 0006_developer_sessions
"""

from alembic import op
import sqlalchemy as sa


revision = '0007_service_accounts'
down_revision = '0006_developer_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'service_accounts',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('application_id', sa.String(length=40), nullable=False),
        sa.Column('provider', sa.String(length=32), nullable=False),
        sa.Column('access_mode', sa.String(length=32), nullable=False),
        sa.Column('scope', sa.Text(), nullable=False),
        sa.Column('delegated_scope', sa.Text(), nullable=False),
        sa.Column('domain', sa.String(length=254), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('credentials_sealed', sa.Text(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_service_accounts_application_id_applications')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_accounts')),
    )
    with op.batch_alter_table('service_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_accounts_application_id'), ['application_id'], unique=False)

    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.alter_column('account_id', existing_type=sa.String(length=40), nullable=True)
        batch_op.add_column(sa.Column('service_account_id', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_grants_service_account_id'), ['service_account_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_grants_service_account_id_service_accounts'), 'service_accounts', ['service_account_id'], ['id']
        )

    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_account_id', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_profiles_service_account_id'), ['service_account_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_profiles_service_account_id_service_accounts'), 'service_accounts', ['service_account_id'], ['id']
        )


def downgrade() -> None:
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_profiles_service_account_id_service_accounts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_profiles_service_account_id'))
        batch_op.drop_column('service_account_id')

    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_grants_service_account_id_service_accounts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_grants_service_account_id'))
        batch_op.drop_column('service_account_id')
        batch_op.alter_column('account_id', existing_type=sa.String(length=40), nullable=False)

    with op.batch_alter_table('service_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_accounts_application_id'))

    op.drop_table('service_accounts')
