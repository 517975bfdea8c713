"""personal_data_read also records reads of a registry person's record (no dossier): subject, reader's commune

Revision ID: readlog_0001
Revises: modeler_0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'readlog_0001'
down_revision = 'modeler_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('personal_data_read') as batch:
        batch.alter_column('dossier_id', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('subject', sa.String(length=40), nullable=False, server_default=''))
        batch.add_column(sa.Column('commune_code', sa.String(length=5), nullable=True))


def downgrade():
    op.execute("DELETE FROM personal_data_read WHERE dossier_id IS NULL")
    with op.batch_alter_table('personal_data_read') as batch:
        batch.drop_column('commune_code')
        batch.drop_column('subject')
        batch.alter_column('dossier_id', existing_type=sa.Integer(), nullable=False)
