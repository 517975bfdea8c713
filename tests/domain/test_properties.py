"""Property-based tests (hypothesis) for domain rules: the personal id's structure (KS-09) and the working-day
calendar's due dates (Luật Hộ tịch Art. 5(3), C7): what must hold for every input, not only the examples."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.calendar import default_calendar, to_local
from app.domain.personal_id import (
    PROVINCE_CODES,
    consistency_problems,
    generate,
    is_valid_format,
    parse,
)

FAST = settings(max_examples=150, deadline=None, derandomize=True, database=None)
sexes = st.sampled_from(["male", "female"])
years = st.integers(min_value=1900, max_value=2399)
provinces = st.sampled_from(sorted(PROVINCE_CODES))
serials = st.integers(min_value=0, max_value=999_999)
moments = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@FAST
@given(provinces, sexes, years, serials)
def test_a_generated_id_parses_back_and_is_consistent(
    province: str, sex: str, year: int, serial: int
) -> None:
    pid = generate(province, sex, year, serial)  # type: ignore[arg-type]
    assert is_valid_format(pid)
    parts = parse(pid)
    assert (parts.province_code, parts.sex, int(parts.serial)) == (province, sex, serial)
    assert parts.birth_year % 100 == year % 100 and parts.birth_year <= year < parts.birth_year + 100
    assert consistency_problems(pid, sex, year) == []  # type: ignore[arg-type]


@FAST
@given(provinces, sexes, years, serials)
def test_the_other_sex_or_another_year_is_always_a_problem(
    province: str, sex: str, year: int, serial: int
) -> None:
    pid = generate(province, sex, year, serial)  # type: ignore[arg-type]
    other = "female" if sex == "male" else "male"
    assert consistency_problems(pid, other, year)  # type: ignore[arg-type]
    shifted = year + 1 if year < 2399 else year - 1
    assert consistency_problems(pid, sex, shifted)  # type: ignore[arg-type]


@FAST
@given(st.text(max_size=20))
def test_format_is_exactly_twelve_ascii_digits(text: str) -> None:
    assert is_valid_format(text) == (len(text) == 12 and all(ch in "0123456789" for ch in text))
    if not is_valid_format(text):
        assert consistency_problems(text, "male", 2000) == ["Số định danh cá nhân phải gồm đúng 12 chữ số."]


@FAST
@given(moments, st.integers(min_value=1, max_value=30), st.integers(min_value=0, max_value=3 * 24 * 3600))
def test_due_date_is_monotonic_in_receipt_time(received: datetime, days: int, later_by: int) -> None:
    """Received later never makes the dossier due earlier."""
    cal = default_calendar()
    later = received + timedelta(seconds=later_by)
    assert cal.due_at(later, days) >= cal.due_at(received, days)


@FAST
@given(moments, st.integers(min_value=1, max_value=30))
def test_one_more_working_day_is_due_later_on_a_working_day(received: datetime, days: int) -> None:
    cal = default_calendar()
    due, next_due = cal.due_at(received, days), cal.due_at(received, days + 1)
    assert next_due > due
    for moment in (due, next_due):
        local = to_local(moment)
        assert cal.is_working_day(local.date()) and local.time() == cal.closing_time(local.date())
    assert due >= received


@FAST
@given(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)), st.integers(min_value=0, max_value=40)
)
def test_working_days_between_undoes_add_working_days(day: date, n: int) -> None:
    cal = default_calendar()
    assert cal.working_days_between(day, cal.add_working_days(day, n)) == n
