"""Wakes the job runner right after a commit that gave it work, instead of letting it poll.

A command that creates a job marks its session; after the commit (never before: an uncommitted job must not
be looked for) the in-process event is set, so this process's runner thread starts at once. On PostgreSQL
the same transaction also sends `NOTIFY hotich_jobs`, which PostgreSQL delivers only on commit, to every
runner listening on any machine.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from app.models import db

CHANNEL = "hotich_jobs"
_WAKE_KEY = "hotich_wake"
_event = threading.Event()


def wake_after_commit() -> None:
    """Called inside a write transaction that created a job."""
    session = db.session
    if session.info.get(_WAKE_KEY):
        return
    session.info[_WAKE_KEY] = True
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))


def wait(timeout: float) -> bool:
    """Block until woken or `timeout` seconds pass; True when woken."""
    woken = _event.wait(timeout)
    _event.clear()
    return woken


def wake() -> None:
    _event.set()


def _after_commit(session: Session) -> None:
    if session.info.pop(_WAKE_KEY, False):
        _event.set()


def _after_rollback(session: Session, *args: Any) -> None:
    session.info.pop(_WAKE_KEY, None)


def install() -> None:
    """Register the after-commit hook once per process."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)


class PgListener:
    """A dedicated autocommit connection LISTENing on the jobs channel; reconnects after an error and
    falls back to the in-process event meanwhile."""

    def __init__(self, url: Any) -> None:
        self.dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn: Any = None

    def wait(self, timeout: float) -> bool:
        import psycopg

        try:
            if self.conn is None or self.conn.closed:
                self.conn = psycopg.connect(self.dsn, autocommit=True)
                self.conn.execute(f"LISTEN {CHANNEL}")
            woken = False
            for _ in self.conn.notifies(timeout=timeout, stop_after=1):
                woken = True
            _event.clear()
            return woken
        except psycopg.Error:
            self.conn = None
            return wait(timeout)
