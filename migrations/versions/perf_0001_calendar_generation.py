"""counter 'calendar_generation': lets every app process keep the working calendar between transactions

Revision ID: perf_0001
Revises: search_0001
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "perf_0001"
down_revision = "search_0001"
branch_labels = None
depends_on = None

COUNTER = sa.table("counter", sa.column("key", sa.String), sa.column("value", sa.Integer))


def upgrade():
    # a random value, replaced by every calendar correction (app.services.working_calendar)
    bind = op.get_bind()
    present = bind.execute(sa.select(COUNTER.c.key).where(COUNTER.c.key == "calendar_generation")).first()
    if present is None:
        op.execute(COUNTER.insert().values(key="calendar_generation", value=secrets.randbits(31)))


def downgrade():
    op.execute(COUNTER.delete().where(COUNTER.c.key == "calendar_generation"))
