import unicodedata

import pytest

from app.domain.text import fold, nfc, same_name

NFD_NGUYEN = unicodedata.normalize("NFD", "Nguyễn")


def test_nfd_input_comes_back_nfc_and_equal() -> None:
    assert NFD_NGUYEN != "Nguyễn"
    assert nfc(NFD_NGUYEN) == "Nguyễn"
    assert unicodedata.is_normalized("NFC", nfc(NFD_NGUYEN))


def test_nfc_recurses_into_keys_lists_and_strips() -> None:
    key = unicodedata.normalize("NFD", "họ_tên")
    data = {key: [f"  {NFD_NGUYEN} Văn Á ", {"x": NFD_NGUYEN}], "n": 3, "b": None}
    assert nfc(data) == {"họ_tên": ["Nguyễn Văn Á", {"x": "Nguyễn"}], "n": 3, "b": None}


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Nguyễn Văn Á", "nguyen van a"),
        ("ĐẶNG Thị Đào", "dang thi dao"),
        (unicodedata.normalize("NFD", "Trần  Thị   Ngọc"), "tran thi ngoc"),
        ("Hà Nội", "ha noi"),
        ("", ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Nguyễn Văn An", "NGUYỄN VĂN AN", True),
        ("Nguyễn Văn An", f"  {NFD_NGUYEN}   Văn An ", True),
        ("Nguyễn Văn An", "Nguyen Van An", False),  # diacritics matter
        ("Lê Thị Hà", "Lê Thị Hạ", False),
        ("Lê Thị Hà", "Lê Hà", False),
    ],
)
def test_same_name(a: str, b: str, same: bool) -> None:
    assert same_name(a, b) is same
