"""Issue 8 §1, the law's step order (Luật Hộ tịch 2014 Art. 16(2), 18(2), 34(2)), read from the audit trail:
entry → personal id / deceased marked → register signed → certificate printed → chairman signs → return; a
refusal at the signature voids the entry (its number never reused) and undoes the registry change."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

from tests.api_client import Api, birth_submission
from tests.services.procedures import (
    BINH,
    CHAIRMAN,
    DUC_ANH,
    HANDOVER,
    HANH,
    MAI,
    OFFICER,
    RECEPTION,
    SIGN,
    accept,
    complete,
    death_submission,
    dossier,
    jobs,
    marriage_submission,
    submit,
    verified,
)

REFUSE = {"decision": "refuse", "signer_title": "chu_tich", "note": "Sai tên cha trong tờ khai"}


def steps(api: Api, code: str) -> list[str]:
    """The dossier's moves after acceptance: operations run and tasks completed, in order."""
    out = []
    for ev in api.get("auditor", f"/dossiers/{code}/events").get_json():
        if ev["type"] in ("internal_result", "external_result"):
            op = ev["data"]["operation"]
            kind = ev["task"] if op.startswith("documents/") else ""
            out.append(f"{op}:{kind}" if kind else op)
        elif ev["type"] == "task_completed":
            out.append(f"task:{ev['task']}")
    return out[out.index("task:officer_examine") :]


def test_birth_order_entry_id_register_signed_printed_then_chairman(app: Any, client: Any) -> None:
    api = Api(client)
    code = submit(api, app, birth_submission())
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    jobs(app)
    d = dossier(api, code)
    # before the chairman: entered, personal id assigned, waiting for the register to be signed
    assert d["result"]["register"]["number"] == 1 and len(d["result"]["personal_id"]) == 12
    assert [t["task"] for t in d["tasks"]] == ["register_sign"]
    complete(api, OFFICER, code, "register_sign", {"mode": "in_person", "officer_signed": True})
    assert dossier(api, code)["status"] == "awaiting_signature"
    complete(api, CHAIRMAN, code, "chairman_sign", {"decision": "sign", "signer_title": "pho_chu_tich"})
    complete(api, RECEPTION, code, "return_result", {"delivered_via": "counter"})
    assert steps(api, code) == [
        "task:officer_examine",
        "register/enter",
        "registry/register_birth",
        "task:register_sign",
        "register/sign",
        "documents/issue:issue_certificate",
        "task:chairman_sign",
        "documents/sign:sign_certificate",
        "task:return_result",
    ]
    d = dossier(api, code)
    signature = d["result"]["register_signature"]
    assert signature["mode"] == "in_person" and signature["declarant"] == "Nguyễn Văn An"
    assert signature["officer"] and signature["at"]
    assert d["status"] == "completed" and d["result"]["on_time"] is True
    verified(api, code)


def test_online_birth_register_is_signed_at_collection(app: Any, client: Any) -> None:
    api = Api(client)
    payload = birth_submission()
    payload["channel"] = "online"
    code = submit(api, app, payload)
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    assert dossier(api, code, "portal")["status"] == "awaiting_confirmation"
    assert api.post("portal", f"/dossiers/{code}/confirm-draft", json={"confirmed": True}).status_code == 200
    jobs(app)
    complete(api, OFFICER, code, "register_sign", {"mode": "at_collection", "officer_signed": True})
    assert dossier(api, code)["result"]["register_signature"]["mode"] == "at_collection"
    events = api.get("auditor", f"/dossiers/{code}/events").get_json()
    results = [e for e in events if e["type"] == "internal_result"]
    signed = [e for e in results if e["data"]["operation"] == "register/sign"]
    assert signed and signed[0]["data"]["result"]["mode"] == "at_collection"


def test_birth_refused_after_the_entry_voids_it_and_revokes_the_registry(app: Any, client: Any) -> None:
    api = Api(client)
    code = submit(api, app, birth_submission())
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    api.sign_register(OFFICER, code)
    pid = dossier(api, code)["result"]["personal_id"]
    complete(api, CHAIRMAN, code, "chairman_sign", REFUSE)
    jobs(app)  # the compensating registry call
    d = dossier(api, code)
    assert d["status"] == "refused" and d["result"]["refused"] is True
    assert d["result"]["reasons"] == ["Sai tên cha trong tờ khai"]
    assert d["result"]["register"] == {"book": "01/2026", "number": 1, "voided": True}
    assert d["result"]["register_void"]["reason"] == "Sai tên cha trong tờ khai"
    assert d["result"]["registry_revoked"] == {"revoked": True, "personal_id": pid}
    assert steps(api, code)[-4:] == [
        "task:chairman_sign",
        "register/void",
        "registry/revoke_birth",
        "documents/issue:issue_refusal_after_entry",
    ]
    person = api.get(OFFICER, f"/registry/persons/{pid}").get_json()
    assert person["civil_status_locked"] is True  # kept, never deleted
    # the voided number is never given again
    second = submit(api, app, birth_submission())
    accept(api, second)
    complete(api, OFFICER, second, "officer_examine", {"decision": "approve"})
    assert dossier(api, second)["result"]["register"]["number"] == 2
    book = api.get(OFFICER, "/register-books/birth/2026").get_json()
    assert [(e["number"], bool(e["note"])) for e in book["entries"]] == [(1, True), (2, False)]
    assert book["entries"][0]["note"].startswith("ĐÃ HỦY")
    printed = api.get(OFFICER, "/register-books/birth/2026.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(printed.data)).pages)
    flat = " ".join(text.split())
    assert "ĐÃ HỦY" in flat and "Sai tên cha trong tờ khai" in flat, flat
    verified(api, code)


def test_death_refused_after_the_entry_brings_the_person_back(app: Any, client: Any) -> None:
    api = Api(client)
    code = submit(api, app, death_submission())
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    api.sign_register(OFFICER, code)
    assert api.get(OFFICER, f"/registry/persons/{BINH[0]}").get_json()["deceased_on"]
    assert api.get(OFFICER, f"/registry/persons/{HANH[0]}").get_json()["marital_status"] == "widowed"
    complete(api, CHAIRMAN, code, "chairman_sign", REFUSE)
    jobs(app)
    d = dossier(api, code)
    assert d["status"] == "refused" and d["result"]["registry_revoked"]["revoked"] is True
    person = api.get(OFFICER, f"/registry/persons/{BINH[0]}").get_json()
    assert person["deceased_on"] is None and person["civil_status_locked"] is False
    assert api.get(OFFICER, f"/registry/persons/{HANH[0]}").get_json()["marital_status"] == "married"


def test_marriage_entry_and_certificate_exist_before_the_chairman_signs(app: Any, client: Any) -> None:
    api = Api(client)
    code = submit(api, app, marriage_submission())
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    jobs(app)
    d = dossier(api, code)
    assert d["status"] == "awaiting_signature" and d["result"]["register"]["number"] == 1
    docs = {doc["name"] for doc in api.get(RECEPTION, f"/dossiers/{code}/documents").get_json()}
    assert any(name.startswith("giay_chung_nhan_ket_hon") for name in docs)
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    assert dossier(api, code)["status"] == "awaiting_handover"
    complete(api, OFFICER, code, "marriage_handover", HANDOVER)
    d = dossier(api, code)
    assert d["status"] == "completed"
    signature = d["result"]["register_signature"]
    assert signature["mode"] == "in_person" and signature["declarant"] == f"{MAI[1]} và {DUC_ANH[1]}"


def test_marriage_refused_after_the_entry_restores_both_parties(app: Any, client: Any) -> None:
    api = Api(client)
    code = submit(api, app, marriage_submission())
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    jobs(app)
    assert api.get(OFFICER, f"/registry/persons/{MAI[0]}").get_json()["marital_status"] == "married"
    complete(api, CHAIRMAN, code, "chairman_sign", REFUSE)
    jobs(app)
    assert dossier(api, code)["status"] == "refused"
    for pid in (MAI[0], DUC_ANH[0]):
        person = api.get(OFFICER, f"/registry/persons/{pid}").get_json()
        assert person["marital_status"] == "single" and person["spouse_personal_id"] is None
