"""Vietnamese formatting of dates, times, money and coded values, registered as Jinja filters."""

from __future__ import annotations

from datetime import date, datetime

from app.domain.calendar import as_local

SEX_VI = {"male": "Nam", "female": "Nữ"}

# Register classification boxes every book has (spec §4.8.2, §5.8.2, §6.8.2); a procedure's own are in its
# record (RegisterSpec.classifications).
CLASSIFICATION_VI = {
    "dung_han": "Đúng hạn",
    "qua_han": "Quá hạn",
    "dang_ky_lai": "Đăng ký lại",
    "ghi_vao_so": "Ghi vào sổ hộ tịch",
}

# Signature block lines; a Phó Chủ tịch signs on behalf of the Chủ tịch ("KT." = ký thay).
SIGNER_TITLE_LINES = {
    "chu_tich": ("CHỦ TỊCH",),
    "pho_chu_tich": ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"),
}


def _as_date_or_datetime(value: str | date | datetime) -> date | datetime:
    """Parse an ISO string ('YYYY-MM-DD' or a datetime) unless already a date/datetime."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO date string, got {value!r}")
    if "T" in value or " " in value.strip():
        return datetime.fromisoformat(value)
    return date.fromisoformat(value)


def vn_date(value: str | date | datetime, numeric: bool = False) -> str:
    """'ngày 05 tháng 03 năm 2026' (body text) or '05/03/2026' with numeric=True (field cells)."""
    parsed = _as_date_or_datetime(value)
    day = as_local(parsed).date() if isinstance(parsed, datetime) else parsed
    if numeric:
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def vn_datetime_local(value: str | date | datetime) -> str:
    """'14 giờ 05 phút, ngày 05 tháng 03 năm 2026' in Asia/Ho_Chi_Minh; a date alone gives only the date."""
    parsed = _as_date_or_datetime(value)
    if not isinstance(parsed, datetime):
        return vn_date(parsed)
    local = as_local(parsed)
    return f"{local.hour:02d} giờ {local.minute:02d} phút, {vn_date(local)}"


def money_vnd(amount: int) -> str:
    """'8.000 đồng': Vietnamese thousands separator is the dot."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be an integer number of đồng, got {amount!r}")
    return f"{amount:,} đồng".replace(",", ".")


def sex_vi(code: str) -> str:
    """'male' → 'Nam', 'female' → 'Nữ'; anything else is an error, not a blank."""
    try:
        return SEX_VI[code]
    except KeyError:
        raise ValueError(f"unknown sex code {code!r}") from None


def classification_vi(code: str) -> str:
    """Register-entry classification code → its Vietnamese label (the shared boxes, then the procedures')."""
    from app import procedures

    found = CLASSIFICATION_VI.get(code) or next(
        (
            p.register.classifications[code]
            for p in procedures.all_procedures()
            if code in p.register.classifications
        ),
        None,
    )
    if found is None:
        raise ValueError(f"unknown register classification {code!r}")
    return found


def signer_title_lines(title: str) -> tuple[str, ...]:
    """'chu_tich' → ('CHỦ TỊCH',); 'pho_chu_tich' → ('KT. CHỦ TỊCH', 'PHÓ CHỦ TỊCH')."""
    try:
        return SIGNER_TITLE_LINES[title]
    except KeyError:
        raise ValueError(f"unknown signer title {title!r}") from None


# The area of the People's Committee leader's signature and seal. Its id is an anchor of the PDF (a named
# destination with its page and position), so the e-signature tool finds where to place the signature
# appearance and the seal image; the same id on every document with a leader's signature.
SEAL_AREA_ID = "chu-ky-so-lanh-dao"
SEAL_AREA_LABEL = "Chữ ký số, đóng dấu"


def signature_of(signer: dict[str, str] | None, unsigned_caption: str = "NGƯỜI KÝ") -> dict[str, object]:
    """A leader's signature column with its seal area: the title lines ("CHỦ TỊCH" or "KT. CHỦ TỊCH",
    "PHÓ CHỦ TỊCH") and name once signed; before that (a draft, a certificate awaiting signature) the form's
    blank block, its seal area already there for the e-signature to fill."""
    seal = {"id": SEAL_AREA_ID, "label": SEAL_AREA_LABEL}
    if signer is None:
        hint = "(Ký, ghi rõ họ, chữ đệm, tên, chức vụ và đóng dấu)"
        return {"captions": (unsigned_caption,), "hint": hint, "name": "", "seal": seal}
    captions = signer_title_lines(signer["title"])
    return {"captions": captions, "hint": None, "name": signer["name"], "seal": seal}


FILTERS = {
    "vn_date": vn_date,
    "vn_datetime_local": vn_datetime_local,
    "money_vnd": money_vnd,
    "sex_vi": sex_vi,
    "classification_vi": classification_vi,
    "signer_title_lines": signer_title_lines,
    "signature_of": signature_of,
}
