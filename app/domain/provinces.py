"""The 34 current provinces (NĐ 120/2025 two-level administration), from the `vietnam-provinces` package."""

from __future__ import annotations

import re
from functools import lru_cache

from vietnam_provinces import Province

from app.domain.text import fold

_PREFIXES = ("thanh pho ", "tinh ")
_ALIASES = {"hcm": "ho chi minh", "tphcm": "ho chi minh", "tp hcm": "ho chi minh"}


@lru_cache(maxsize=1)
def current_province_names() -> tuple[str, ...]:
    """Folded short names of the current provinces ('ha noi', 'ho chi minh', ...)."""
    names: list[str] = []
    for province in Province.iter_all():
        name = fold(province.name)
        for prefix in _PREFIXES:
            name = name.removeprefix(prefix)
        names.append(name)
    return tuple(names)


def mentions_current_province(place: str) -> bool:
    """True when a place text names one of the 34 current provinces, as whole words."""
    folded = " " + re.sub(r"[^a-z0-9]+", " ", fold(place)).strip() + " "
    for alias, name in _ALIASES.items():
        folded = folded.replace(f" {alias} ", f" {name} ")
    return any(f" {name} " in folded for name in current_province_names())


def commune_place(code: str | int | None) -> str:
    """A ward/commune code as the place a paper prints: 'Phường Hoàn Kiếm, Thành phố Hà Nội' ("" if unknown).

    The two-level names of NĐ 120/2025 (commune, province); a code is never printed in its place.
    """
    from vietnam_provinces import ProvinceCode, Ward, WardCode

    try:
        ward = Ward.from_code(WardCode(int(str(code))))
        province = Province.from_code(ProvinceCode(int(ward.province_code)))
    except (TypeError, ValueError, LookupError, AttributeError):
        return ""
    return f"{ward.name}, {province.name}"


def commune_named(code: str | int | None) -> str:
    """A commune for a sentence: its names, or "mã <code>" for a code the list does not know."""
    return commune_place(code) or f"mã {code}"
