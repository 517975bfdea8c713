"""Engine tuning: SQLite in WAL mode with a busy timeout and BEGIN IMMEDIATE for commands."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        # let SQLAlchemy emit BEGIN itself, so a command can ask for BEGIN IMMEDIATE
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # commands take the write lock up front (see services.transaction.begin_write)
        immediate = conn.get_execution_options().get("hotich_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
