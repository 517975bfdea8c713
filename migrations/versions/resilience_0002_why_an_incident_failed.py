"""job.failure: why an incident failed — 'rejected' by the registry (at once) or 'exhausted' retries (issue 11)

Revision ID: resilience_0002
Revises: resilience_0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'resilience_0002'
down_revision = 'resilience_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure', sa.String(length=12), nullable=True))


def downgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_column('failure')
