"""Masking personal data in citizens' feedback (what analysts and the department read)."""

from __future__ import annotations

import pytest

from app.domain.personal_data import mask_personal_data


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("CCCD 001095012345 của tôi", "CCCD [số định danh] của tôi"),
        ("CMND cũ 012345678", "CMND cũ [số định danh]"),
        ("Gọi 0912 345 678 hoặc +84912345678", "Gọi [số điện thoại] hoặc [số điện thoại]"),
        ("Thư về an.nguyen@example.vn nhé", "Thư về [email] nhé"),
        ("Ông Trần Văn Bình ký giấy", "Ông [họ tên] ký giấy"),
        ("Cán bộ Lê Thị Hoa rất tận tình", "Cán bộ [họ tên] rất tận tình"),
        ("chị Lan ở quầy số 2", "chị [họ tên] ở quầy số 2"),
        (
            "Ở Phường Hoàn Kiếm, Thành phố Hà Nội, làm nhanh",
            "Ở Phường Hoàn Kiếm, Thành phố Hà Nội, làm nhanh",
        ),
        ("Thủ tục nhanh, cán bộ nhiệt tình.", "Thủ tục nhanh, cán bộ nhiệt tình."),
    ],
)
def test_masks_names_ids_phones_and_emails(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked


def test_known_names_are_masked_even_without_capitals() -> None:
    assert mask_personal_data("bé ánh dương đã có giấy", ["Ánh Dương"]) == "bé [họ tên] đã có giấy"


def test_decomposed_input_is_normalised() -> None:
    import unicodedata

    assert mask_personal_data(unicodedata.normalize("NFD", "Ông Nguyễn Văn An")) == "Ông [họ tên]"
