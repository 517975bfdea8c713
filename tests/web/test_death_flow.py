"""Death registration (TTHC 1.000656) through the JSON API: submission to the Trích lục khai tử."""

from __future__ import annotations

from typing import Any

from tests.api_client import Api
from tests.services.procedures import (
    BINH,
    CHAIRMAN,
    HANH,
    OFFICER,
    RECEPTION,
    SIGN,
    accept,
    advance,
    complete,
    death_submission,
    documents,
    dossier,
    jobs,
    pdf,
    submit,
    verified,
)


def test_death_counter_path_to_extract_and_locked_record(app: Any, client: Any) -> None:
    api = Api(client)
    code = submit(api, app, death_submission())
    accept(api, code)
    d = dossier(api, code)
    assert d["status"] == "processing" and not d["late"], d
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    jobs(app)
    d = dossier(api, code)
    assert d["status"] == "result_ready", d
    assert d["result"]["register"]["number"] == 1 and d["result"]["registry"]["recorded"] is True
    complete(api, RECEPTION, code, "return_result", {"delivered_via": "counter"})
    assert dossier(api, code)["status"] == "completed"
    deceased = api.get(OFFICER, f"/registry/persons/{BINH[0]}").get_json()
    assert deceased["deceased_on"] == "2026-03-08" and deceased["civil_status_locked"] is True
    assert api.get(OFFICER, f"/registry/persons/{HANH[0]}").get_json()["marital_status"] == "widowed"
    docs = documents(api, code)
    assert {
        "phieu_hen",
        "trich_luc_khai_tu",
        "trich_luc_khai_tu_ban_sao_1",
        "trich_luc_khai_tu_ban_sao_2",
    } <= docs
    pdf(api, code, "trich_luc_khai_tu_ban_sao_2")
    verified(api, code)


def test_death_online_draft_corrected_then_silence_counts_as_consent(
    app: Any, client: Any, clock: Any
) -> None:
    api = Api(client)
    code = submit(api, app, death_submission(channel="online"))
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    assert dossier(api, code, "portal")["status"] == "awaiting_confirmation"
    assert "trich_luc_khai_tu_du_thao" in documents(api, code, "portal")
    answer = {"confirmed": False, "corrections": "Sửa nơi chết: Khoa Hồi sức"}
    assert api.post("portal", f"/dossiers/{code}/confirm-draft", json=answer).status_code == 200
    assert [t["task"] for t in api.get(OFFICER, f"/tasks?dossier={code}").get_json()] == ["officer_examine"]
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    assert dossier(api, code, "portal")["status"] == "awaiting_confirmation"
    advance(clock, api, app, hours=23)
    assert dossier(api, code, "portal")["status"] == "awaiting_confirmation"
    advance(clock, api, app, hours=2)  # no answer within 1 day: confirmed
    jobs(app)
    api.sign_register(OFFICER, code, mode="at_collection")  # online: the declarant signs at collection
    assert dossier(api, code)["status"] == "awaiting_signature"
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    jobs(app)
    complete(api, RECEPTION, code, "return_result", {"delivered_via": "electronic"})
    assert dossier(api, code)["status"] == "completed"
    verified(api, code)


def test_death_apology_slip_and_refusal_letter(app: Any, client: Any, clock: Any) -> None:
    api = Api(client)
    code = submit(api, app, death_submission())
    accept(api, code)
    advance(clock, api, app, days=1)
    assert "phieu_xin_loi" in documents(api, code)
    refusal = {"decision": "refuse", "reasons": ["Giấy báo tử không do cơ quan có thẩm quyền cấp"]}
    complete(api, OFFICER, code, "officer_examine", refusal)
    complete(api, CHAIRMAN, code, "chairman_sign_refusal", SIGN)
    d = dossier(api, code)
    assert d["status"] == "refused" and d["result"]["on_time"] is False
    pdf(api, code, "van_ban_tu_choi")
    verified(api, code)


def test_supplement_request_after_8_working_hours_is_flagged_c11(app: Any, client: Any, clock: Any) -> None:
    api = Api(client)
    online = submit(api, app, death_submission(channel="online"))
    counter = submit(api, app, death_submission(channel="counter", copies=0))
    supplement = {"decision": "supplement", "missing": ["Giấy báo tử bản điện tử"]}
    complete(api, RECEPTION, counter, "reception_check", supplement)  # at once: in time
    # Tue 10/03 09:00 + 8 working hours (08–12, 13–17) = Wed 11/03 09:00; now Wed 10:00
    advance(clock, api, app, hours=25)
    complete(api, RECEPTION, online, "reception_check", supplement)
    d = dossier(api, online, "portal")
    assert d["status"] == "supplement_requested"
    assert ("C11", "flag") in {(f["rule"], f["severity"]) for f in d["findings"]}
    assert "C11" not in {f["rule"] for f in dossier(api, counter)["findings"] if f["severity"] == "flag"}
    # the flag survives the re-check after the supplement
    resp = api.post("portal", f"/dossiers/{online}/supplement", json={"data": {"copies": 1}})
    assert resp.status_code == 200, resp.get_json()
    jobs(app)
    assert ("C11", "flag") in {(f["rule"], f["severity"]) for f in dossier(api, online)["findings"]}
    assert "yeu_cau_bo_sung" in documents(api, online, "portal")
    verified(api, online)


def test_withdrawal_by_the_portal_and_by_reception(app: Any, client: Any) -> None:
    api = Api(client)
    online = submit(api, app, death_submission(channel="online"))
    accept(api, online)
    complete(api, OFFICER, online, "officer_examine", {"decision": "approve"})
    assert api.post(OFFICER, f"/dossiers/{online}/withdraw", json={}).status_code == 403
    assert api.post("reception.badinh", f"/dossiers/{online}/withdraw", json={}).status_code == 404
    for body in ([], "rút", 1):  # not an object: refused by the request schema, and nothing changes
        assert api.post("portal", f"/dossiers/{online}/withdraw", json=body).status_code == 422
    assert dossier(api, online)["status"] != "withdrawn"
    resp = api.post("portal", f"/dossiers/{online}/withdraw", json={"reason": "Gia đình nộp lại tại xã"})
    assert resp.status_code == 200, resp.get_json()
    d = dossier(api, online)
    assert d["status"] == "withdrawn" and d["tasks"] == []
    assert d["result"]["withdrawn"]["reason"] == "Gia đình nộp lại tại xã"
    assert (
        api.post("portal", f"/dossiers/{online}/confirm-draft", json={"confirmed": True}).status_code == 409
    )
    assert api.post("portal", f"/dossiers/{online}/withdraw", json={}).status_code == 409
    events = api.get("auditor", f"/dossiers/{online}/events").get_json()
    assert events[-1]["type"] == "withdrawn" and events[-1]["actor"] == "portal"
    verified(api, online)
    replayed = api.get("auditor", f"/dossiers/{online}/replay").get_json()
    assert replayed["status"] == "withdrawn" and replayed["tasks"] == []

    counter = submit(api, app, death_submission())  # withdrawn while the lookup job result is in
    assert api.post(RECEPTION, f"/dossiers/{counter}/withdraw").status_code == 200
    assert dossier(api, counter)["status"] == "withdrawn"
    verified(api, counter)


def test_registered_dossier_cannot_be_withdrawn(app: Any, client: Any) -> None:
    api = Api(client)
    code = submit(api, app, death_submission())
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)  # entered in the register
    resp = api.post(RECEPTION, f"/dossiers/{code}/withdraw", json={})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "not_withdrawable"
