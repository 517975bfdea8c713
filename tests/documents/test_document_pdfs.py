"""Every document kind renders to a PDF whose text says what the citizen and the official rely on."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest

from app.documents import kinds, render_pdf

Ctx = Callable[..., dict[str, Any]]
Text = Callable[[bytes], str]

HEADER = [
    "ỦY BAN NHÂN DÂN",
    "PHƯỜNG HOÀN KIẾM",
    "THÀNH PHỐ HÀ NỘI",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Hà Nội, ngày 05 tháng 03 năm 2026",
    "Mã xác thực: Xk3vQ9pLm2Rt7WbN",
    "Mã hồ sơ: 000.00.21.H26-260305-0007",
]

EXPECTED: dict[str, list[str]] = {
    "appointment_slip": [
        "PHIẾU TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        "Ông/Bà: Nguyễn Văn Bình",
        "Nội dung yêu cầu giải quyết: Đăng ký khai sinh",
        "Giấy chứng sinh số 123/GCS do Bệnh viện Phụ sản Hà Nội cấp",
        # received 07:05 UTC = 14:05 in Hà Nội
        "Nhận hồ sơ vào lúc: 14 giờ 05 phút, ngày 05 tháng 03 năm 2026",
        "Hẹn trả kết quả vào lúc: 08 giờ 00 phút, ngày 06 tháng 03 năm 2026",
        "Miễn lệ phí đăng ký (đăng ký khai sinh đúng hạn)",
        "NGƯỜI NỘP HỒ SƠ",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "Lê Thị Hoa",
    ],
    "supplement_request": [
        "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
        "Nội dung yêu cầu giải quyết: Đăng ký kết hôn",
        "Giấy xác nhận tình trạng hôn nhân của bên nữ",
        "Ghi chú: Bổ sung trực tiếp hoặc qua Cổng dịch vụ công.",
        "NGƯỜI HƯỚNG DẪN",
    ],
    "receipt_refusal": [
        "PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ",
        "Người chết có nơi cư trú cuối cùng không thuộc địa bàn Phường Hoàn Kiếm",
        "Lê Thị Hoa",
    ],
    "refusal_letter": [
        "VĂN BẢN TỪ CHỐI ĐĂNG KÝ KẾT HÔN",
        "Số: 125/UBND-HT",
        "Kính gửi: Ông/Bà Nguyễn Văn Bình",
        "Căn cứ khoản 2 Điều 5 Luật Hộ tịch năm 2014",
        "Bên nam chưa đủ 20 tuổi",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Phạm Thị Lan",
    ],
    "apology_slip": [
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "Kính gửi: Ông/Bà Nguyễn Văn Bình",
        "Chờ kết quả xác minh từ Ủy ban nhân dân nơi thường trú.",
        "10 giờ 00 phút, ngày 05 tháng 03 năm 2026",
    ],
    "birth_certificate": [
        "GIẤY KHAI SINH",
        "Số: 15",
        "Quyển số: 01/2026",
        "Họ, chữ đệm, tên: Nguyễn Thị Ánh Dương",
        "Ngày, tháng, năm sinh: 20/02/2026",
        "Ghi bằng chữ: Ngày hai mươi, tháng hai, năm hai nghìn không trăm hai mươi sáu",
        "Giới tính: Nữ",
        "Quê quán: Xã Đông Anh, Thành phố Hà Nội",
        "Số định danh cá nhân: 001326012345",
        "Họ, chữ đệm, tên người mẹ: Trần Thị Thu Hằng",
        "Họ, chữ đệm, tên người cha: Nguyễn Văn Bình",
        "Nơi đăng ký khai sinh: UBND Phường Hoàn Kiếm, Thành phố Hà Nội",
        "Ngày, tháng, năm đăng ký: 05/03/2026",
        "CHỦ TỊCH",
        "Trần Văn Hùng",
        "Đỗ Minh Tuấn",
    ],
    "marriage_certificate": [
        "GIẤY CHỨNG NHẬN KẾT HÔN",
        "Số: 8",
        "Quyển số: 01/2026",
        "Lê Thị Ngọc Ánh",
        "Hoàng Đức Mạnh",
        "02/11/1998",
        "001198003311",
        "006096001122",
        "Bản chính số 1/2",
        "Chữ ký của vợ",
        "Chữ ký của chồng",
        "Ngày, tháng, năm đăng ký: 05/03/2026",
    ],
    "marriage_extract": [
        "TRÍCH LỤC KẾT HÔN",
        "Số: 8",
        "Quyển số: 01/2026",
        "Lê Thị Ngọc Ánh",
        "Hoàng Đức Mạnh",
        "Giấy tờ tùy thân Thẻ căn cước số",
        "cấp ngày 20/11/2024",
        "Nơi đăng ký kết hôn: UBND Phường Hoàn Kiếm, Thành phố Hà Nội",
        "CHỦ TỊCH",
        "Trần Văn Hùng",
    ],
    "death_extract": [
        "TRÍCH LỤC KHAI TỬ",
        "Số: 4",
        "Quyển số: 01/2026",
        "Họ, chữ đệm, tên: Phùng Văn Thưởng",
        "Ngày, tháng, năm sinh: 19/05/1941",
        "Số định danh cá nhân: 001041000987",
        "Đã chết vào lúc: 21 giờ 40 phút, ngày 01 tháng 03 năm 2026",
        "Nguyên nhân chết: Bệnh lý tuổi già",
        "Số 56/GBT do Bệnh viện Việt Đức cấp ngày 02/03/2026",
        "Quan hệ với người đã chết: Con đẻ",
    ],
    "register_book": [
        "SỔ ĐĂNG KÝ KHAI SINH",
        "Quyển số: 01/2025",
        "Nguyễn Thị Ánh Dương",
        "Đúng hạn",
        "Quá hạn",
        "Trẻ bị bỏ rơi",
        "Sổ này có 48 trang, đã đăng ký 3 sự kiện khai sinh.",
        "Hà Nội, ngày 31 tháng 12 năm 2025",
    ],
}


def flat(text: str) -> str:
    """All whitespace (line wraps included) as single spaces, so a wrapped sentence still matches."""
    return " ".join(text.split())


def test_kinds_are_the_documented_ones() -> None:
    assert sorted(kinds()) == sorted(EXPECTED)


@pytest.mark.parametrize("kind", kinds())
def test_every_kind_prints_its_content(kind: str, doc_context: Ctx, pdf_text: Text, poppler: Any) -> None:
    pdf = render_pdf(kind, doc_context(kind))
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert unicodedata.is_normalized("NFC", text)
    header = [line for line in HEADER if kind != "register_book" or "Hà Nội, ngày" not in line]
    for expected in header + EXPECTED[kind]:
        assert expected in flat(text), f"{kind}: {expected!r} missing from\n{text}"
    assert "BẢN SAO" not in text
    assert "Bản điện tử" not in text
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", poppler("pdfinfo", pdf))
    assert size is not None
    page = (round(float(size[1])), round(float(size[2])))
    if kind == "register_book":
        assert page == (842, 595), "the register book is A4 landscape"
    else:
        assert page == (595, 842), "A4 portrait"
        assert text.count("\f") == 1, f"{kind} must fit on one page"


@pytest.mark.parametrize(
    ("kind", "copy_number"),
    [
        ("birth_certificate", "Bản sao số: 2"),
        ("marriage_certificate", "Bản sao số: 2"),
        ("death_extract", "Bản sao số: 2/TLKT-BS"),
        ("marriage_extract", "Bản sao số: 2/TLKH-BS"),
    ],
)
def test_copy_prints_ban_sao_and_its_number(
    kind: str, copy_number: str, doc_context: Ctx, pdf_text: Text
) -> None:
    text = pdf_text(render_pdf(kind, doc_context(kind, copy={"number": 2})))
    assert "BẢN SAO" in text
    assert copy_number in text
    assert "Bản chính số" not in text


def test_electronic_version_says_so(doc_context: Ctx, pdf_text: Text) -> None:
    text = pdf_text(render_pdf("birth_certificate", doc_context("birth_certificate", electronic=True)))
    assert "Bản điện tử" in text


def test_unsigned_draft_prints_the_blank_signer_block(doc_context: Ctx, pdf_text: Text) -> None:
    ctx = doc_context("birth_certificate", signer=None, electronic=True, draft=True)
    text = flat(pdf_text(render_pdf("birth_certificate", ctx)))
    assert "DỰ THẢO" in text
    assert "NGƯỜI KÝ GIẤY KHAI SINH" in text and "đóng dấu)" in text
    assert "Trần Văn Hùng" not in text and "CHỦ TỊCH" not in text


def test_worst_case_certificate_still_fits_one_page(doc_context: Ctx, pdf_text: Text) -> None:
    ctx = doc_context(
        "birth_certificate",
        copy={"number": 3},
        electronic=True,
        signer={"name": "Phạm Thị Lan", "title": "pho_chu_tich"},
    )
    address = (
        "Số nhà 123, ngõ 45 ngách 67/89 phố Nguyễn Khắc Cần, Tổ dân phố số 12, "
        "Phường Hoàn Kiếm, Thành phố Hà Nội"
    )
    ctx["mother"]["residence"] = ctx["father"]["residence"] = address
    ctx["child"]["birth_place"] = (
        "Bệnh viện Đa khoa Xanh Pôn, số 12 Chu Văn An, Phường Ba Đình, Thành phố Hà Nội"
    )
    ctx["child"]["birth_date_in_words"] = (
        "Ngày hai mươi chín, tháng mười hai, năm hai nghìn không trăm hai mươi lăm"
    )
    ctx["declarant"]["id_document"] = "Căn cước số 001092004567 do Bộ Công an cấp ngày 15/08/2024"
    text = pdf_text(render_pdf("birth_certificate", ctx))
    assert text.count("\f") == 1
    assert "KT. CHỦ TỊCH" in text and "PHÓ CHỦ TỊCH" in text and "Phạm Thị Lan" in text


def test_father_not_identified_prints_an_empty_block(doc_context: Ctx, pdf_text: Text) -> None:
    ctx = doc_context("birth_certificate", father=None)
    ctx["declarant"] = {"full_name": "Trần Thị Thu Hằng", "id_document": "Căn cước số 001195001234"}
    text = pdf_text(render_pdf("birth_certificate", ctx))
    assert "Nguyễn Văn Bình" not in text
    father_line = next(line for line in text.splitlines() if "tên người cha:" in line)
    assert father_line.strip() == "Họ, chữ đệm, tên người cha:"
    assert "Họ, chữ đệm, tên người mẹ: Trần Thị Thu Hằng" in text


def test_marriage_original_for_the_groom_is_number_two(doc_context: Ctx, pdf_text: Text) -> None:
    text = pdf_text(
        render_pdf("marriage_certificate", doc_context("marriage_certificate", original_for="groom"))
    )
    assert "Bản chính số 2/2" in text


def test_death_without_a_known_time_prints_only_the_date(doc_context: Ctx, pdf_text: Text) -> None:
    ctx = doc_context("death_extract")
    ctx["death"]["at"] = "2026-03-01"
    ctx["deceased"].pop("birth_date")
    ctx["deceased"]["birth_year"] = 1941
    text = pdf_text(render_pdf("death_extract", ctx))
    assert "Đã chết vào lúc: ngày 01 tháng 03 năm 2026" in text
    assert "giờ" not in text
    assert "Năm sinh: 1941" in text


def test_fee_in_dong_with_its_lines(doc_context: Ctx, pdf_text: Text) -> None:
    fee = {"amount": 8000, "exempt_reason": None, "lines": [["Lệ phí đăng ký khai sinh quá hạn", 8000]]}
    text = pdf_text(render_pdf("appointment_slip", doc_context("appointment_slip", fee=fee)))
    assert "5. Lệ phí: 8.000 đồng" in text
    assert "- Lệ phí đăng ký khai sinh quá hạn 8.000 đồng" in text
    assert "Miễn lệ phí" not in text


def test_waived_registration_fee_still_prints_the_copies_due(doc_context: Ctx, pdf_text: Text) -> None:
    """Issue 8 §5: an on-time registration is free, its copies are not; the slip says what is due."""
    fee = {
        "amount": 16000,
        "exempt_reason": "on_time",
        "exempt_label": "đăng ký khai sinh đúng hạn",
        "lines": [["Phí cấp bản sao Giấy khai sinh (2 bản)", 16000]],
    }
    text = flat(pdf_text(render_pdf("appointment_slip", doc_context("appointment_slip", fee=fee))))
    assert "5. Lệ phí: 16.000 đồng" in text
    assert "- Miễn lệ phí đăng ký (đăng ký khai sinh đúng hạn) 0 đồng" in text
    assert "- Phí cấp bản sao Giấy khai sinh (2 bản) 16.000 đồng" in text
    assert "on_time" not in text


def test_open_register_book_has_no_closing_statement(doc_context: Ctx, pdf_text: Text, poppler: Any) -> None:
    ctx = doc_context("register_book")
    ctx["book"].update(closed_on=None, totals=None)
    pdf = render_pdf("register_book", ctx)
    assert "Sổ này có" not in pdf_text(pdf)
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", poppler("pdfinfo", pdf))
    assert size and (round(float(size[1])), round(float(size[2]))) == (842, 595), "A4 landscape expected"


@pytest.mark.parametrize(
    ("kind", "summary", "classification", "expected"),
    [
        (
            "marriage",
            {
                "bride_name": "Lê Thị Ngọc Ánh",
                "bride_birth_date": "1998-11-02",
                "groom_name": "Hoàng Đức Mạnh",
                "groom_birth_date": "1996-07-15",
            },
            "ket_hon_lan_dau",
            ["SỔ ĐĂNG KÝ KẾT HÔN", "Lê Thị Ngọc Ánh", "Kết hôn lần đầu"],
        ),
        (
            "death",
            {
                "full_name": "Phùng Văn Thưởng",
                "birth_year": 1941,
                "sex": "male",
                "personal_id": "001041000987",
                "died_at": "2026-03-01T21:40:00",
                "death_place": "Bệnh viện Việt Đức",
                "declarant_name": "Phùng Thị Mỹ Lệ",
            },
            "dang_ky_lai",
            ["SỔ ĐĂNG KÝ KHAI TỬ", "Phùng Văn Thưởng", "1941", "Đăng ký lại"],
        ),
    ],
)
def test_register_book_of_each_event(
    kind: str,
    summary: dict[str, Any],
    classification: str,
    expected: list[str],
    doc_context: Ctx,
    pdf_text: Text,
) -> None:
    ctx = doc_context("register_book")
    ctx["book"].update(kind=kind, totals={"pages": 10, "events": 1})
    ctx["entries"] = [
        {
            "number": 1,
            "registered_on": "2025-08-01",
            "summary": summary,
            "classification": classification,
            "note": None,
        }
    ]
    text = pdf_text(render_pdf("register_book", ctx))
    for line in expected:
        assert line in text


def test_decomposed_input_prints_composed_vietnamese(doc_context: Ctx, pdf_text: Text) -> None:
    ctx = doc_context("birth_certificate")
    ctx["child"]["full_name"] = unicodedata.normalize("NFD", "Nguyễn Thị Ánh Dương")
    text = pdf_text(render_pdf("birth_certificate", ctx))
    assert "Họ, chữ đệm, tên: Nguyễn Thị Ánh Dương" in text


def test_only_dejavu_fonts_are_embedded(doc_context: Ctx, poppler: Any) -> None:
    # fontconfig maps "Times New Roman" to Liberation Serif, which lacks ư/ơ/ệ: a fallback would mix fonts.
    fonts = poppler("pdffonts", render_pdf("birth_certificate", doc_context("birth_certificate")))
    names = [line.split()[0] for line in fonts.splitlines()[2:]]
    assert names and all("DejaVu" in name for name in names), fonts


def test_qr_code_decodes_to_the_verification_url(doc_context: Ctx, pdf_first_page_png: Any) -> None:
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (a test extra) decodes the printed QR code")
    from PIL import Image

    png = pdf_first_page_png(render_pdf("death_extract", doc_context("death_extract")))
    codes = zxingcpp.read_barcodes(Image.open(png))
    assert [code.text for code in codes] == ["https://hotich.hanoi.gov.vn/verify/Xk3vQ9pLm2Rt7WbN"]


@pytest.mark.parametrize("kind", kinds())
def test_rendering_logs_no_warning(kind: str, doc_context: Ctx, caplog: pytest.LogCaptureFixture) -> None:
    # WeasyPrint reports unsupported CSS and failed resources through logging, not warnings.
    with caplog.at_level(logging.WARNING):
        render_pdf(kind, doc_context(kind, copy={"number": 1}, electronic=True))
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
