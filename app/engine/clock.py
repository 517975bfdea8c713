"""Injectable clocks; the engine's timers read the clock that the current command installed."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _timer_module


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time, UTC-aware."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A settable clock for tests and replays."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **kwargs: float) -> None:
        self.at = self.at + timedelta(**kwargs)


_current: contextvars.ContextVar[Clock | None] = contextvars.ContextVar("hotich_clock", default=None)
_real_datetime = datetime


class _ClockDatetime(_real_datetime):
    """Stands in for `datetime` inside SpiffWorkflow's timer module (it calls datetime.now directly)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _ClockDatetime:
        clock = _current.get()
        base = clock.now() if clock is not None else _real_datetime.now(UTC)
        value = base.astimezone(tz) if tz is not None else base.replace(tzinfo=None)
        return value  # type: ignore[return-value]


_timer_module.datetime = _ClockDatetime


@contextmanager
def engine_clock(clock: Clock) -> Iterator[None]:
    """Make the engine's timers read `clock` for the duration of one command."""
    token = _current.set(clock)
    try:
        yield
    finally:
        _current.reset(token)
