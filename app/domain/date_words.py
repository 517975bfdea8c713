"""Dates written in Vietnamese words, as on a Giấy khai sinh ("Ngày năm, tháng ba, năm hai nghìn ...")."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")

# Accepted reading variants, mapped to one canonical token before comparing (both sides):
# lẻ/linh (zero tens), tư/bốn (4), mốt/một (1 after "mươi"), lăm/năm (5 after ten), ngàn/nghìn (1000),
# giêng (month 1), bẩy/bảy (7, northern spelling). "mùng"/"mồng" before the day and a missing leading "Ngày"
# are ignored, as are commas, dots and extra whitespace.
_VARIANTS = {
    "lẻ": "linh",
    "tư": "bốn",
    "mốt": "một",
    "lăm": "năm",
    "ngàn": "nghìn",
    "giêng": "một",
    "bẩy": "bảy",
}
_IGNORED = {"mùng", "mồng"}
_PUNCT = re.compile(r"[,.;:/\-]+")


def _two_digits(n: int) -> list[str]:
    """Read 10..99 ("mười lăm", "hai mươi mốt", "ba mươi tư")."""
    tens, unit = divmod(n, 10)
    if tens == 1:
        words = ["mười"]
        if unit:
            words.append("lăm" if unit == 5 else _DIGITS[unit])
        return words
    words = [_DIGITS[tens], "mươi"]
    if unit:
        words.append({1: "mốt", 4: "tư", 5: "lăm"}.get(unit, _DIGITS[unit]))
    return words


def _below_thousand(n: int, *, full: bool) -> list[str]:
    """Read 0..999; full=True always says the hundreds ("không trăm linh năm") after a higher unit."""
    hundreds, rest = divmod(n, 100)
    words: list[str] = []
    if hundreds or full:
        words += [_DIGITS[hundreds], "trăm"]
        if rest == 0:
            return words
        if rest < 10:
            return [*words, "linh", _DIGITS[rest]]
    if rest < 10:
        return [*words, _DIGITS[rest]]
    return words + _two_digits(rest)


def number_in_words(n: int) -> str:
    """Read an integer 0..9999 in Vietnamese words (2024 → 'hai nghìn không trăm hai mươi tư')."""
    if not 0 <= n <= 9999:
        raise ValueError(f"out of range: {n}")
    thousands, rest = divmod(n, 1000)
    if not thousands:
        return " ".join(_below_thousand(rest, full=False))
    words = [_DIGITS[thousands], "nghìn"]
    if rest:
        words += _below_thousand(rest, full=True)
    return " ".join(words)


def date_in_words(d: date) -> str:
    """The date in words as written on a Giấy khai sinh: 2024-03-05 → 'Ngày năm, tháng ba, năm hai nghìn…'."""
    month = "tư" if d.month == 4 else number_in_words(d.month)
    return f"Ngày {number_in_words(d.day)}, tháng {month}, năm {number_in_words(d.year)}"


def _tokens(text: str) -> list[str]:
    plain = _PUNCT.sub(" ", unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold()))
    tokens = [_VARIANTS.get(t, t) for t in plain.split() if t not in _IGNORED]
    if tokens[:1] == ["ngày"]:
        tokens = tokens[1:]
    return tokens


def matches_date(words: str, d: date) -> bool:
    """True when words read as date d, tolerating case, spacing, Unicode form and the variants (KS-12)."""
    return bool(words.strip()) and _tokens(words) == _tokens(date_in_words(d))
