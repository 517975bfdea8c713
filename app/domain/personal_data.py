"""Masking personal data in free text (NĐ 13/2023/NĐ-CP on personal data protection): what analysts and the
department read of a citizen's feedback never shows names, personal id numbers, phone numbers or e-mails."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

NAME_MASK = "[họ tên]"
ID_MASK = "[số định danh]"
PHONE_MASK = "[số điện thoại]"
EMAIL_MASK = "[email]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PERSONAL_ID = re.compile(r"(?<!\d)(?:\d{12}|\d{9})(?!\d)")  # căn cước (12 digits), old CMND (9)
_PHONE = re.compile(r"(?<![\d+])(?:\+84|0084|0)(?:[ .-]?\d){8,10}(?!\d)")
# the most common family names cover the large majority of Vietnamese names; with a following capitalised
# word they are read as a name ("Nguyễn Văn An"), as is a capitalised word after a form of address ("chị Lan")
SURNAMES = frozenset(
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Đào Trương Lâm Mai Trịnh "
    "Cao Lương Tạ Hà Chu Kiều Đoàn Vương Tô Quách Thái Lưu La Triệu Phùng Châu Tăng Từ Lại Khúc Nghiêm Kim "
    "Hứa Doãn Mạc Tống Lục Giang Âu Khổng Thân Ninh Hán Văn".split()
)
ADDRESS_WORDS = frozenset("ông bà anh chị cô chú bác em cháu cụ".split())
# capitalised place names that start like a family name ("Hà Nội"): never masked as names
PLACES = (
    "Hà Nội",
    "Việt Nam",
    "Hồ Chí Minh",
    "Hoàn Kiếm",
    "Ba Đình",
    "Hà Đông",
    "Hà Giang",
    "Hà Nam",
    "Hà Tĩnh",
)
_WORD = re.compile(r"[^\W\d_]+")


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _name_spans(text: str) -> list[tuple[int, int]]:
    words = list(_WORD.finditer(text))
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        word = words[i].group()
        starts_name = word in SURNAMES or word.casefold() in ADDRESS_WORDS
        j = i + 1
        # the following capitalised words, separated by spaces only
        while (
            j < len(words)
            and j - i <= 3
            and _capitalised(words[j].group())
            and text[words[j - 1].end() : words[j].start()].strip() == ""
        ):
            j += 1
        if starts_name and j > i + 1:
            first = i if word in SURNAMES else i + 1
            spans.append((words[first].start(), words[j - 1].end()))
            i = j
        else:
            i += 1
    return spans


def mask_personal_data(text: str, known_names: Iterable[str] = (), places: Iterable[str] = ()) -> str:
    """`text` with e-mails, personal ids, phone numbers and names replaced by placeholders; `known_names`
    (e.g. the people of the dossier the feedback is about) are masked wherever they appear; `places` (and
    PLACES) are kept even where they look like a name."""
    out = unicodedata.normalize("NFC", text)
    for name in sorted(
        {unicodedata.normalize("NFC", n).strip() for n in known_names if n}, key=len, reverse=True
    ):
        if len(name) >= 2:
            out = re.sub(re.escape(name), NAME_MASK, out, flags=re.IGNORECASE)
    out = _EMAIL.sub(EMAIL_MASK, out)
    out = _PERSONAL_ID.sub(ID_MASK, out)
    out = _PHONE.sub(PHONE_MASK, out)
    kept = {p.casefold() for p in (*PLACES, *places)}
    for start, end in reversed(_name_spans(out)):
        if not any(out[start:end].casefold().startswith(p) for p in kept):
            out = out[:start] + NAME_MASK + out[end:]
    return out
