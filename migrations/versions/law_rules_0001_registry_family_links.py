"""registry stand-in: former spouses, adoptive parents, legal capacity (spec/api.md; HN&GĐ Art. 5(2)(d), 8(1)(c))

Revision ID: law_rules_0001
Revises: 26ff75a9f707
Create Date: 2026-12-02 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'law_rules_0001'
down_revision = '26ff75a9f707'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registry_person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('former_spouse_personal_ids', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('adoptive_mother_personal_id', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('adoptive_father_personal_id', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('legal_capacity', sa.String(length=7), nullable=False, server_default='full'))


def downgrade():
    with op.batch_alter_table('registry_person', schema=None) as batch_op:
        batch_op.drop_column('legal_capacity')
        batch_op.drop_column('adoptive_father_personal_id')
        batch_op.drop_column('adoptive_mother_personal_id')
        batch_op.drop_column('former_spouse_personal_ids')
