"""calendar_day: admin corrections of the working-day calendar

Revision ID: law_calendar_0001
Revises: law_rules_0001
"""
from alembic import op
import sqlalchemy as sa

import app.models.base


revision = 'law_calendar_0001'
down_revision = 'law_rules_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('changed_by', sa.String(length=80), nullable=False),
    sa.Column('changed_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_day'))
    )


def downgrade():
    op.drop_table('calendar_day')
