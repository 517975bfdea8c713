"""The name-search indexes over `search_text`: an FTS5 trigram table on SQLite, pg_trgm GIN indexes on
PostgreSQL. Neither is a mapped table, so `db.create_all()` creates them with the tables (DDL events
below) and migration search_0001 creates them on a migrated database; the two lists here are the one
source of both. Autogenerate ignores them (`include_object`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import DDL, Column, Integer, MetaData, Table, Text, event

from app.models.dossier import Dossier

FTS_TABLE = "dossier_fts"

# External-content FTS5 over dossier.search_text (rowid = dossier.id, an INTEGER PRIMARY KEY, so VACUUM
# keeps it), kept in step by triggers on every write of the column, the bench's bulk INSERT … SELECT too.
SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "search_text, content='dossier', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS dossier_fts_insert AFTER INSERT ON dossier BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS dossier_fts_delete AFTER DELETE ON dossier BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "END",
    f"CREATE TRIGGER IF NOT EXISTS dossier_fts_update AFTER UPDATE OF search_text ON dossier "
    "WHEN old.search_text IS NOT new.search_text BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
)
SQLITE_REBUILD = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS dossier_fts_update",
    "DROP TRIGGER IF EXISTS dossier_fts_delete",
    "DROP TRIGGER IF EXISTS dossier_fts_insert",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)

# pg_trgm's GIN operator class serves `LIKE '%…%'` itself: the queries stay the same LIKE, so they give
# exactly what they gave before, only without reading every row.
PG_INDEXES = {
    "ix_dossier_search_trgm": "dossier",
    "ix_open_task_search_trgm": "open_task",
}
PG_EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"


def pg_create_index(name: str, table: str) -> str:
    return f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_text gin_trgm_ops)"


# the FTS table as SQLAlchemy sees it, for queries only (its own MetaData: create_all never makes it)
dossier_fts = Table(
    FTS_TABLE, MetaData(), Column("rowid", Integer, primary_key=True), Column("search_text", Text)
)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic autogenerate: the search objects are made by hand (migration search_0001), not models."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False
    return not (type_ == "index" and name in PG_INDEXES)


def _on(table: Any, when: str, statements: list[str], dialect: str) -> None:
    for sql in statements:
        event.listen(table, when, DDL(sql).execute_if(dialect=dialect))  # type: ignore[no-untyped-call]


_on(Dossier.__table__, "after_create", list(SQLITE_CREATE), "sqlite")
_on(Dossier.__table__, "before_drop", list(SQLITE_DROP), "sqlite")
for _index, _table in PG_INDEXES.items():
    target = Dossier.metadata.tables[_table]
    _on(target, "after_create", [PG_EXTENSION, pg_create_index(_index, _table)], "postgresql")
