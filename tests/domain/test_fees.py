import pytest

from app.domain.fees import FeeResult, FeeSchedule, compute_fee

HANOI = FeeSchedule(province_code="01", amounts={"late_birth": 50_000, "late_death": 40_000})


@pytest.mark.parametrize(
    ("procedure", "late", "copies", "exemption", "amount", "reason"),
    [
        ("birth", False, 0, None, 0, "on_time"),
        ("birth", False, 2, None, 16_000, "on_time"),
        ("birth", True, 0, None, 50_000, None),
        ("birth", True, 1, None, 58_000, None),
        ("birth", True, 1, "merit_family", 8_000, "merit_family"),  # copies stay charged
        ("death", False, 3, None, 24_000, "on_time"),
        ("death", True, 0, None, 40_000, None),
        ("death", True, 0, "poor_household", 0, "poor_household"),
        ("marriage", False, 0, None, 0, "domestic_marriage"),
        ("marriage", False, 1, None, 8_000, "domestic_marriage"),
        ("marriage", False, 0, "disability", 0, "disability"),
    ],
)
def test_compute_fee(
    procedure: str, late: bool, copies: int, exemption: str | None, amount: int, reason: str | None
) -> None:
    result = HANOI.compute_fee(procedure, late=late, copies=copies, exemption=exemption)
    assert result.amount == amount
    assert result.exempt_reason == reason
    assert sum(a for _, a in result.lines) == amount


def test_lines_are_itemised() -> None:
    result = compute_fee("birth", late=True, copies=2, exemption=None, schedule=HANOI)
    assert result == FeeResult(
        66_000,
        None,
        [("Lệ phí đăng ký khai sinh quá hạn", 50_000), ("Phí cấp bản sao Giấy khai sinh (2 bản)", 16_000)],
    )


def test_default_schedule_copy_fee() -> None:
    assert compute_fee("death", late=False, copies=1, exemption=None).amount == 8_000


@pytest.mark.parametrize(
    ("procedure", "copies", "exemption"),
    [("adoption", 0, None), ("birth", -1, None), ("birth", 0, "veteran")],
)
def test_compute_fee_rejects(procedure: str, copies: int, exemption: str | None) -> None:
    with pytest.raises(ValueError):
        compute_fee(procedure, late=False, copies=copies, exemption=exemption)


def test_copy_fee_lines_name_the_copy_as_the_law_does() -> None:
    """Issue 8 §5: a copy of the Giấy khai sinh is not a "bản sao trích lục"; extracts' copies are."""
    names = {
        key: [label for label, _ in compute_fee(key, late=False, copies=1, exemption=None).lines]
        for key in ("birth", "marriage", "death")
    }
    assert names == {
        "birth": ["Phí cấp bản sao Giấy khai sinh (1 bản)"],
        "marriage": ["Phí cấp bản sao Trích lục kết hôn (1 bản)"],
        "death": ["Phí cấp bản sao Trích lục khai tử (1 bản)"],
    }
