"""The Alembic migrations build exactly the schema the models declare (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from app import create_app
from app.extensions import db


def test_migrations_match_models(database_url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "HOTICH_JOB_RUNNER": "off"})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff: list[Any] = compare_metadata(MigrationContext.configure(conn), db.metadata)
        db.engine.dispose()
    assert diff == []
