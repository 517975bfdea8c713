"""Marriage registration (TTHC 1.000894) through the JSON API: submission to two original certificates."""

from __future__ import annotations

from typing import Any

from tests.api_client import Api
from tests.services.procedures import (
    CHAIRMAN,
    DUC_ANH,
    HANDOVER,
    MAI,
    OFFICER,
    RECEPTION,
    SIGN,
    accept,
    advance,
    complete,
    documents,
    dossier,
    jobs,
    marriage_submission,
    pdf,
    submit,
    verified,
)


def test_marriage_counter_path_to_two_originals(app: Any, client: Any) -> None:
    api = Api(client)
    code = submit(api, app, marriage_submission())
    d = dossier(api, code)
    assert d["status"] == "submitted", d
    [task] = d["tasks"]  # every open task has a due date: reception checks within 1 working day
    assert task["task"] == "reception_check" and task["due_at"] == "2026-03-10T10:00:00+00:00"
    accept(api, code)
    d = dossier(api, code)
    assert d["status"] == "processing" and d["due_at"], d
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    jobs(app)  # Luật Hộ tịch Art. 18(2): entry and certificate exist before the chairman signs
    assert dossier(api, code)["status"] == "awaiting_signature"
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    assert dossier(api, code)["status"] == "awaiting_handover"
    complete(api, OFFICER, code, "marriage_handover", HANDOVER)
    jobs(app)
    d = dossier(api, code)
    assert d["status"] == "completed", d
    assert d["result"]["register"]["number"] == 1
    assert d["result"]["on_time"] is True and d["result"]["registry"]["recorded"] is True
    assert "KH-13" not in {f["rule"] for f in d["findings"]}  # both now married to each other
    for pid, spouse in ((MAI[0], DUC_ANH[0]), (DUC_ANH[0], MAI[0])):
        person = api.get(OFFICER, f"/registry/persons/{pid}").get_json()
        assert person["marital_status"] == "married" and person["spouse_personal_id"] == spouse
    docs = documents(api, code)
    assert {"phieu_hen", "giay_chung_nhan_ket_hon_ban_chinh_1", "giay_chung_nhan_ket_hon_ban_chinh_2"} <= docs
    pdf(api, code, "giay_chung_nhan_ket_hon_ban_chinh_2")
    verified(api, code)


def test_marriage_online_draft_confirmed_then_in_person_handover(app: Any, client: Any) -> None:
    api = Api(client)
    code = submit(api, app, marriage_submission(channel="online"))
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    d = dossier(api, code, "portal")
    assert d["status"] == "awaiting_confirmation"
    assert "giay_chung_nhan_ket_hon_du_thao" in documents(api, code, "portal")
    pdf(api, code, "giay_chung_nhan_ket_hon_du_thao", "portal")
    resp = api.post("portal", f"/dossiers/{code}/confirm-draft", json={"confirmed": True})
    assert resp.status_code == 200, resp.get_json()
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    # marriage is never end to end: the handover is in person even for an online dossier
    assert dossier(api, code)["status"] == "awaiting_handover"
    missing = {"bride_present": True, "groom_present": False, "voluntary_confirmed": True}
    resp = api.complete(OFFICER, code, "marriage_handover", missing)
    assert resp.status_code == 422 and "groom_present" in resp.get_json()["error"]["fields"]
    complete(api, OFFICER, code, "marriage_handover", HANDOVER)
    jobs(app)
    assert dossier(api, code)["status"] == "completed"
    verified(api, code)


def test_marriage_apology_slip_when_the_due_date_passes(app: Any, client: Any, clock: Any) -> None:
    api = Api(client)
    code = submit(api, app, marriage_submission())
    accept(api, code)
    original = dossier(api, code)["due_at"]
    assert original == "2026-03-10T10:00:00+00:00"  # same day, 17:00 (received before 15:00)
    advance(clock, api, app, days=1)  # Wed 11/03 09:00
    d = dossier(api, code)
    assert "phieu_xin_loi" in documents(api, code)
    pdf(api, code, "phieu_xin_loi")
    assert d["due_at"] == "2026-03-11T10:00:00+00:00"  # the new appointment
    assert d["result"]["original_due_at"] == original  # the yardstick stays
    [task] = api.get(OFFICER, f"/tasks?dossier={code}").get_json()
    assert task["task"] == "officer_examine" and task["overdue"] is True
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    complete(api, OFFICER, code, "marriage_handover", HANDOVER)
    jobs(app)
    d = dossier(api, code)
    assert d["status"] == "completed" and d["result"]["on_time"] is False  # an apology is not "on time"
    verified(api, code)


def test_marriage_refusal_signed_by_the_chairman(app: Any, client: Any) -> None:
    api = Api(client)
    code = submit(api, app, marriage_submission())
    accept(api, code)
    refusal = {
        "decision": "refuse",
        "reasons": ["Có dấu hiệu kết hôn giả tạo (KH-06)"],
        "note": "Đã xác minh",
    }
    complete(api, OFFICER, code, "officer_examine", refusal)
    assert dossier(api, code)["status"] == "awaiting_signature"
    # the chairman sends it back once, then signs the refusal
    complete(api, CHAIRMAN, code, "chairman_sign_refusal", {"decision": "refuse", "signer_title": "chu_tich"})
    complete(api, OFFICER, code, "officer_examine", refusal)
    complete(api, CHAIRMAN, code, "chairman_sign_refusal", SIGN)
    d = dossier(api, code)
    assert d["status"] == "refused" and d["result"]["refused"] is True
    assert d["result"]["reasons"] == ["Có dấu hiệu kết hôn giả tạo (KH-06)", "Đã xác minh"]
    assert "van_ban_tu_choi" in documents(api, code)
    pdf(api, code, "van_ban_tu_choi")
    verified(api, code)


def test_marriage_conditions_need_verification_five_working_days(app: Any, client: Any) -> None:
    api = Api(client)
    code = submit(api, app, marriage_submission())
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "supplement", "verify_conditions": True})
    d = dossier(api, code)
    # LHT Art. 18(2): 5 working days from Tue 10/03 → Mon 16/03 17:00; back at the examination
    assert d["status"] == "processing" and d["due_at"] == "2026-03-16T10:00:00+00:00"
    [task] = api.get(OFFICER, f"/tasks?dossier={code}").get_json()
    assert task["task"] == "officer_examine" and task["due_at"] == d["due_at"]
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    verified(api, code)


def test_marriage_receipt_refused(app: Any, client: Any) -> None:
    api = Api(client)
    code = submit(api, app, marriage_submission())
    complete(
        api,
        RECEPTION,
        code,
        "reception_check",
        {"decision": "refuse_receipt", "note": "Không thuộc thẩm quyền"},
    )
    assert dossier(api, code)["status"] == "receipt_refused"
    assert "tu_choi_tiep_nhan" in documents(api, code)
    verified(api, code)
