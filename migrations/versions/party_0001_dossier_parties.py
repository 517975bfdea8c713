"""dossier_party: the personal ids of a marriage's bride and groom, indexed, for the once-only check (KH-04)

Revision ID: party_0001
Revises: perf_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "party_0001"
down_revision = "perf_0001"
branch_labels = None
depends_on = None

# the party fields of the procedures at this revision (app.procedures: marriage's party_id_paths); a
# migration keeps its own copy so that it means the same whatever the code later becomes
PARTY_PATHS = {"marriage": (("bride", "personal_id"), ("groom", "personal_id"))}
DOSSIER = sa.table(
    "dossier", sa.column("id", sa.Integer), sa.column("procedure", sa.String), sa.column("data", sa.JSON)
)


def upgrade():
    party = op.create_table(
        "dossier_party",
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("personal_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossier.id"]),
        sa.PrimaryKeyConstraint("dossier_id", "personal_id"),
    )
    op.create_index("ix_dossier_party_personal_id", "dossier_party", ["personal_id"])
    bind = op.get_bind()
    rows = []
    for dossier_id, procedure, data in bind.execute(
        sa.select(DOSSIER.c.id, DOSSIER.c.procedure, DOSSIER.c.data).where(
            DOSSIER.c.procedure.in_(sorted(PARTY_PATHS))
        )
    ):
        ids = set()
        for block, key in PARTY_PATHS[procedure]:
            value = data.get(block).get(key) if isinstance(data, dict) and isinstance(data.get(block), dict) else None
            if isinstance(value, str) and value and len(value) <= 64:
                ids.add(value)
        rows += [{"dossier_id": dossier_id, "personal_id": pid} for pid in sorted(ids)]
    if rows:
        op.bulk_insert(party, rows)


def downgrade():
    op.drop_index("ix_dossier_party_personal_id", table_name="dossier_party")
    op.drop_table("dossier_party")
