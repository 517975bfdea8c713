"""process_draft: the analysts' drafts edited in the modeler (one per process key, versioned for If-Match)

Revision ID: modeler_0001
Revises: auditdesk_0001
"""

from alembic import op
import sqlalchemy as sa

import app.models.base


revision = "modeler_0001"
down_revision = "auditdesk_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "process_draft",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("bpmn_xml", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_process_draft")),
    )


def downgrade():
    op.drop_table("process_draft")
