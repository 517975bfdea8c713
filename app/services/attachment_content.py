"""What an uploaded attachment really is: its type from its bytes (PDF, JPEG, PNG magic, then parsed with
pypdf or Pillow), never from its name or declared type; page and pixel bombs refused; a file name safe to
store and to send back in a Content-Disposition header."""

from __future__ import annotations

import unicodedata
import warnings
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePosixPath

MAX_PDF_PAGES = 200  # a civil-status paper is a few pages; hundreds is a bomb, not a document
MAX_IMAGE_PIXELS = 40_000_000  # 40 megapixels: a phone photo or a 600 dpi A4 scan is well below
MAX_FILENAME = 200
TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
EXTENSIONS = {"pdf": ("pdf",), "jpeg": ("jpg", "jpeg"), "png": ("png",)}


class UnacceptableFile(ValueError):
    """The bytes are not an acceptable PDF/JPEG/PNG; the message (Vietnamese) says why."""


@dataclass(frozen=True)
class Inspected:
    filename: str
    content_type: str


def inspect(filename: str, content: bytes) -> Inspected:
    """The type read from the content and a cleaned file name with the matching extension."""
    kind = _sniff(content)
    if kind == "pdf":
        _check_pdf(content)
    else:
        _check_image(content, kind)
    return Inspected(filename=clean_filename(filename, kind), content_type=TYPES[kind])


def clean_filename(name: str, kind: str | None = None) -> str:
    """No directory, no control characters (CR/LF would break a header), NFC, bounded; the extension of
    the content's type when the name has another one."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/")
    base = PurePosixPath(base).name if "/" in base else base
    base = "".join(" " if unicodedata.category(ch).startswith(("C", "Z")) else ch for ch in base)
    base = " ".join(base.split()).strip(" .")
    stem, dot, ext = base.rpartition(".")
    if dot and stem.strip() and " " not in ext:
        base = f"{stem.strip(' .')}.{ext}"
    if kind is not None:
        stem, _dot, ext = base.rpartition(".")
        if not _dot or ext.lower() not in EXTENSIONS[kind]:
            base = f"{base}.{EXTENSIONS[kind][0]}" if base else ""
        base = base or f"tep_dinh_kem.{EXTENSIONS[kind][0]}"
    if len(base) > MAX_FILENAME:
        stem, _dot, ext = base.rpartition(".")
        base = (
            f"{stem[: MAX_FILENAME - len(ext) - 1]}.{ext}" if _dot and len(ext) <= 5 else base[:MAX_FILENAME]
        )
    return base or "tep_dinh_kem"


def _sniff(content: bytes) -> str:
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    raise UnacceptableFile("Nội dung tệp không phải PDF, JPEG hoặc PNG.")


def _check_pdf(content: bytes) -> None:
    from pypdf import PdfReader

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pypdf warns on every repairable oddity of real scanners' files
            reader = PdfReader(BytesIO(content), strict=False)
            if reader.is_encrypted:
                raise UnacceptableFile("Tệp PDF được mã hóa (có mật khẩu), cán bộ không mở được.")
            pages = len(reader.pages)
    except UnacceptableFile:
        raise
    except Exception as exc:  # noqa: BLE001 - a parser fed hostile bytes may fail in any way: the file is bad
        raise UnacceptableFile("Tệp PDF bị hỏng, không đọc được.") from exc
    if pages < 1:
        raise UnacceptableFile("Tệp PDF không có trang nào.")
    if pages > MAX_PDF_PAGES:
        raise UnacceptableFile(f"Tệp PDF có {pages} trang, vượt quá {MAX_PDF_PAGES} trang cho phép.")


def _check_image(content: bytes, kind: str) -> None:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(content)) as image:  # reads the header only
                if (image.format or "").lower() != kind:
                    raise UnacceptableFile("Nội dung ảnh không đúng định dạng JPEG hoặc PNG.")
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    limit = MAX_IMAGE_PIXELS // 1_000_000
                    raise UnacceptableFile(f"Ảnh {width}×{height} điểm ảnh vượt quá {limit} triệu điểm ảnh.")
                image.verify()
    except UnacceptableFile:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:  # Pillow's own limit
        raise UnacceptableFile(f"Ảnh vượt quá {MAX_IMAGE_PIXELS // 1_000_000} triệu điểm ảnh.") from exc
    except Exception as exc:  # noqa: BLE001 - as above: any failure to parse means the image is bad
        raise UnacceptableFile("Tệp ảnh bị hỏng, không đọc được.") from exc
