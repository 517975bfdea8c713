"""Shared builders and steps for the marriage, death and birth special-case flow tests (JSON API only)."""

from __future__ import annotations

import base64
from typing import Any

from app.extensions import db
from app.services.jobs import run_pending
from tests.api_client import Api

RECEPTION, OFFICER, CHAIRMAN = "reception.hoankiem", "officer.hoankiem", "chairman.hoankiem"
SIGN = {"decision": "sign", "signer_title": "chu_tich"}
HANDOVER = {"bride_present": True, "groom_present": True, "voluntary_confirmed": True}
# demo registry persons (app/services/seed.py), all living in Phường Hoàn Kiếm (00070) unless noted
MAI = ("001198056789", "Đặng Thị Mai")  # female, 1998, single
DUC_ANH = ("001097067890", "Vũ Đức Anh")  # male, 1997, single
TRANG = ("001199078901", "Hoàng Thị Thu Trang")  # female, 1999, single
DUNG = ("001096089012", "Ngô Quang Dũng")  # male, 1996, single
TUNG = ("001097013456", "Lê Văn Tùng")  # male, 1997, son of Bình and Hạnh
HOA = ("001199014567", "Lê Thị Hoa")  # female, 1999, daughter of Bình and Hạnh: Tùng's sister
BINH = ("001045001234", "Trần Văn Bình")  # male, 1945, married to Hạnh
HANH = ("001148002345", "Lê Thị Hạnh")  # female, 1948, married to Bình
AN = ("001095012345", "Nguyễn Văn An")  # male, 1995, married to Ngọc
THANH = ("001052004567", "Phạm Văn Thành")  # male, died 2025-12-01
ANH_BADINH = ("001100009012", "Phan Thị Ngọc Ánh")  # female, 2000, single, Ba Đình (00004)
TOAN_BADINH = ("001098010123", "Đinh Văn Toàn")  # male, 1998, single, Ba Đình (00004)


def jobs(app: Any) -> int:
    """Run due jobs and timers as the job runner would."""
    with app.app_context():
        count = run_pending()
        db.session.remove()
    return count


def one_page_pdf() -> bytes:
    """A real one-page PDF (attachments are checked by their bytes)."""
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def attachment(kind: str, filename: str = "giay_to.pdf") -> dict[str, str]:
    return {"kind": kind, "filename": filename, "content_base64": base64.b64encode(one_page_pdf()).decode()}


def marriage_submission(
    bride: tuple[str, str] = MAI,
    groom: tuple[str, str] = DUC_ANH,
    *,
    channel: str = "counter",
    commune: str = "00070",
    requester: str = "groom",
    **overrides: Any,
) -> dict[str, Any]:
    """A valid marriage dossier for two single demo persons (first marriage each)."""
    parties = {"bride": bride, "groom": groom}
    data: dict[str, Any] = {
        "requester": {
            "full_name": parties[requester][1],
            "personal_id": parties[requester][0],
            "relationship": requester,
            "phone": "0912000111",
        },
        "copies": 0,
        "bride": {"personal_id": bride[0], "full_name": bride[1], "marriage_count": 1},
        "groom": {"personal_id": groom[0], "full_name": groom[1], "marriage_count": 1},
    }
    data.update(overrides)
    return {"procedure": "marriage", "commune_code": commune, "channel": channel, "data": data}


def death_submission(
    deceased: dict[str, Any] | None = None,
    *,
    died_at: str = "2026-03-08T10:30:00+07:00",
    channel: str = "counter",
    commune: str = "00070",
    **overrides: Any,
) -> dict[str, Any]:
    """A valid on-time death dossier: Trần Văn Bình died in hospital, his wife Lê Thị Hạnh registers."""
    data: dict[str, Any] = {
        "requester": {
            "full_name": HANH[1],
            "personal_id": HANH[0],
            "relationship": "spouse",
            "phone": "0912000222",
            "email": "hanh@example.vn",
        },
        "copies": 2,
        "deceased": deceased or {"personal_id": BINH[0], "full_name": BINH[1], "sex": "male"},
        "death": {
            "at": died_at,
            "place": "Bệnh viện Hữu nghị Việt Đức, Thành phố Hà Nội",
            "cause": "Bệnh lý tuổi già",
        },
        "death_notice": {
            "number": "123/GBT",
            "issuer_type": "health_facility",
            "issuer": "Bệnh viện Hữu nghị Việt Đức",
            "issued_on": died_at[:10],
        },
    }
    data.update(overrides)
    return {"procedure": "death", "commune_code": commune, "channel": channel, "data": data}


def submit(api: Api, app: Any, payload: dict[str, Any], user: str | None = None) -> str:
    """Submit (portal for online dossiers, else the counter) and run the lookup jobs; returns the code."""
    user = user or ("portal" if payload["channel"] == "online" else RECEPTION)
    resp = api.post(user, "/dossiers", json=payload)
    assert resp.status_code == 201, resp.get_json()
    code: str = resp.get_json()["code"]
    jobs(app)
    return code


def dossier(api: Api, code: str, user: str = OFFICER) -> dict[str, Any]:
    resp = api.get(user, f"/dossiers/{code}")
    assert resp.status_code == 200, resp.get_json()
    body: dict[str, Any] = resp.get_json()
    return body


def complete(api: Api, user: str, code: str, task: str, data: dict[str, Any], status: int = 200) -> Any:
    resp = api.complete(user, code, task, data)
    assert resp.status_code == status, resp.get_json()
    return resp.get_json()


def accept(api: Api, code: str) -> None:
    complete(api, RECEPTION, code, "reception_check", {"decision": "accept"})


def rule_ids(d: dict[str, Any], severity: str | None = None) -> set[str]:
    return {f["rule"] for f in d["findings"] if severity is None or f["severity"] == severity}


def blocked_rules(api: Api, code: str) -> list[str]:
    """Try to approve; the 422 error's rule ids (the task stays open)."""
    resp = api.complete(OFFICER, code, "officer_examine", {"decision": "approve"})
    assert resp.status_code == 422, resp.get_json()
    rules: list[str] = resp.get_json()["error"]["rules"]
    return rules


def documents(api: Api, code: str, user: str = RECEPTION) -> set[str]:
    return {doc["name"] for doc in api.get(user, f"/dossiers/{code}/documents").get_json()}


def pdf(api: Api, code: str, name: str, user: str = RECEPTION) -> bytes:
    resp = api.get(user, f"/dossiers/{code}/documents/{name}")
    assert resp.status_code == 200, resp.get_json()
    assert resp.data.startswith(b"%PDF")
    data: bytes = resp.data
    return data


def verified(api: Api, code: str) -> None:
    """The audit chain is intact and re-executing the events gives the stored state."""
    body = api.get("auditor", f"/dossiers/{code}/verify").get_json()
    assert body == {"chain_ok": True, "replay_ok": True, "first_bad_seq": None, "problems": []}, body


def new_person(api: Api, **fields: Any) -> str:
    """Add a person to the embedded registry (admin API); returns the personal id."""
    body = {"ethnicity": "Kinh", "nationality": "Việt Nam", "residence_commune_code": "00070", **fields}
    resp = api.post("admin", "/registry/persons", json=body)
    assert resp.status_code == 201, resp.get_json()
    pid: str = resp.get_json()["personal_id"]
    return pid


def advance(clock: Any, api: Api, app: Any, **delta: float) -> None:
    """Let time pass (tokens expire: log in again), then run the due jobs and timers."""
    clock.advance(**delta)
    api.tokens.clear()
    jobs(app)
