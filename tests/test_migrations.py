"""The Alembic migrations build exactly the schema the models declare (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, stamp, upgrade

from app import create_app
from app.extensions import db
from app.models import Dossier, DossierParty
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


def test_party_migration_fills_the_index_for_the_marriages_already_stored(app: Any, client: Any) -> None:
    """party_0001 on a database with marriages: each gets its bride's and groom's rows (KH-04 reads them)."""
    from tests.api_client import Api
    from tests.services.procedures import DUC_ANH, MAI, marriage_submission, submit

    code = submit(Api(client), app, marriage_submission(MAI, DUC_ANH))
    with app.app_context():
        stamp()
        downgrade(revision="perf_0001")  # the table is gone, as on a database from before it
        upgrade()
        ids = db.session.scalars(
            sa.select(DossierParty.personal_id)
            .join(Dossier, Dossier.id == DossierParty.dossier_id)
            .where(Dossier.code == code)
        ).all()
        assert sorted(ids) == sorted([MAI[0], DUC_ANH[0]])
        db.session.remove()
