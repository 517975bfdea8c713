"""The one write path: every change to the database is one call of `write(work)`.

`write` ends the request's read transaction, takes the write lock *first* (SQLite `BEGIN IMMEDIATE`; on
PostgreSQL the work locks the rows it changes, e.g. the dossier with `SELECT … FOR UPDATE`), runs `work`,
and commits. Any exception rolls everything back, so a rejected or crashed request leaves no trace.

Why the lock comes first: SQLite cannot upgrade a WAL read snapshot to a writer once another connection has
committed (SQLITE_BUSY_SNAPSHOT, "database is locked" at once, the busy timeout does not help). Taking the
lock up front makes a writer wait its turn instead. Contention that still surfaces (SQLite busy after the
timeout, a PostgreSQL serialization failure or deadlock) is retried a bounded number of times with jittered
backoff; only then does the caller get 409 "busy" — never a 500.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from app.models import db
from app.services.errors import Conflict

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_ATTEMPTS = 6
BACKOFF_S = 0.02  # first retry after ~20 ms, doubling, with full jitter
# PostgreSQL SQLSTATEs worth retrying: serialization_failure, deadlock_detected, lock_not_available
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


class Busy(Conflict):
    """The database stayed contended through every retry; nothing was written."""

    code = "busy"


def write(
    work: Callable[[], T],
    *,
    attempts: int = MAX_ATTEMPTS,
    retry_on: tuple[type[Exception], ...] = (),
) -> T:
    """Run `work` in one write transaction and commit; roll back on any exception.

    `retry_on` adds exception types that mean "another writer got there first, look again" (e.g. the
    IntegrityError of a concurrent duplicate `Idempotency-Key`): the work runs again and sees their commit.
    """
    for attempt in range(1, attempts + 1):
        begin_write()
        try:
            result = work()
            db.session.commit()
            return result
        except StaleDataError as exc:
            db.session.rollback()
            raise Conflict("Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại.", code="stale") from exc
        except Exception as exc:
            db.session.rollback()
            retryable = is_contention(exc) or isinstance(exc, retry_on)
            if not retryable:
                raise
            if attempt == attempts:
                log.warning("write gave up after %s attempts: %s", attempts, exc)
                raise Busy("Hệ thống đang bận, thao tác chưa được thực hiện. Vui lòng thử lại.") from exc
            time.sleep(random.uniform(0, BACKOFF_S * 2 ** (attempt - 1)))
    raise AssertionError("unreachable")  # pragma: no cover


def begin_write() -> None:
    """End any read transaction and open a write transaction (BEGIN IMMEDIATE on SQLite, see app.database).

    The read transaction wrote nothing, so committing it only ends it and keeps the objects it loaded
    (expire_on_commit=False); changes made before the write began are discarded, never committed unlocked."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        log.error("changes made outside a write transaction were discarded")
        session.rollback()
    else:
        session.commit()
    db.session.connection(execution_options={"hotich_write": True})


def is_contention(exc: BaseException) -> bool:
    """SQLite busy/locked, or a PostgreSQL serialization failure / deadlock / lock timeout."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database table is locked" in text or "busy" in text
