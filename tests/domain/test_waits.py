"""Waiting time in office time of working days (08:00–12:00, 13:00–17:00 Hà Nội), hand-computed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.calendar import default_calendar
from app.domain.waits import split_working_time, working_time_between


def hn(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=UTC) - timedelta(hours=7)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (hn(2026, 3, 10, 9), hn(2026, 3, 10, 11), 2),  # same morning
        (hn(2026, 3, 10, 11), hn(2026, 3, 10, 14), 2),  # the lunch hour does not count
        (hn(2026, 3, 13, 16), hn(2026, 3, 16, 9), 2),  # Friday 16:00 → Monday 09:00: the weekend does not
        (hn(2026, 3, 10, 18), hn(2026, 3, 11, 7), 0),  # a night outside office hours
        (hn(2026, 4, 29, 16), hn(2026, 5, 4, 9), 2),  # 30/4 and 1/5 are holidays, then the weekend
        (hn(2026, 3, 10, 9), hn(2026, 3, 10, 9), 0),
        (hn(2026, 3, 10, 11), hn(2026, 3, 10, 9), 0),  # end before start
    ],
)
def test_working_time_between(start: datetime, end: datetime, hours: float) -> None:
    assert working_time_between(default_calendar(), start, end) == timedelta(hours=hours)


def test_split_into_working_days_of_eight_hours() -> None:
    assert split_working_time(timedelta(hours=19, minutes=30)) == (2, 3, 30)
    assert split_working_time(timedelta(minutes=59, seconds=59)) == (0, 0, 59)
