"""Name search without reading every row: FTS5 trigram table on SQLite, pg_trgm GIN indexes on PostgreSQL

Revision ID: search_0001
Revises: readlog_0001
"""

from alembic import op

from app.models.search_index import (
    PG_EXTENSION,
    PG_INDEXES,
    SQLITE_CREATE,
    SQLITE_DROP,
    SQLITE_REBUILD,
    pg_create_index,
)

revision = "search_0001"
down_revision = "readlog_0001"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        for sql in SQLITE_CREATE:
            op.execute(sql)
        op.execute(SQLITE_REBUILD)  # index the dossiers already stored
    else:
        op.execute(PG_EXTENSION)
        for name, table in PG_INDEXES.items():
            op.execute(pg_create_index(name, table))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for sql in SQLITE_DROP:
            op.execute(sql)
    else:
        for name in PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        # the pg_trgm extension stays: other objects of the server may use it
