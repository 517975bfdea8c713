"""How long a step waited, counted like the law counts limits: in office time of working days only.

A working day has 8 office hours (08:00–12:00, 13:00–17:00 in Hà Nội; a Saturday-morning counter 4), so
"1 ngày làm việc" of waiting is 8 office hours. Nights, weekends, holidays and the lunch break do not count.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from app.domain.calendar import LOCAL_TZ, WorkingCalendar, to_local

WORKING_DAY = timedelta(hours=8)
MAX_SPAN_DAYS = 3660  # ten years of days walked at most (a dossier never waits longer)


def working_time_between(
    calendar: WorkingCalendar,
    start: datetime,
    end: datetime,
    periods: Callable[[date], list[tuple[time, time]]] | None = None,
) -> timedelta:
    """Office time between two aware moments (zero when end is not after start)."""
    office_periods = periods or calendar.office_periods
    if end <= start:
        return timedelta(0)
    a, b = to_local(start), to_local(end)
    day, last = a.date(), b.date()
    if (last - day).days > MAX_SPAN_DAYS:
        raise ValueError("span longer than ten years")
    total = timedelta(0)
    while day <= last:
        for opens, closes in office_periods(day):
            lo = max(datetime.combine(day, opens, LOCAL_TZ), a)
            hi = min(datetime.combine(day, closes, LOCAL_TZ), b)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total


def split_working_time(span: timedelta) -> tuple[int, int, int]:
    """(working days of 8 office hours, hours, minutes) of an office-time span, minutes rounded down."""
    minutes = int(span.total_seconds() // 60)
    day_minutes = int(WORKING_DAY.total_seconds() // 60)
    days, rest = divmod(minutes, day_minutes)
    hours, mins = divmod(rest, 60)
    return days, hours, mins


class OfficeTime:
    """`working_time_between` for many spans on one calendar, each day's office periods computed once."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self._periods: dict[date, list[tuple[time, time]]] = {}

    def periods(self, day: date) -> list[tuple[time, time]]:
        if day not in self._periods:
            self._periods[day] = self.calendar.office_periods(day)
        return self._periods[day]

    def between(self, start: datetime, end: datetime) -> timedelta:
        return working_time_between(self.calendar, start, end, self.periods)
