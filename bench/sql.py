"""Counting the SQL statements and commits of a block, with SQLAlchemy's public engine events."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

TX_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|END|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


@dataclass
class SqlSample:
    statements: list[str] = field(default_factory=list)
    commits: int = 0

    @property
    def raw(self) -> int:
        return len(self.statements)

    @property
    def tx(self) -> int:
        return sum(1 for s in self.statements if TX_CONTROL.match(s))

    @property
    def work(self) -> int:
        return self.raw - self.tx


class SqlCounter:
    """Counts the statements sent to the driver (`before_cursor_execute` on db.engine) and the commits.

    On SQLite the app emits BEGIN / BEGIN IMMEDIATE through the cursor (so they appear as statements) while
    COMMIT goes through the DB-API `commit()` (counted separately). On PostgreSQL psycopg begins implicitly.
    """

    def __init__(self, engine: Any) -> None:
        self.current: SqlSample | None = None
        event.listen(engine, "before_cursor_execute", self._on_execute)
        event.listen(engine, "commit", self._on_commit)

    def _on_execute(
        self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if self.current is not None:
            self.current.statements.append(" ".join(statement.split()))

    def _on_commit(self, conn: Any) -> None:
        if self.current is not None:
            self.current.commits += 1

    @contextmanager
    def window(self) -> Iterator[SqlSample]:
        outer = self.current
        sample = SqlSample()
        self.current = sample
        try:
            yield sample
        finally:
            self.current = outer
            if outer is not None:
                outer.statements.extend(sample.statements)
                outer.commits += sample.commits
