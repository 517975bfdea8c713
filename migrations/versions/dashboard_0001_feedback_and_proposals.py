"""feedback and feedback_proposal: citizens' feedback, its category and answer, proposals linked to a process version

Revision ID: dashboard_0001
Revises: resilience_0002
Create Date: 2026-12-03 14:09:20.962586

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = 'dashboard_0001'
down_revision = 'resilience_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feedback_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('procedure', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('process_version_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['process_version_id'], ['process_version.id'], name=op.f('fk_feedback_proposal_process_version_id_process_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_proposal'))
    )
    op.create_table('feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('procedure', sa.String(length=20), nullable=False),
    sa.Column('commune_code', sa.String(length=5), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('element_id', sa.String(length=100), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('client_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('categorised_by', sa.String(length=80), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by', sa.String(length=80), nullable=True),
    sa.Column('answered_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['commune_code'], ['commune.code'], name=op.f('fk_feedback_commune_code_commune')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_feedback_dossier_id_dossier')),
    sa.ForeignKeyConstraint(['proposal_id'], ['feedback_proposal.id'], name=op.f('fk_feedback_proposal_id_feedback_proposal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback'))
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_client_created', ['client_hash', 'created_at'], unique=False)
        batch_op.create_index('ix_feedback_commune_created', ['commune_code', 'created_at'], unique=False)
        batch_op.create_index('ix_feedback_dossier_id', ['dossier_id'], unique=False)



def downgrade():
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_dossier_id')
        batch_op.drop_index('ix_feedback_commune_created')
        batch_op.drop_index('ix_feedback_client_created')

    op.drop_table('feedback')
    op.drop_table('feedback_proposal')
