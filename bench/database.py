"""The bench database: a fresh SQLite file (WAL) or PostgreSQL database per run, and the app on it."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

PASSWORD = "demo12345"  # every demo user's password (seed_demo)
PG_ADMIN_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


class BenchDatabase:
    """A fresh database for one benchmark run: a SQLite file in a temp dir (WAL, as the app configures it),
    or a new database on the PostgreSQL server given by --postgres (dropped at the end)."""

    def __init__(self, postgres: str | None, keep: bool = False) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="hotich-bench-"))
        self.keep = keep
        self.pg_admin: str | None = None
        self.pg_name: str | None = None
        if postgres:
            import psycopg

            self.pg_admin = postgres.replace("postgresql+psycopg://", "postgresql://")
            self.pg_name = f"hotich_bench_{secrets.token_hex(5)}"
            with psycopg.connect(self.pg_admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.pg_name}"')
            self.url = self.pg_admin.rsplit("/", 1)[0] + "/" + self.pg_name
        else:
            self.url = f"sqlite:///{self.workdir / 'bench.db'}"
        self.kind = "postgresql" if postgres else "sqlite"
        os.environ["HOTICH_INSTANCE_PATH"] = str(self.workdir / "instance")
        os.environ.setdefault("SECRET_KEY", secrets.token_hex(16))

    def size_bytes(self) -> int:
        if self.kind == "sqlite":
            return sum(p.stat().st_size for p in self.workdir.glob("bench.db*"))
        import psycopg

        assert self.pg_admin is not None
        with psycopg.connect(self.pg_admin) as conn:
            row = conn.execute("SELECT pg_database_size(%s)", (self.pg_name,)).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        if self.pg_name and not self.keep:
            import psycopg

            assert self.pg_admin is not None
            with psycopg.connect(self.pg_admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
        if not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
        else:
            print(f"kept: {self.workdir} {self.url}")


def make_app(db: BenchDatabase) -> Any:
    """The application on the bench database with the real SystemClock; schema and demo seed created."""
    from app import create_app
    from app.extensions import db as sqla
    from app.services.seed import seed_demo

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": db.url,
            "HOTICH_JOB_RUNNER": "off",
            "HOTICH_MAIL_OUTBOX": str(db.workdir / "outbox"),
        }
    )
    with app.app_context():
        sqla.create_all()
        seed_demo(PASSWORD)
        sqla.session.remove()
    return app
