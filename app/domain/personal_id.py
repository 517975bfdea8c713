"""The 12-digit personal identification number (số định danh cá nhân) and its structure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Sex = Literal["male", "female"]

# Luật Căn cước 2023 / NĐ 70/2024 (formerly NĐ 137/2015 Art. 7, TT 07/2016/TT-BCA): 3 digits province code,
# 1 digit century-and-sex code, 2 digits year of birth, 6 digits serial.
# Province codes are the GSO codes of the 63 provinces before the 2025 merger; IDs issued earlier keep them,
# and the 34 current provinces each kept one of these codes.
PROVINCE_CODES: frozenset[str] = frozenset(
    f"{n:03d}"
    for n in (
        1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37, 38,
        40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80,
        82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
    )
)  # fmt: skip

# Century-and-sex digit: even = male, odd = female; 0/1 = 1900s, 2/3 = 2000s, ..., 8/9 = 2300s.
CENTURY_SEX_CODES: dict[int, tuple[int, Sex]] = {
    code: (1900 + (code // 2) * 100, "male" if code % 2 == 0 else "female") for code in range(10)
}

_SEX_VI: dict[Sex, str] = {"male": "nam", "female": "nữ"}


@dataclass(frozen=True)
class PersonalIdParts:
    """The four parts of a personal id."""

    province_code: str
    century_gender: int
    birth_year_2: str
    serial: str

    @property
    def sex(self) -> Sex:
        """Sex encoded in the century-and-sex digit."""
        return CENTURY_SEX_CODES[self.century_gender][1]

    @property
    def birth_year(self) -> int:
        """Full year of birth encoded by the century digit and the two year digits."""
        return CENTURY_SEX_CODES[self.century_gender][0] + int(self.birth_year_2)


def is_valid_format(value: object) -> bool:
    """True when value is a str of exactly 12 ASCII digits."""
    return isinstance(value, str) and len(value) == 12 and value.isascii() and value.isdigit()


def parse(value: str) -> PersonalIdParts:
    """Split a personal id into its parts; ValueError when the format is not 12 digits."""
    if not is_valid_format(value):
        raise ValueError(f"not a 12-digit personal id: {value!r}")
    return PersonalIdParts(value[:3], int(value[3]), value[4:6], value[6:])


def century_gender_code(sex: Sex, birth_year: int) -> int:
    """The century-and-sex digit for a person; ValueError outside 1900–2399."""
    if not 1900 <= birth_year <= 2399:
        raise ValueError(f"birth year out of range: {birth_year}")
    if sex not in _SEX_VI:
        raise ValueError(f"sex must be 'male' or 'female': {sex!r}")
    return (birth_year - 1900) // 100 * 2 + (0 if sex == "male" else 1)


def consistency_problems(personal_id: str, sex: Sex, birth_year: int) -> list[str]:
    """Vietnamese descriptions of where the id contradicts sex, birth year or the province table (KS-09)."""
    if not is_valid_format(personal_id):
        return ["Số định danh cá nhân phải gồm đúng 12 chữ số."]
    parts = parse(personal_id)
    problems: list[str] = []
    if parts.province_code not in PROVINCE_CODES:
        problems.append(f"Mã tỉnh '{parts.province_code}' (3 chữ số đầu) không có trong danh mục mã tỉnh.")
    century, id_sex = CENTURY_SEX_CODES[parts.century_gender]
    if sex in _SEX_VI and id_sex != sex:
        problems.append(
            f"Chữ số thứ 4 ({parts.century_gender}) chỉ giới tính {_SEX_VI[id_sex]}, "
            f"nhưng giới tính khai là {_SEX_VI[sex]}."
        )
    if not century <= birth_year < century + 100:
        problems.append(
            f"Chữ số thứ 4 ({parts.century_gender}) chỉ thế kỷ {century}–{century + 99}, "
            f"không khớp năm sinh {birth_year}."
        )
    if parts.birth_year_2 != f"{birth_year % 100:02d}":
        problems.append(
            f"Chữ số thứ 5–6 ({parts.birth_year_2}) không khớp hai số cuối năm sinh {birth_year}."
        )
    return problems


def generate(province_code: str, sex: Sex, birth_year: int, serial_int: int) -> str:
    """Compose a personal id from its parts; ValueError on an out-of-range part."""
    if not (province_code.isascii() and province_code.isdigit() and len(province_code) <= 3):
        raise ValueError(f"province code must be up to 3 digits: {province_code!r}")
    if not 0 <= serial_int <= 999_999:
        raise ValueError(f"serial must be 0..999999: {serial_int}")
    code = century_gender_code(sex, birth_year)
    return f"{int(province_code):03d}{code}{birth_year % 100:02d}{serial_int:06d}"
