import pytest

from app.domain.personal_id import (
    PersonalIdParts,
    consistency_problems,
    generate,
    is_valid_format,
    parse,
)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("001093012345", True),
        ("0010930123456", False),  # 13 digits
        ("00109301234", False),  # 11 digits
        ("00109301234a", False),  # a letter
        ("００１０９３０１２３４５", False),  # full-width digits are not ASCII
        (" 001093012345", False),
        ("", False),
        (None, False),
        (1093012345, False),
    ],
)
def test_is_valid_format(value: object, valid: bool) -> None:
    assert is_valid_format(value) is valid


def test_parse() -> None:
    parts = parse("001093012345")
    assert parts == PersonalIdParts("001", 0, "93", "012345")
    assert parts.sex == "male"
    assert parts.birth_year == 1993


@pytest.mark.parametrize("bad", ["0010930123456", "00109301234a"])
def test_parse_rejects_bad_format(bad: str) -> None:
    with pytest.raises(ValueError):
        parse(bad)


@pytest.mark.parametrize(
    ("sex", "year", "digit"),
    [
        ("male", 1900, 0),
        ("female", 1999, 1),
        ("male", 2000, 2),
        ("female", 2026, 3),
        ("male", 2100, 4),
        ("female", 2199, 5),
        ("male", 2250, 6),
        ("female", 2200, 7),
        ("male", 2300, 8),
        ("female", 2399, 9),
    ],
)
def test_century_gender_table_round_trip(sex: str, year: int, digit: int) -> None:
    pid = generate("001", sex, year, 42)  # type: ignore[arg-type]
    assert pid == f"001{digit}{year % 100:02d}000042"
    parts = parse(pid)
    assert (parts.century_gender, parts.sex, parts.birth_year) == (digit, sex, year)
    assert consistency_problems(pid, sex, year) == []  # type: ignore[arg-type]


def test_generate_pads_province_code() -> None:
    assert generate("1", "female", 2024, 123456) == "001324123456"
    assert generate("079", "male", 1985, 7) == "079085000007"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("0001", "male", 2000, 1), "province"),
        (("001", "male", 1899, 1), "birth year"),
        (("001", "male", 2000, 1_000_000), "serial"),
        (("001", "other", 2000, 1), "sex"),
    ],
)
def test_generate_rejects(args: tuple[str, str, int, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate(*args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pid", "sex", "year", "count", "fragment"),
    [
        ("001195123456", "male", 1995, 1, "giới tính nữ"),
        ("001095123456", "male", 1996, 1, "5–6"),
        ("001295123456", "male", 1995, 1, "thế kỷ 2000"),
        ("999095123456", "male", 1995, 1, "Mã tỉnh '999'"),
        ("001395123456", "male", 1994, 3, "giới tính nữ"),
        ("00109512345", "male", 1995, 1, "12 chữ số"),
    ],
)
def test_consistency_problems(pid: str, sex: str, year: int, count: int, fragment: str) -> None:
    problems = consistency_problems(pid, sex, year)  # type: ignore[arg-type]
    assert len(problems) == count
    assert any(fragment in p for p in problems)
