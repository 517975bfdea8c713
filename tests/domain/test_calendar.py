from datetime import UTC, date, datetime, time

import pytest

from app.domain.calendar import LOCAL_TZ, WorkingCalendar, is_late, registration_deadline

CAL = WorkingCalendar()


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=LOCAL_TZ)


# The `holidays` package (0.109) gives Tết 2026 as Mon 16 – Fri 20 February.
TET_2026 = [date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18), date(2026, 2, 19), date(2026, 2, 20)]


@pytest.mark.parametrize("day", TET_2026)
def test_tet_2026_is_not_working(day: date) -> None:
    assert CAL.is_public_holiday(day)
    assert not CAL.is_working_day(day)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before Tết
        (date(2026, 2, 14), False),  # Saturday
        (date(2026, 2, 15), False),  # Sunday
        (date(2026, 2, 23), True),  # Monday after Tết
        (date(2026, 1, 1), False),  # New Year
        (date(2026, 4, 30), False),
        (date(2026, 9, 2), False),
        (date(2025, 4, 26), True),  # official make-up Saturday (swapped for 2 May 2025)
        (date(2025, 5, 2), False),
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_next_and_add_working_days_across_tet() -> None:
    assert CAL.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
    assert CAL.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert CAL.add_working_days(date(2026, 2, 12), 4) == date(2026, 2, 25)
    assert CAL.add_working_days(date(2026, 2, 13), 0) == date(2026, 2, 13)
    assert CAL.add_working_days(date(2026, 2, 23), -1) == date(2026, 2, 13)


@pytest.mark.parametrize(
    ("a", "b", "n"),
    [
        (date(2026, 2, 13), date(2026, 2, 23), 1),
        (date(2026, 2, 23), date(2026, 2, 13), -1),
        (date(2026, 3, 9), date(2026, 3, 9), 0),
        (date(2026, 3, 6), date(2026, 3, 13), 5),
        (date(2026, 2, 1), date(2026, 2, 28), 15),  # 20 weekdays minus 5 Tết days, Feb 2026 has no others
    ],
)
def test_working_days_between(a: date, b: date, n: int) -> None:
    assert CAL.working_days_between(a, b) == n


@pytest.mark.parametrize(
    ("received", "days", "due_local"),
    [
        (local(2026, 2, 13, 14, 59), 1, local(2026, 2, 13, 17)),  # before 15:00: same day
        (local(2026, 2, 13, 15, 1), 1, local(2026, 2, 23, 17)),  # after 15:00 on the Friday before Tết
        (local(2026, 2, 13, 15, 0), 1, local(2026, 2, 13, 17)),  # C7 "after 15:00": 15:00 itself is before
        (local(2026, 3, 6, 16, 0), 1, local(2026, 3, 9, 17)),  # Friday after 15:00 → Monday
        (local(2026, 3, 7, 10, 0), 1, local(2026, 3, 9, 17)),  # Saturday → Monday
        (local(2026, 3, 10, 6, 30), 1, local(2026, 3, 10, 17)),  # online before opening: same day
        (local(2026, 2, 17, 9, 0), 1, local(2026, 2, 23, 17)),  # during Tết
        (local(2026, 2, 12, 9, 0), 5, local(2026, 2, 25, 17)),  # 5 working days across Tết
        (local(2026, 2, 12, 16, 0), 5, local(2026, 2, 26, 17)),
    ],
)
def test_due_at(received: datetime, days: int, due_local: datetime) -> None:
    due = CAL.due_at(received, days)
    assert due.tzinfo is UTC
    assert due == due_local
    assert due.hour == 10  # 17:00 in Asia/Ho_Chi_Minh is 10:00 UTC


def test_due_at_accepts_utc_input() -> None:
    received = datetime(2026, 2, 13, 7, 59, tzinfo=UTC)  # 14:59 local
    assert CAL.due_at(received, 1) == local(2026, 2, 13, 17)
    received = datetime(2026, 2, 13, 8, 1, tzinfo=UTC)  # 15:01 local
    assert CAL.due_at(received, 1) == local(2026, 2, 23, 17)


def test_due_at_paused_days_and_custom_cutoff() -> None:
    assert CAL.due_at(local(2026, 3, 10, 10), 1, paused_working_days=3) == local(2026, 3, 13, 17)
    assert CAL.due_at(local(2026, 3, 10, 14), 1, cutoff=time(13, 30)) == local(2026, 3, 11, 17)


def test_due_at_rejects_naive_and_zero() -> None:
    with pytest.raises(ValueError):
        CAL.due_at(datetime(2026, 3, 10, 10), 1)
    with pytest.raises(ValueError):
        CAL.due_at(local(2026, 3, 10, 10), 0)


@pytest.mark.parametrize(
    ("start", "hours", "end_local"),
    [
        (local(2026, 2, 13, 14), 8, local(2026, 2, 23, 14)),  # 3 h Friday, 4 h + 1 h Monday after Tết
        (local(2026, 3, 10, 11), 2, local(2026, 3, 10, 14)),  # lunch 12:00–13:00 not counted
        (local(2026, 3, 10, 18), 1, local(2026, 3, 11, 9)),
        (local(2026, 3, 10, 8), 8, local(2026, 3, 10, 17)),
        (local(2026, 3, 10, 8), 0, local(2026, 3, 10, 8)),
        (local(2026, 3, 6, 16, 30), 0.5, local(2026, 3, 6, 17)),
    ],
)
def test_add_working_hours(start: datetime, hours: float, end_local: datetime) -> None:
    end = CAL.add_working_hours(start, hours)
    assert end.tzinfo is UTC
    assert end == end_local


def test_saturday_morning_calendar() -> None:
    cal = WorkingCalendar(saturday_morning=True)
    assert cal.is_working_day(date(2026, 3, 7))
    assert not cal.is_working_day(date(2026, 3, 8))
    assert cal.due_at(local(2026, 3, 6, 16), 1) == local(2026, 3, 7, 12)
    assert cal.due_at(local(2026, 3, 7, 10), 1) == local(2026, 3, 7, 12)
    assert cal.due_at(local(2026, 3, 7, 12, 30), 1) == local(2026, 3, 9, 17)
    assert cal.add_working_hours(local(2026, 3, 7, 11), 2) == local(2026, 3, 9, 9)


def test_extra_holidays_and_working_days() -> None:
    cal = WorkingCalendar(
        extra_holidays=frozenset({date(2026, 3, 10)}), extra_working_days=frozenset({date(2026, 3, 14)})
    )
    assert not cal.is_working_day(date(2026, 3, 10))
    assert cal.is_working_day(date(2026, 3, 14))
    assert cal.due_at(local(2026, 3, 9, 16), 1) == local(2026, 3, 11, 17)


@pytest.mark.parametrize(
    ("event", "days", "deadline"),
    [
        (date(2026, 1, 5), 60, date(2026, 3, 6)),  # Friday, a working day
        (date(2025, 12, 18), 60, date(2026, 2, 23)),  # day 60 = 16 Feb (Tết) → Monday 23 Feb
        (date(2026, 1, 13), 60, date(2026, 3, 16)),  # day 60 = Saturday 14 Mar → Monday
        (date(2026, 2, 23), 15, date(2026, 3, 10)),
        (date(2026, 2, 5), 15, date(2026, 2, 23)),  # day 15 = 20 Feb (Tết)
        (date(2026, 4, 15), 15, date(2026, 5, 4)),  # day 15 = 30 Apr; 1 May, weekend → Monday 4 May
    ],
)
def test_registration_deadline(event: date, days: int, deadline: date) -> None:
    assert registration_deadline(event, days) == deadline
    assert not is_late(event, deadline, days)
    assert is_late(event, date.fromordinal(deadline.toordinal() + 1), days)


def test_saturday_counter_does_not_shorten_statutory_deadline() -> None:
    cal = WorkingCalendar(saturday_morning=True)
    assert cal.registration_deadline(date(2026, 1, 13), 60) == date(2026, 3, 16)


# --- issue 8 §4: the Government's day-off swaps, the 15:00 boundary ---------------------------------------


def test_2026_new_year_swap_is_shipped_with_its_source() -> None:
    from app.domain.calendar import default_calendar, official_overrides

    cal = default_calendar()
    assert not cal.is_working_day(date(2026, 1, 2))  # Fri 2/1/2026: day off (VPCP 12729/VPCP-KGVX)
    assert cal.is_working_day(date(2026, 1, 10))  # Sat 10/1/2026: working day
    assert "12729/VPCP-KGVX" in official_overrides()[date(2026, 1, 2)].source
    assert (date(2026, 1, 2), official_overrides()[date(2026, 1, 2)].name) in cal.non_working_days(2026)
    assert [d for d, _ in cal.working_weekend_days(2026)][:1] == [date(2026, 1, 10)]


def test_receipt_on_31_december_2025_after_cutoff_is_due_monday_5_january() -> None:
    from app.domain.calendar import default_calendar

    due = default_calendar().due_at(local(2025, 12, 31, 15, 30), 1)
    assert due == local(2026, 1, 5, 17)  # not Fri 2/1 (swapped day off), not the weekend


def test_receipt_on_31_december_2025_before_cutoff_is_due_the_same_day() -> None:
    from app.domain.calendar import default_calendar

    assert default_calendar().due_at(local(2025, 12, 31, 14, 59), 1) == local(2025, 12, 31, 17)


@pytest.mark.parametrize(
    ("second", "due_local"),
    [(0, local(2026, 3, 10, 17)), (1, local(2026, 3, 11, 17))],
    ids=["15:00:00 before the cut-off", "15:00:01 after the cut-off"],
)
def test_cutoff_boundary_to_the_second(second: int, due_local: datetime) -> None:
    received = datetime(2026, 3, 10, 15, 0, second, tzinfo=LOCAL_TZ)
    assert CAL.due_at(received, 1) == due_local
    assert CAL.due_at(received.replace(microsecond=999_999), 1) == due_local  # whole seconds count


@pytest.mark.parametrize(
    ("died", "registered", "late"),
    [
        (date(2025, 12, 18), date(2026, 1, 5), False),  # day 15 = Fri 2/1 (swapped day off) → Mon 5/1
        (date(2025, 12, 18), date(2026, 1, 6), True),
        (date(2025, 12, 19), date(2026, 1, 5), False),
    ],
)
def test_death_deadline_across_the_2026_new_year_swap(died: date, registered: date, late: bool) -> None:
    from app.domain.deadlines import is_registration_late
    from app.procedures import get as procedure_of

    limits = procedure_of("death").limits
    assert is_registration_late(limits, died, registered) is late


def test_admin_correction_wins_over_statutory_holiday_and_swap() -> None:
    from app.domain.calendar import DayOverride, calendar_with

    cal = calendar_with(
        [
            DayOverride(date(2026, 1, 2), "working", "Sửa: làm việc"),
            DayOverride(date(2026, 3, 10), "non_working", "Nghỉ đột xuất", "QĐ 1/QĐ-UBND"),
        ]
    )
    assert cal.is_working_day(date(2026, 1, 2))
    assert not cal.is_working_day(date(2026, 3, 10))
    assert (date(2026, 3, 10), "Nghỉ đột xuất") in cal.non_working_days(2026)
    assert date(2026, 1, 2) not in dict(cal.non_working_days(2026))
