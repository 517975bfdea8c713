"""Backup and restore of the whole database: SQLite's online backup API, PostgreSQL's pg_dump/pg_restore.

A backup is taken while the application runs (SQLite copies a consistent snapshot page by page while
writers continue; pg_dump reads one MVCC snapshot). A restore replaces the database entirely — stop the
web and job processes first — and then migrates it to the schema of the running code, so a backup taken
by an older release restores onto a newer one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import URL

from app.models import AuditEvent, Dossier, db


class BackupError(RuntimeError):
    """The backup or restore could not be made; the message says why (shown by the CLI)."""


@dataclass(frozen=True)
class Summary:
    dossiers: int
    events: int
    schema: str | None

    def __str__(self) -> str:
        return f"{self.dossiers} dossiers, {self.events} audit events, schema {self.schema or '?'}"


def backup(target: Path) -> Summary:
    """Write a backup of the application's database to `target` (a SQLite file, or a pg_dump archive)."""
    url = db.engine.url
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(url, target)
    elif url.get_backend_name() == "postgresql":
        tmp = target.with_name(target.name + ".part")
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={tmp}"], url)
        tmp.replace(target)  # never a half-written backup under the final name
    else:
        raise BackupError(f"no backup method for {url.get_backend_name()}")
    return summary()


def restore(source: Path) -> Summary:
    """Replace the application's database by the backup `source`, then migrate it to the current schema."""
    from flask_migrate import upgrade

    url = db.engine.url
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    db.session.remove()
    db.engine.dispose()  # no pooled connection may keep the old database open
    if url.get_backend_name() == "sqlite":
        _sqlite_restore(source, url)
    elif url.get_backend_name() == "postgresql":
        _run(["pg_restore", "--list", str(source)], url)  # a readable archive, before anything is dropped
        with db.engine.begin() as conn:
            # everything goes, including tables a newer schema added: the backup's schema is restored
            # as it was and then migrated forward
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.engine.dispose()
        restore_command = [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
        ]
        _run([*restore_command, f"--dbname={_dbname(url)}", str(source)], url)
    else:
        raise BackupError(f"no restore method for {url.get_backend_name()}")
    upgrade()
    # a backup from before audit_0001 has chains without MACs or sealed heads: seal the intact ones, as
    # `flask seal-audit-chains` does after an upgrade (a broken plain chain stays unsealed and fails /verify)
    from app.services.audit import seal_unsealed_chains
    from app.services.collaborators import collaborators

    seal_unsealed_chains(collaborators().clock.now())
    db.session.remove()
    db.engine.dispose()
    return summary()


def summary() -> Summary:
    """What the database holds: dossiers, audit events and the Alembic revision."""
    dossiers = db.session.scalar(select(func.count()).select_from(Dossier)) or 0
    events = db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    try:
        schema = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - a database made by create_all has no Alembic table
        db.session.rollback()
        schema = None
    db.session.commit()
    return Summary(int(dossiers), int(events), schema)


def _sqlite_backup(url: URL, target: Path) -> None:
    source = _sqlite_path(url)
    tmp = target.with_name(target.name + ".part")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst)  # the online backup API: a consistent copy while other connections write
    finally:
        dst.close()
        src.close()
    tmp.replace(target)


def _sqlite_restore(source: Path, url: URL) -> None:
    check = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        if check.execute("PRAGMA integrity_check").fetchone() != ("ok",):
            raise BackupError(f"{source} is not an intact SQLite database")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} is not a SQLite database: {exc}") from exc
    finally:
        check.close()
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(_sqlite_path(url), timeout=30)
    try:
        src.backup(dst)  # page by page into the live file: WAL and other connections stay consistent
    finally:
        dst.close()
        src.close()


def _sqlite_path(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return url.database


def _dbname(url: URL) -> str:
    return url.database or ""


def _run(command: list[str], url: URL) -> None:
    """Run a PostgreSQL client tool against `url`; credentials through the environment, not argv."""
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools)")
    env: dict[str, Any] = dict(os.environ)
    for name, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[name] = str(value)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[:2000]}")
