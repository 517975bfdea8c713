"""Marital status the registry cannot establish (KH-04 route): verification by the commune of residence.

NĐ 123/2015 Art. 3 as amended by NĐ 07/2025: the reply is due within 3 working days and the wait does not
count toward the processing time (C8); with verification the limit is 5 working days (LHT Art. 18(2)).
"""

from __future__ import annotations

from typing import Any

from app.domain.personal_id import generate
from tests.api_client import Api
from tests.services.procedures import (
    CHAIRMAN,
    DUC_ANH,
    HANDOVER,
    OFFICER,
    RECEPTION,
    SIGN,
    accept,
    advance,
    blocked_rules,
    complete,
    dossier,
    jobs,
    marriage_submission,
    pdf,
    rule_ids,
    submit,
    verified,
)

UNKNOWN_BRIDE_ID = generate("001", "female", 1999, 777001)  # a valid number the registry does not hold


def unknown_bride_submission(**overrides: Any) -> dict[str, Any]:
    payload = marriage_submission((UNKNOWN_BRIDE_ID, "Cao Thị Thanh Xuân"), DUC_ANH, **overrides)
    payload["data"]["bride"].update(
        birth_date="1999-05-05",
        ethnicity="Kinh",
        nationality="Việt Nam",
        residence="Xã Đông Anh, Thành phố Hà Nội",
    )
    return payload


def test_unknown_party_is_verified_then_registered(app: Any, client: Any) -> None:
    api = Api(client)
    code = submit(api, app, unknown_bride_submission())
    d = dossier(api, code)
    assert {("KH-04", "route"), ("C11", "warn")} <= {(f["rule"], f["severity"]) for f in d["findings"]}
    accept(api, code)
    d = dossier(api, code)
    assert d["status"] == "awaiting_verification", d
    request = d["result"]["verification"]["requests"][0]
    assert request["parties"] == ["bride"] and request["to"] == ["Xã Đông Anh, Thành phố Hà Nội"]
    # sent Tue 10/03 09:00, the reply is due at the close of the 3rd working day after: Fri 13/03 17:00
    assert request["due_at"] == "2026-03-13T10:00:00+00:00"
    assert {"phieu_hen"} <= {x["name"] for x in api.get(RECEPTION, f"/dossiers/{code}/documents").get_json()}
    assert api.get(OFFICER, f"/tasks?dossier={code}").get_json() == []  # nothing to do while waiting
    resp = api.post(
        OFFICER, f"/dossiers/{code}/verification-reply", json={"confirmed_single": True, "note": "CV 12"}
    )
    assert resp.status_code == 200, resp.get_json()
    d = dossier(api, code)
    assert d["status"] == "processing"
    # 5 working days with verification, nothing paused (answered the same day): Mon 16/03 17:00
    assert d["due_at"] == "2026-03-16T10:00:00+00:00" == d["result"]["original_due_at"]
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    complete(api, OFFICER, code, "marriage_handover", HANDOVER)
    jobs(app)
    d = dossier(api, code)
    assert d["status"] == "completed"
    # the registry cannot record a person it does not know: a note, not a crash
    assert d["result"]["registry"]["recorded"] is False
    assert api.get(OFFICER, f"/registry/persons/{DUC_ANH[0]}").get_json()["marital_status"] == "single"
    pdf(api, code, "giay_chung_nhan_ket_hon_ban_chinh_1")  # the bride as declared
    verified(api, code)


def test_verification_reply_overdue_escalates_and_the_pause_extends_the_due_date(
    app: Any, client: Any, clock: Any
) -> None:
    api = Api(client)
    code = submit(api, app, unknown_bride_submission())
    accept(api, code)
    advance(clock, api, app, days=3)  # Fri 13/03 09:00: not yet due
    assert dossier(api, code)["status"] == "awaiting_verification"
    assert api.get(OFFICER, f"/tasks?dossier={code}").get_json() == []
    advance(clock, api, app, days=1)  # Sat 14/03 09:00: the 3 working days are over
    d = dossier(api, code)
    assert d["status"] == "awaiting_verification"
    [task] = api.get(OFFICER, f"/tasks?dossier={code}").get_json()
    assert task["task"] == "verification_overdue" and task["role"] == "officer"
    # the officer chases the other commune: a second request, due Wed 18/03 17:00
    complete(api, OFFICER, code, "verification_overdue", {"decision": "resend", "note": "Đã gọi điện"})
    d = dossier(api, code)
    assert d["status"] == "awaiting_verification"
    assert [r["number"] for r in d["result"]["verification"]["requests"]] == [1, 2]
    assert d["result"]["verification"]["requests"][1]["due_at"] == "2026-03-18T10:00:00+00:00"
    advance(clock, api, app, days=2)  # Mon 16/03 09:00: the reply arrives, negative
    resp = api.post(RECEPTION, f"/dossiers/{code}/verification-reply", json={"confirmed_single": False})
    assert resp.status_code == 200, resp.get_json()
    d = dossier(api, code)
    assert d["status"] == "processing"
    # paused Wed, Thu, Fri, Mon = 4 working days: 5 working days from Tue 10/03 + 4 = Fri 20/03 17:00
    assert d["result"]["verification"]["paused_working_days"] == 4
    assert d["due_at"] == "2026-03-20T10:00:00+00:00"
    assert blocked_rules(api, code) == ["KH-04"]
    advance(clock, api, app, days=5)  # Sat 21/03: past the extended due date → apology, new appointment
    d = dossier(api, code)
    assert d["result"]["apology"]["new_due_at"] == d["due_at"] == "2026-03-23T10:00:00+00:00"
    assert d["result"]["original_due_at"] == "2026-03-20T10:00:00+00:00"
    verified(api, code)


def test_withdrawal_while_waiting_for_verification_stops_the_timer(app: Any, client: Any, clock: Any) -> None:
    api = Api(client)
    code = submit(api, app, unknown_bride_submission())
    accept(api, code)
    resp = api.post(RECEPTION, f"/dossiers/{code}/withdraw", json={"reason": "Hai bên xin rút"})
    assert resp.status_code == 200, resp.get_json()
    advance(clock, api, app, days=5)
    d = dossier(api, code)
    assert d["status"] == "withdrawn" and d["tasks"] == []
    assert (
        api.post(OFFICER, f"/dossiers/{code}/verification-reply", json={"confirmed_single": True}).status_code
        == 409
    )
    verified(api, code)


def test_late_reply_while_the_officer_holds_the_overdue_task(app: Any, client: Any, clock: Any) -> None:
    api = Api(client)
    code = submit(api, app, unknown_bride_submission())
    accept(api, code)
    advance(clock, api, app, days=4)
    assert [t["task"] for t in api.get(OFFICER, f"/tasks?dossier={code}").get_json()] == [
        "verification_overdue"
    ]
    resp = api.post(OFFICER, f"/dossiers/{code}/verification-reply", json={"confirmed_single": True})
    assert resp.status_code == 200, resp.get_json()
    assert [t["task"] for t in api.get(OFFICER, f"/tasks?dossier={code}").get_json()] == ["officer_examine"]
    assert "KH-04" not in rule_ids(dossier(api, code), "route")
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    verified(api, code)


def test_examining_without_a_reply_cannot_approve(app: Any, client: Any, clock: Any) -> None:
    api = Api(client)
    code = submit(api, app, unknown_bride_submission())
    accept(api, code)
    advance(clock, api, app, days=4)
    complete(api, OFFICER, code, "verification_overdue", {"decision": "examine"})
    d = dossier(api, code)
    assert d["status"] == "processing" and d["result"]["verification"]["status"] == "no_reply"
    assert blocked_rules(api, code) == ["KH-04"]  # a route finding blocks approval too
    refusal = {"decision": "refuse", "reasons": ["Không xác định được tình trạng hôn nhân của bên nữ"]}
    complete(api, OFFICER, code, "officer_examine", refusal)
    complete(api, CHAIRMAN, code, "chairman_sign_refusal", SIGN)
    d = dossier(api, code)
    assert d["status"] == "refused" and d["result"]["refused"] is True
    assert d["result"]["reasons"] == ["Không xác định được tình trạng hôn nhân của bên nữ"]
    verified(api, code)


def test_verification_reply_checks(app: Any, client: Any) -> None:
    api = Api(client)
    code = submit(api, app, unknown_bride_submission())
    reply = {"confirmed_single": True}
    # not waiting yet (still at reception): conflict
    assert api.post(OFFICER, f"/dossiers/{code}/verification-reply", json=reply).status_code == 409
    accept(api, code)
    assert (
        api.post("chairman.hoankiem", f"/dossiers/{code}/verification-reply", json=reply).status_code == 403
    )
    assert api.post("portal", f"/dossiers/{code}/verification-reply", json=reply).status_code == 403
    assert api.post("officer.badinh", f"/dossiers/{code}/verification-reply", json=reply).status_code == 404
    bad = api.post(OFFICER, f"/dossiers/{code}/verification-reply", json={"confirmed_single": "yes"})
    assert bad.status_code == 422 and "confirmed_single" in bad.get_json()["error"]["fields"]
    assert dossier(api, code)["status"] == "awaiting_verification"
