"""A fourth procedure needs only its record, diagram and forms: registered from tests/fixtures, it runs end to
end through the JSON API like the shipped three (submission, tasks, jobs, register, documents)."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from typing import Any

import pytest
from pypdf import PdfReader

from app import procedures
from app.extensions import db
from app.models import RegisterEntry
from app.services.processes import deploy_shipped_processes
from tests.api_client import Api
from tests.fixtures.fourth_procedure.guardianship import PROCEDURE
from tests.services.procedures import DUNG, MAI, RECEPTION, jobs

OFFICER = "officer.hoankiem"


@pytest.fixture
def guardianship(app: Any) -> Iterator[procedures.Procedure]:
    """Register the fixture procedure and deploy its diagram; unregister it afterwards."""
    procedures.register(PROCEDURE)
    try:
        with app.app_context():
            deployed = deploy_shipped_processes()
            assert [v.key for v in deployed] == ["guardianship_registration"]
            db.session.remove()
        yield PROCEDURE
    finally:
        procedures.unregister(PROCEDURE.key)


def pdf_words(pdf: bytes) -> str:
    """The PDF's text with every run of whitespace (line wraps included) as one space."""
    return " ".join(" ".join(page.extract_text() or "" for page in PdfReader(BytesIO(pdf)).pages).split())


def submission() -> dict[str, Any]:
    return {
        "procedure": "guardianship",
        "commune_code": "00070",
        "channel": "counter",
        "data": {
            "requester": {"full_name": MAI[1], "personal_id": MAI[0]},
            "ward": {"full_name": "Ngô Minh Khang", "birth_date": "2015-05-01"},
            "guardian": {"full_name": DUNG[1], "personal_id": DUNG[0]},
            "copies": 1,
        },
    }


def test_fourth_procedure_runs_end_to_end(app: Any, client: Any, guardianship: procedures.Procedure) -> None:
    api = Api(client)
    resp = api.post(RECEPTION, "/dossiers", json=submission())
    assert resp.status_code == 201, resp.get_json()
    code = resp.get_json()["code"]
    jobs(app)  # registry/lookup_parties
    d = api.get(RECEPTION, f"/dossiers/{code}").get_json()
    assert d["status"] == "submitted" and d["findings"] == []
    assert d["data"]["guardian"]["personal_id"] == DUNG[0]

    assert api.complete(RECEPTION, code, "reception_check", {"decision": "accept"}).status_code == 200
    d = api.get(RECEPTION, f"/dossiers/{code}").get_json()
    assert d["status"] == "processing" and d["result"]["fee"]["exempt_reason"] == "free"

    resp = api.complete(OFFICER, code, "officer_examine", {"decision": "approve"})
    assert resp.status_code == 200, resp.get_json()
    jobs(app)
    d = api.get(RECEPTION, f"/dossiers/{code}").get_json()
    assert d["status"] == "result_ready", d
    assert d["result"]["register"]["number"] == 1

    assert api.complete(RECEPTION, code, "return_result", {"delivered_via": "counter"}).status_code == 200
    d = api.get(RECEPTION, f"/dossiers/{code}").get_json()
    assert d["status"] == "completed"

    docs = {doc["name"] for doc in api.get(RECEPTION, f"/dossiers/{code}/documents").get_json()}
    assert {"phieu_hen", "trich_luc_giam_ho", "trich_luc_giam_ho_ban_sao_1"} <= docs
    # its own extract prints from the template beside its record, its register book with its record's columns
    extract = api.get(RECEPTION, f"/dossiers/{code}/documents/trich_luc_giam_ho")
    assert extract.status_code == 200 and extract.mimetype == "application/pdf"
    text = pdf_words(extract.data)
    assert "TRÍCH LỤC ĐĂNG KÝ GIÁM HỘ" in text and "Ngô Minh Khang" in text and DUNG[1] in text
    year = d["result"]["register"]["book"].split("/")[-1]
    book = api.get(RECEPTION, f"/register-books/guardianship/{year}.pdf")
    assert book.status_code == 200, book.get_json()
    text = pdf_words(book.data)
    assert "SỔ ĐĂNG KÝ GIÁM HỘ" in text and "Họ, chữ đệm, tên người giám hộ" in text
    assert "Ngô Minh Khang" in text and DUNG[1] in text
    with app.app_context():
        entry = db.session.query(RegisterEntry).one_or_none()
        assert entry is not None
        assert entry.summary == {"ward_name": "Ngô Minh Khang", "guardian_name": DUNG[1]}
        db.session.remove()


def test_unknown_guardian_blocks(app: Any, client: Any, guardianship: procedures.Procedure) -> None:
    api = Api(client)
    body = submission()
    body["data"]["guardian"]["personal_id"] = "001099999999"
    resp = api.post(RECEPTION, "/dossiers", json=body)
    assert resp.status_code == 201, resp.get_json()
    jobs(app)
    d = api.get(RECEPTION, f"/dossiers/{resp.get_json()['code']}").get_json()
    assert [f["rule"] for f in d["findings"]] == ["GH-01"]


def test_unregistered_procedure_is_refused(client: Any) -> None:
    """Without its record the procedure does not exist: the submission is refused, never read as another."""
    assert "guardianship" not in procedures.keys()
    with pytest.raises(procedures.UnknownProcedure):
        procedures.get("guardianship")
    resp = Api(client).post(RECEPTION, "/dossiers", json=submission())
    assert resp.status_code == 422
    assert "procedure" in resp.get_json()["error"]["fields"]
