"""Where the time of a request goes: exclusive time per category, from the app's marked sections."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from types import TracebackType
from typing import Any

from sqlalchemy import event

from bench import sections


class _Category:
    """The context manager of one category: entering it pauses the enclosing category's clock."""

    def __init__(self, probe: Probe, name: str) -> None:
        self.probe = probe
        self.name = name

    def __enter__(self) -> None:
        self.probe.enter(self.name)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.probe.exit()


class Probe:
    """Exclusive time per category inside a request: `engine` (app.engine.instance.Instance methods),
    `service ops` (internal operations the engine dispatches: rules, receipt, documents, register book),
    `mail` (queueing the requester's status mail; it is composed and sent after commit on the mail thread,
    off the request), `SQL driver` (inside cursor.execute and the DB-API commit/rollback); the remainder of
    the request is SQLAlchemy ORM work, Flask/WSGI, JSON, form validation and the services' own code.
    The first three are sections the app marks (app/instrumentation.py); only the thread that installed the
    probe is measured. Installed only for the breakdown pass (each section costs a few µs)."""

    CATEGORIES = ("engine", "service ops", "mail", "SQL driver")
    SECTIONS = ("engine", "service ops", "mail")

    def __init__(self) -> None:
        self.acc: dict[str, float] = defaultdict(float)
        self.stack: list[str] = []
        self.t_last = 0.0
        self.thread = threading.get_ident()
        self._undo: list[Callable[[], None]] = []

    def enter(self, cat: str) -> None:
        if threading.get_ident() != self.thread:
            return
        now = time.perf_counter()
        if self.stack:
            self.acc[self.stack[-1]] += now - self.t_last
        self.stack.append(cat)
        self.t_last = now

    def exit(self) -> None:
        if threading.get_ident() != self.thread:
            return
        now = time.perf_counter()
        if self.stack:
            self.acc[self.stack.pop()] += now - self.t_last
        self.t_last = now

    def reset(self) -> None:
        self.acc.clear()
        self.stack.clear()

    def snapshot(self, total_ms: float) -> dict[str, float]:
        out = {c: self.acc.get(c, 0.0) * 1000 for c in self.CATEGORIES}
        out["rest"] = total_ms - sum(out.values())
        return out

    def install(self, engine: Any) -> None:
        for name in self.SECTIONS:
            category = _Category(self, name)
            sections.claim(name, lambda c=category: c)
            self._undo.append(lambda n=name: sections.release(n))
        before = lambda *a, **k: self.enter("SQL driver")  # noqa: E731
        after = lambda *a, **k: self.exit()  # noqa: E731
        error = lambda *a, **k: self.exit()  # noqa: E731
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        event.listen(engine, "handle_error", error)
        self._undo += [
            lambda: event.remove(engine, "before_cursor_execute", before),
            lambda: event.remove(engine, "after_cursor_execute", after),
            lambda: event.remove(engine, "handle_error", error),
        ]
        # SQLAlchemy has no event after the DB-API commit/rollback, so the dialect's two methods are wrapped
        # on this engine's dialect object (SQLAlchemy's, not the app's); undone by uninstall()
        dialect = engine.dialect
        for name in ("do_commit", "do_rollback"):
            original = getattr(dialect, name)

            def timed(conn: Any, _orig: Any = original) -> Any:
                self.enter("SQL driver")
                try:
                    return _orig(conn)
                finally:
                    self.exit()

            setattr(dialect, name, timed)
            self._undo.append(lambda n=name, o=original: setattr(dialect, n, o))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()
