"""Issue 8 §5, what the papers say, read from the PDFs a dossier issues end to end (JSON API → PDF text):
residence as a place, identity documents, the leader's signature and seal area, copies named as the law
names them, the marriage extract's copies, the appointment slip's attachments and fee."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from pypdf import PdfReader

from app.documents.formats import SEAL_AREA_ID
from tests.api_client import Api, birth_submission
from tests.services.procedures import (
    BINH,
    CHAIRMAN,
    HANDOVER,
    OFFICER,
    RECEPTION,
    SIGN,
    accept,
    attachment,
    complete,
    death_submission,
    documents,
    jobs,
    marriage_submission,
    pdf,
    submit,
)

Text = Callable[[bytes], str]
CHAIRMAN_NAME = "Lê Quang Huy"  # chairman.hoankiem (app/services/seed.py)
ID_CARD = {
    "type": "id_card",
    "issuer": "Bộ Công an",
    "issued_on": "2024-11-20",
}


def flat(text: str) -> str:
    return " ".join(text.split())


def read(api: Api, code: str, name: str, pdf_text: Text) -> str:
    return flat(pdf_text(pdf(api, code, name)))


def birth_to_certificate(api: Api, app: Any, payload: dict[str, Any], title: str = "chu_tich") -> str:
    code = submit(api, app, payload)
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    jobs(app)
    complete(api, CHAIRMAN, code, "chairman_sign", {"decision": "sign", "signer_title": title})
    return code


def test_birth_certificate_prints_places_identity_signature_and_named_copies(
    app: Any, client: Any, pdf_text: Text
) -> None:
    api = Api(client)
    payload = birth_submission(copies=2)
    payload["data"]["requester"]["id_document"] = ID_CARD
    payload["attachments"] = [attachment("birth_certificate", "giay_chung_sinh.pdf")]
    code = birth_to_certificate(api, app, payload)

    text = read(api, code, "giay_khai_sinh", pdf_text)
    # the parents' residence from the registry (commune code 00070) as names, never the code
    assert "Nơi cư trú: Phường Hoàn Kiếm, Thành phố Hà Nội" in text
    assert "Nơi cư trú: 00070" not in text
    # the declarant's identity document: type, number (the personal id on a Thẻ căn cước), issuer, date
    assert "Giấy tờ tùy thân: Thẻ căn cước số 001095012345, do Bộ Công an cấp ngày 20/11/2024" in text
    # the chairman's signature block: title, seal area, name
    assert "CHỦ TỊCH" in text and "Chữ ký số, đóng dấu" in text and CHAIRMAN_NAME in text
    assert "BẢN SAO" not in text

    copy = read(api, code, "giay_khai_sinh_ban_sao_1", pdf_text)
    # the copy's mark names what it copies (BẢN SAO / GIẤY KHAI SINH) beside the title
    assert "BẢN SAO" in copy and copy.count("GIẤY KHAI SINH") == 2 and "Bản sao số: 1" in copy
    assert "trích lục" not in copy.lower()
    titles = {d["name"]: d["title"] for d in api.get(RECEPTION, f"/dossiers/{code}/documents").get_json()}
    assert titles["giay_khai_sinh_ban_sao_2"] == "Bản sao Giấy khai sinh số 2"

    # the e-signature tool finds the seal area by its id: a named destination on the signer's page
    reader = PdfReader(io.BytesIO(pdf(api, code, "giay_khai_sinh")))
    dest = reader.named_destinations[SEAL_AREA_ID]
    assert reader.get_destination_page_number(dest) == 0 and float(dest.top) > 0

    slip = read(api, code, "phieu_hen", pdf_text)
    assert "Tờ khai đăng ký khai sinh" in slip
    assert "Giấy chứng sinh (tệp giay_chung_sinh.pdf)" in slip
    # an on-time birth is free, its two copies are not (TT 281/2016)
    assert "5. Lệ phí: 16.000 đồng" in slip
    assert "Miễn lệ phí đăng ký (đăng ký khai sinh đúng hạn) 0 đồng" in slip
    assert "Phí cấp bản sao Giấy khai sinh (2 bản) 16.000 đồng" in slip
    assert "on_time" not in slip


def test_vice_chairman_signs_on_behalf(app: Any, client: Any, pdf_text: Text) -> None:
    api = Api(client)
    code = birth_to_certificate(api, app, birth_submission(copies=0), title="pho_chu_tich")
    text = read(api, code, "giay_khai_sinh", pdf_text)
    assert "KT. CHỦ TỊCH" in text and "PHÓ CHỦ TỊCH" in text and CHAIRMAN_NAME in text


def test_certificate_awaiting_signature_has_the_seal_area_but_no_signer(
    app: Any, client: Any, pdf_text: Text
) -> None:
    """Printed before the chairman signs (LHT Art. 16(2)): the block the e-signature will fill is there."""
    api = Api(client)
    code = submit(api, app, birth_submission(copies=0))
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    api.sign_register(OFFICER, code)
    text = read(api, code, "giay_khai_sinh", pdf_text)
    assert "NGƯỜI KÝ GIẤY KHAI SINH" in text and "Chữ ký số, đóng dấu" in text
    assert CHAIRMAN_NAME not in text


def test_marriage_extract_copies_that_are_charged_are_issued_and_signed(
    app: Any, client: Any, pdf_text: Text
) -> None:
    api = Api(client)
    code = submit(api, app, marriage_submission(copies=2))
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    jobs(app)
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    complete(api, OFFICER, code, "marriage_handover", HANDOVER)
    names = documents(api, code)
    assert {"trich_luc_ket_hon_ban_sao_1", "trich_luc_ket_hon_ban_sao_2"} <= names
    assert "trich_luc_ket_hon" not in names  # only the copies asked for
    extract = read(api, code, "trich_luc_ket_hon_ban_sao_2", pdf_text)
    assert "BẢN SAO" in extract and extract.count("TRÍCH LỤC KẾT HÔN") == 2
    assert "Bản sao số: 2/TLKH-BS" in extract
    assert "Đặng Thị Mai" in extract and "Vũ Đức Anh" in extract
    assert CHAIRMAN_NAME in extract  # signed with the certificates
    certificate = read(api, code, "giay_chung_nhan_ket_hon_ban_chinh_1", pdf_text)
    # both parties' residence from the registry as names (the table cells wrap: "…, Thành / phố Hà Nội")
    assert "Nơi cư trú Phường Hoàn Kiếm, Thành Phường Hoàn Kiếm, Thành phố Hà Nội phố Hà Nội" in certificate
    assert "Nơi cư trú 00070" not in certificate
    # the parties' identity documents (a row of their own, each only a personal id here)
    row = "Giấy tờ tùy thân Số định danh cá nhân Số định danh cá nhân 001198056789 001097067890"
    assert row in certificate
    slip = read(api, code, "phieu_hen", pdf_text)
    assert "Phí cấp bản sao Trích lục kết hôn (2 bản) 16.000 đồng" in slip
    assert "5. Lệ phí: 16.000 đồng" in slip


def test_marriage_without_copies_issues_no_extract(app: Any, client: Any) -> None:
    api = Api(client)
    code = submit(api, app, marriage_submission(copies=0))
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    jobs(app)
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    assert not {n for n in documents(api, code) if n.startswith("trich_luc_ket_hon")}


def test_death_extract_prints_last_residence_and_relationship_in_vietnamese(
    app: Any, client: Any, pdf_text: Text
) -> None:
    api = Api(client)
    payload = death_submission(copies=1)
    payload["data"]["requester"]["relationship"] = "relative"
    payload["data"]["requester"]["id_document"] = {"type": "passport", "number": "C1234567"}
    code = submit(api, app, payload)
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    jobs(app)
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    text = read(api, code, "trich_luc_khai_tu", pdf_text)
    # the deceased gave no last residence on the form: the registry's commune, by name
    assert "Nơi cư trú cuối cùng: Phường Hoàn Kiếm, Thành phố Hà Nội" in text
    assert "Quan hệ với người đã chết: Người thân thích khác" in text
    assert "relative" not in text
    assert "Giấy tờ tùy thân: Hộ chiếu số C1234567" in text
    assert BINH[1] in text
    copy = read(api, code, "trich_luc_khai_tu_ban_sao_1", pdf_text)
    assert "BẢN SAO" in copy and copy.count("TRÍCH LỤC KHAI TỬ") == 2 and "Bản sao số: 1/TLKT-BS" in copy
    titles = {d["name"]: d["title"] for d in api.get(RECEPTION, f"/dossiers/{code}/documents").get_json()}
    assert titles["trich_luc_khai_tu_ban_sao_1"] == "Bản sao Trích lục khai tử số 1"


def test_declared_last_residence_wins_over_the_registry(app: Any, client: Any, pdf_text: Text) -> None:
    api = Api(client)
    payload = death_submission()
    payload["data"]["deceased"]["last_residence"] = "Số 12 phố Hàng Bạc, Phường Hoàn Kiếm, Thành phố Hà Nội"
    code = submit(api, app, payload)
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    jobs(app)
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    text = read(api, code, "trich_luc_khai_tu", pdf_text)
    assert "Nơi cư trú cuối cùng: Số 12 phố Hàng Bạc, Phường Hoàn Kiếm, Thành phố Hà Nội" in text
