"""Official documents as PDF (WeasyPrint), laid out like the TT 04/2020 (amended TT 04/2024) forms.

``render_html(kind, ctx)`` gives a self-contained HTML page; ``render_pdf(kind, ctx)`` the A4 PDF bytes.
Nothing is fetched: styles are inline, the QR code is a ``data:`` URI, and any other URL makes
``render_pdf`` raise :class:`ExternalResourceRefused`. Strings are NFC-normalised before rendering; a
missing key raises ``jinja2.UndefinedError``; a bad code (sex, title, classification) raises ``ValueError``.
Dates are ISO strings ('YYYY-MM-DD') or ``date``; datetimes are ISO strings or ``datetime`` — aware ones
are shown in Asia/Ho_Chi_Minh, naive ones are taken as Vietnam wall-clock time.

Common keys (every kind)::

    issuer        {"commune_name": "Phường Hoàn Kiếm", "province_name": "Thành phố Hà Nội",
                   "place_name": "Hà Nội", "reception_unit": optional, slips only, default
                   "Bộ phận tiếp nhận và trả kết quả"}
    issued_on     date of the document (place/date line)
    verify_url    "{verify_base_url}/verify/{verify_token}" — encoded in the QR code (checked)
    verify_token  printed in small text beside the QR code
    dossier_code  printed in the footer (and on slips under the issuer)
    copy          None (original) or {"number": int >= 1, "name"?: "Bản sao Giấy khai sinh", "of"?: "Giấy
                  khai sinh"} → "BẢN SAO", "GIẤY KHAI SINH", "Bản sao số: n"
    electronic    bool → adds "Bản điện tử"
    draft         optional bool → adds "DỰ THẢO" (the draft sent to the citizen for confirmation)
    signer        {"name": str, "title": "chu_tich" | "pho_chu_tich"} or None
                  ("CHỦ TỊCH" / "KT. CHỦ TỊCH, PHÓ CHỦ TỊCH") above the seal area (id "chu-ky-so-lanh-dao",
                  a named destination of the PDF for the e-signature tool); on the refusal letter,
                  certificates, apology slip and a closed register book. None (not signed yet) prints the
                  blank block of the form, e.g. "NGƯỜI KÝ GIẤY KHAI SINH (Ký, ghi rõ họ, chữ đệm, tên …)"

Per kind (``requester`` is {"full_name", "phone"?}; ``*_at`` are datetimes); a procedure's own kinds
(certificates, extracts) are its record's documents, their contexts built by the record::

    appointment_slip      procedure_name, requester, received_at, due_at, documents [str],
                          fee {"amount": int VND (the total due), "exempt_reason": str|None (the registration
                               fee waived), "exempt_label"?: its Vietnamese reason, "lines": [[label, int]]
                               (copies are charged even when the registration fee is waived)},
                          receiver_name
    supplement_request    procedure_name, requester, received_at, missing [str], note (str|None),
                          receiver_name
    receipt_refusal       procedure_name, requester, reasons [str], receiver_name
    refusal_letter        procedure_name, requester, reasons [str], number (document số)
    apology_slip          procedure_name, requester, received_at, original_due_at, new_due_at, reason
    birth_certificate     register {"book": "01/2026", "number": 15},
                          child {full_name, birth_date, birth_date_in_words, sex "male"|"female",
                                 ethnicity, nationality, birth_place, home_town, personal_id},
                          mother, father: {full_name, birth_year, ethnicity, nationality, residence}
                                 or None (block printed empty), declarant {full_name, id_document},
                          registered_on, registration_place, officer_name
    marriage_certificate  register, bride, groom: {full_name, birth_date, ethnicity, nationality,
                          residence, personal_id}, registered_on, registration_place,
                          original_for "bride" (Bản chính số 1/2) | "groom" (2/2)
    marriage_extract      as marriage_certificate without original_for; only its copies are issued
                          ("Bản sao Trích lục kết hôn", numbered "n/TLKH-BS")
    death_extract         register, deceased {full_name, birth_date or birth_year, sex, ethnicity,
                          nationality, personal_id, last_residence}, death {at: date or datetime,
                          place, cause}, death_notice {number, issuer, issued_on},
                          declarant {full_name, id_document, relationship}, registered_on,
                          registration_place  (copies are numbered "n/TLKT-BS")
    register_book         book {"kind": a procedure key ("birth"), "number": "01/2026", "year": 2026,
                                "opened_on", "closed_on": date|None, "totals": {"pages", "events"}|None},
                          entries [{"number", "registered_on", "classification", "note": str|None,
                                    "summary": see below}]
        summary:           the procedure record's RegisterSpec.summary; its RegisterSpec.columns say how
                           the book prints it (the shipped three below)
        summary, birth:    full_name, birth_date, sex, personal_id, mother_name|None, father_name|None,
                           declarant_name
        summary, marriage: bride_name, bride_birth_date, groom_name, groom_birth_date
        summary, death:    full_name, birth_date or birth_year, sex, personal_id, died_at, death_place,
                           declarant_name
        classification:    dung_han, qua_han, dang_ky_lai, tre_chua_xac_dinh_cha_me, tre_bi_bo_roi,
                           ghi_vao_so, ket_hon_lan_dau, ghi_chu_ket_hon
"""

from app.documents.rendering import (
    SHARED_KINDS,
    DataOnlyURLFetcher,
    ExternalResourceRefused,
    kinds,
    render_html,
    render_pdf,
)

__all__ = [
    "SHARED_KINDS",
    "DataOnlyURLFetcher",
    "ExternalResourceRefused",
    "kinds",
    "render_html",
    "render_pdf",
]
