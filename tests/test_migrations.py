"""The Alembic migrations build exactly the schema the models declare (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from app.models.search_index import FTS_TABLE, PG_INDEXES, include_object


def search_objects(conn: Any) -> set[str]:
    """The name-search objects present: the FTS5 table and its triggers, or the trigram indexes."""
    if conn.dialect.name == "sqlite":
        rows = conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')"))
        return {r[0] for r in rows} & expected_search_objects("sqlite")
    rows = conn.execute(sa.text("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%_search_trgm'"))
    return {r[0] for r in rows}


def expected_search_objects(dialect: str) -> set[str]:
    if dialect == "sqlite":
        return {FTS_TABLE, "dossier_fts_insert", "dossier_fts_update", "dossier_fts_delete"}
    return set(PG_INDEXES)


def test_migrations_match_models(database_url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "HOTICH_JOB_RUNNER": "off"})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            opts = {"include_object": include_object}
            diff: list[Any] = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
            assert search_objects(conn) == expected_search_objects(conn.dialect.name)
        db.engine.dispose()
    assert diff == []


def test_search_migration_down_and_up_keeps_the_index_in_step(database_url: str) -> None:
    """search_0001 down drops the search objects; up again builds them over the dossiers already stored."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "HOTICH_JOB_RUNNER": "off"})
    with app.app_context():
        upgrade()
        downgrade(revision="readlog_0001")
        with db.engine.connect() as conn:
            assert search_objects(conn) == set()
        upgrade()
        with db.engine.connect() as conn:
            assert search_objects(conn) == expected_search_objects(conn.dialect.name)
        db.engine.dispose()


def test_create_all_makes_the_same_search_objects(app: Any) -> None:
    with app.app_context(), db.engine.connect() as conn:
        assert search_objects(conn) == expected_search_objects(conn.dialect.name)
