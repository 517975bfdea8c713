"""Fixtures for the document tests: realistic Vietnamese contexts and PDF text extraction (poppler)."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

TOKEN = "Xk3vQ9pLm2Rt7WbN"
BASE_URL = "https://hotich.hanoi.gov.vn"

COMMON: dict[str, Any] = {
    "issuer": {
        "commune_name": "Phường Hoàn Kiếm",
        "province_name": "Thành phố Hà Nội",
        "place_name": "Hà Nội",
    },
    "issued_on": "2026-03-05",
    "verify_url": f"{BASE_URL}/verify/{TOKEN}",
    "verify_token": TOKEN,
    "dossier_code": "000.00.21.H26-260305-0007",
    "copy": None,
    "electronic": False,
    "signer": {"name": "Trần Văn Hùng", "title": "chu_tich"},
}

REQUESTER = {"full_name": "Nguyễn Văn Bình", "phone": "0912 345 678"}

_KIND_CONTEXTS: dict[str, dict[str, Any]] = {
    "appointment_slip": {
        "procedure_name": "Đăng ký khai sinh",
        "requester": REQUESTER,
        "received_at": "2026-03-05T07:05:00+00:00",
        "due_at": "2026-03-06T08:00:00+07:00",
        "documents": [
            "Tờ khai đăng ký khai sinh",
            "Giấy chứng sinh số 123/GCS do Bệnh viện Phụ sản Hà Nội cấp",
        ],
        "fee": {"amount": 0, "exempt_reason": "đăng ký khai sinh đúng hạn", "lines": []},
        "receiver_name": "Lê Thị Hoa",
    },
    "supplement_request": {
        "procedure_name": "Đăng ký kết hôn",
        "requester": REQUESTER,
        "received_at": "2026-03-05T09:30:00+07:00",
        "missing": [
            "Giấy xác nhận tình trạng hôn nhân của bên nữ",
            "Bản chụp giấy tờ tùy thân còn giá trị sử dụng",
        ],
        "note": "Bổ sung trực tiếp hoặc qua Cổng dịch vụ công.",
        "receiver_name": "Lê Thị Hoa",
    },
    "receipt_refusal": {
        "procedure_name": "Đăng ký khai tử",
        "requester": REQUESTER,
        "reasons": ["Người chết có nơi cư trú cuối cùng không thuộc địa bàn Phường Hoàn Kiếm"],
        "receiver_name": "Lê Thị Hoa",
    },
    "refusal_letter": {
        "procedure_name": "Đăng ký kết hôn",
        "requester": REQUESTER,
        "reasons": ["Bên nam chưa đủ 20 tuổi (Luật Hôn nhân và gia đình Điều 8)"],
        "number": "125/UBND-HT",
        "signer": {"name": "Phạm Thị Lan", "title": "pho_chu_tich"},
    },
    "apology_slip": {
        "procedure_name": "Đăng ký khai sinh",
        "requester": REQUESTER,
        "received_at": "2026-03-02T14:05:00+07:00",
        "original_due_at": "2026-03-03T16:00:00+07:00",
        "new_due_at": "2026-03-05T10:00:00+07:00",
        "reason": "Chờ kết quả xác minh từ Ủy ban nhân dân nơi thường trú.",
    },
    "birth_certificate": {
        "register": {"book": "01/2026", "number": 15},
        "child": {
            "full_name": "Nguyễn Thị Ánh Dương",
            "birth_date": "2026-02-20",
            "birth_date_in_words": "Ngày hai mươi, tháng hai, năm hai nghìn không trăm hai mươi sáu",
            "sex": "female",
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
            "birth_place": "Bệnh viện Phụ sản Hà Nội, Phường Láng, Thành phố Hà Nội",
            "home_town": "Xã Đông Anh, Thành phố Hà Nội",
            "personal_id": "001326012345",
        },
        "mother": {
            "full_name": "Trần Thị Thu Hằng",
            "birth_year": 1995,
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
            "residence": "Số 12 phố Hàng Bạc, Phường Hoàn Kiếm, Thành phố Hà Nội",
        },
        "father": {
            "full_name": "Nguyễn Văn Bình",
            "birth_year": 1992,
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
            "residence": "Số 12 phố Hàng Bạc, Phường Hoàn Kiếm, Thành phố Hà Nội",
        },
        "declarant": {"full_name": "Nguyễn Văn Bình", "id_document": "Căn cước số 001092004567"},
        "registered_on": "2026-03-05",
        "registration_place": "UBND Phường Hoàn Kiếm, Thành phố Hà Nội",
        "officer_name": "Đỗ Minh Tuấn",
    },
    "marriage_certificate": {
        "register": {"book": "01/2026", "number": 8},
        "bride": {
            "full_name": "Lê Thị Ngọc Ánh",
            "birth_date": "1998-11-02",
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
            "residence": "Số 5 phố Hàng Đào, Phường Hoàn Kiếm, Thành phố Hà Nội",
            "personal_id": "001198003311",
        },
        "groom": {
            "full_name": "Hoàng Đức Mạnh",
            "birth_date": "1996-07-15",
            "ethnicity": "Tày",
            "nationality": "Việt Nam",
            "residence": "Thôn Nà Phặc, Xã Ngân Sơn, Tỉnh Thái Nguyên",
            "personal_id": "006096001122",
        },
        "registered_on": "2026-03-05",
        "registration_place": "UBND Phường Hoàn Kiếm, Thành phố Hà Nội",
        "original_for": "bride",
    },
    "marriage_extract": {
        "register": {"book": "01/2026", "number": 8},
        "bride": {
            "full_name": "Lê Thị Ngọc Ánh",
            "birth_date": "1998-11-02",
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
            "residence": "Phường Hoàn Kiếm, Thành phố Hà Nội",
            "personal_id": "001198003311",
            "id_document": "Thẻ căn cước số 001198003311, do Bộ Công an cấp ngày 20/11/2024",
        },
        "groom": {
            "full_name": "Hoàng Đức Mạnh",
            "birth_date": "1996-07-15",
            "ethnicity": "Tày",
            "nationality": "Việt Nam",
            "residence": "Xã Ngân Sơn, Tỉnh Thái Nguyên",
            "personal_id": "006096001122",
            "id_document": "Số định danh cá nhân 006096001122",
        },
        "registered_on": "2026-03-05",
        "registration_place": "UBND Phường Hoàn Kiếm, Thành phố Hà Nội",
    },
    "death_extract": {
        "register": {"book": "01/2026", "number": 4},
        "deceased": {
            "full_name": "Phùng Văn Thưởng",
            "birth_date": "1941-05-19",
            "sex": "male",
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
            "personal_id": "001041000987",
            "last_residence": "Số 30 phố Hàng Bè, Phường Hoàn Kiếm, Thành phố Hà Nội",
        },
        "death": {
            "at": "2026-03-01T21:40:00",
            "place": "Bệnh viện Việt Đức, Phường Cửa Nam, Thành phố Hà Nội",
            "cause": "Bệnh lý tuổi già",
        },
        "death_notice": {"number": "56/GBT", "issuer": "Bệnh viện Việt Đức", "issued_on": "2026-03-02"},
        "declarant": {
            "full_name": "Phùng Thị Mỹ Lệ",
            "id_document": "Căn cước số 001170002233",
            "relationship": "Con đẻ",
        },
        "registered_on": "2026-03-05",
        "registration_place": "UBND Phường Hoàn Kiếm, Thành phố Hà Nội",
    },
    "register_book": {
        "book": {
            "kind": "birth",
            "number": "01/2025",
            "year": 2025,
            "opened_on": "2025-07-01",
            "closed_on": "2025-12-31",
            "totals": {"pages": 48, "events": 3},
        },
        "entries": [
            {
                "number": 1,
                "registered_on": "2025-07-02",
                "summary": {
                    "full_name": "Nguyễn Thị Ánh Dương",
                    "birth_date": "2025-06-20",
                    "sex": "female",
                    "personal_id": "001325012345",
                    "mother_name": "Trần Thị Thu Hằng",
                    "father_name": "Nguyễn Văn Bình",
                    "declarant_name": "Nguyễn Văn Bình",
                },
                "classification": "dung_han",
                "note": None,
            },
            {
                "number": 2,
                "registered_on": "2025-09-15",
                "summary": {
                    "full_name": "Vũ Minh Khôi",
                    "birth_date": "2025-05-01",
                    "sex": "male",
                    "personal_id": "001225000456",
                    "mother_name": "Vũ Thị Mai",
                    "father_name": None,
                    "declarant_name": "Vũ Thị Mai",
                },
                "classification": "qua_han",
                "note": None,
            },
            {
                "number": 3,
                "registered_on": "2025-11-03",
                "summary": {
                    "full_name": "Đặng Gia Bảo",
                    "birth_date": "2025-10-30",
                    "sex": "male",
                    "personal_id": "001225000789",
                    "mother_name": None,
                    "father_name": None,
                    "declarant_name": "Nguyễn Thị Nga",
                },
                "classification": "tre_bi_bo_roi",
                "note": "Trẻ được Chùa Hà tiếp nhận nuôi dưỡng",
            },
        ],
    },
}


def _context(kind: str, **overrides: Any) -> dict[str, Any]:
    """A fresh, realistic context for one document kind; keyword overrides replace top-level keys."""
    return {**copy.deepcopy(COMMON), **copy.deepcopy(_KIND_CONTEXTS[kind]), **overrides}


@pytest.fixture
def doc_context() -> Callable[..., dict[str, Any]]:
    """Factory: doc_context(kind, **overrides) → a deep-copied sample context."""
    return _context


def _require(tool: str) -> str:
    """Path of a poppler tool, or skip: CI installs poppler-utils, a bare laptop may not have it."""
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not found: install Debian's poppler-utils to check the PDF text")
    return path


@pytest.fixture
def pdf_text(tmp_path: Path) -> Callable[[bytes], str]:
    """`pdftotext -layout` text with runs of spaces collapsed; each page ends in a form feed."""
    exe = _require("pdftotext")

    def extract(pdf: bytes) -> str:
        source = tmp_path / "doc.pdf"
        source.write_bytes(pdf)
        out = subprocess.run(
            [exe, "-layout", "-enc", "UTF-8", str(source), "-"], check=True, capture_output=True
        ).stdout.decode("utf-8")
        return re.sub(r"[ \t]+", " ", out)

    return extract


@pytest.fixture
def poppler(tmp_path: Path) -> Callable[..., str]:
    """Run another poppler tool (pdfinfo, pdffonts, pdftoppm) on PDF bytes and return its stdout."""

    def run(tool: str, pdf: bytes, *args: str) -> str:
        exe = _require(tool)
        source = tmp_path / "doc.pdf"
        source.write_bytes(pdf)
        return subprocess.run([exe, *args, str(source)], check=True, capture_output=True, text=True).stdout

    return run


@pytest.fixture
def pdf_first_page_png(tmp_path: Path) -> Callable[[bytes], Path]:
    """Rasterise the first page of a PDF at 150 dpi with pdftoppm and return the PNG's path."""
    exe = _require("pdftoppm")

    def rasterise(pdf: bytes) -> Path:
        source = tmp_path / "page.pdf"
        source.write_bytes(pdf)
        root = tmp_path / "page"
        subprocess.run(
            [exe, "-r", "150", "-png", "-singlefile", "-f", "1", "-l", "1", str(source), str(root)],
            check=True,
            capture_output=True,
        )
        return root.with_suffix(".png")

    return rasterise
