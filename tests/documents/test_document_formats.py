"""Vietnamese formatting filters: dates, local times, money, coded values."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.documents.formats import (
    classification_vi,
    money_vnd,
    sex_vi,
    signer_title_lines,
    vn_date,
    vn_datetime_local,
)


@pytest.mark.parametrize(
    ("value", "long", "numeric"),
    [
        ("2026-03-05", "ngày 05 tháng 03 năm 2026", "05/03/2026"),
        (date(2025, 12, 31), "ngày 31 tháng 12 năm 2025", "31/12/2025"),
        # 20:30 UTC on 4 March is already 5 March in Hà Nội
        ("2026-03-04T20:30:00+00:00", "ngày 05 tháng 03 năm 2026", "05/03/2026"),
    ],
)
def test_vn_date(value: str | date, long: str, numeric: str) -> None:
    assert vn_date(value) == long
    assert vn_date(value, numeric=True) == numeric


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-05T07:05:00+00:00", "14 giờ 05 phút, ngày 05 tháng 03 năm 2026"),
        ("2026-03-05T07:05:00Z", "14 giờ 05 phút, ngày 05 tháng 03 năm 2026"),
        (datetime(2026, 3, 5, 7, 5, tzinfo=UTC), "14 giờ 05 phút, ngày 05 tháng 03 năm 2026"),
        ("2026-03-01T21:40:00", "21 giờ 40 phút, ngày 01 tháng 03 năm 2026"),  # naive = Hà Nội wall clock
        ("2026-03-01", "ngày 01 tháng 03 năm 2026"),  # no time known
    ],
)
def test_vn_datetime_local(value: str | datetime, expected: str) -> None:
    assert vn_datetime_local(value) == expected


@pytest.mark.parametrize(
    ("amount", "expected"), [(0, "0 đồng"), (8000, "8.000 đồng"), (1_234_567, "1.234.567 đồng")]
)
def test_money_vnd(amount: int, expected: str) -> None:
    assert money_vnd(amount) == expected


@pytest.mark.parametrize("amount", [8000.0, "8000", True])
def test_money_vnd_takes_whole_dong_only(amount: object) -> None:
    with pytest.raises(TypeError):
        money_vnd(amount)  # type: ignore[arg-type]


def test_coded_values() -> None:
    assert (sex_vi("male"), sex_vi("female")) == ("Nam", "Nữ")
    assert classification_vi("tre_chua_xac_dinh_cha_me") == "Trẻ chưa xác định được cha mẹ"
    assert signer_title_lines("chu_tich") == ("CHỦ TỊCH",)
    assert signer_title_lines("pho_chu_tich") == ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    for convert in (sex_vi, classification_vi, signer_title_lines):
        with pytest.raises(ValueError):
            convert("unknown")
