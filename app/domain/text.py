"""Vietnamese text handling: NFC normalisation, diacritic folding for search, name comparison."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_SPACES = re.compile(r"\s+")


def nfc(value: Any) -> Any:
    """Return value with every str (dict keys too) NFC-normalised and stripped, recursing into dicts/lists."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    if isinstance(value, dict):
        return {nfc(k): nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc(v) for v in value]
    if isinstance(value, tuple):
        return tuple(nfc(v) for v in value)
    return value


def fold(text: str) -> str:
    """Lowercase and strip Vietnamese diacritics (đ→d) for search: 'Nguyễn Văn Á' → 'nguyen van a'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare.lower()).strip()


def normalize_name(name: str) -> str:
    """Canonical form of a personal name for comparison: NFC, casefolded, whitespace collapsed."""
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())
    return _SPACES.sub(" ", folded).strip()


def same_name(a: str, b: str) -> bool:
    """True when two names are equal ignoring case, Unicode form and spacing (diacritics do matter)."""
    return normalize_name(a) == normalize_name(b)
