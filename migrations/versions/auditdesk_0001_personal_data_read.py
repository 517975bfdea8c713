"""personal_data_read: every read of a dossier's personal data (Decree 13/2023)

Revision ID: auditdesk_0001
Revises: dashboard_0001
"""
from alembic import op
import sqlalchemy as sa

import app.models.base


revision = 'auditdesk_0001'
down_revision = 'dashboard_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('personal_data_read',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('roles', sa.String(length=200), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('dossier_code', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('view', sa.String(length=60), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_personal_data_read_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_data_read'))
    )
    op.create_index('ix_personal_data_read_dossier_at', 'personal_data_read', ['dossier_id', 'at'], unique=False)
    op.create_index('ix_personal_data_read_username_at', 'personal_data_read', ['username', 'at'], unique=False)


def downgrade():
    op.drop_index('ix_personal_data_read_username_at', table_name='personal_data_read')
    op.drop_index('ix_personal_data_read_dossier_at', table_name='personal_data_read')
    op.drop_table('personal_data_read')
