"""Issue 8 §4: the apology and new-appointment slip (C10) is sent before the due date at whatever step the
dossier waits — the officer's examination, the citizen's draft confirmation, the register signature, the
chairman's signature, the return — and never for a result already issued; the citizen's day to confirm an
electronic draft is added to the due date, so online confirmation never makes a dossier late by design.

The clock starts on Tue 10/03/2026 09:00 in Hà Nội; a same-day dossier is due at 17:00 and its apology
moment is 15:00 (two working hours before; a day before for longer limits)."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

from tests.api_client import Api, birth_submission
from tests.services.procedures import (
    CHAIRMAN,
    HANDOVER,
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

DUE_TUE = "2026-03-10T10:00:00+00:00"  # Tue 17:00
DUE_WED = "2026-03-11T10:00:00+00:00"  # Wed 17:00


def apology_events(api: Api, code: str) -> list[tuple[str, bool]]:
    """(task that issued it, issued?) for every apology the diagram's timers ran."""
    out = []
    for ev in api.get("auditor", f"/dossiers/{code}/events").get_json():
        data = ev.get("data") or {}
        if ev["type"] == "internal_result" and str(ev["task"] or "").startswith("issue_apology"):
            out.append((ev["task"], bool((data.get("result") or {}).get("documents"))))
    return out


def counter_birth(api: Api, app: Any) -> str:
    code = submit(api, app, birth_submission(copies=0))
    accept(api, code)
    assert dossier(api, code)["due_at"] == DUE_TUE
    return code


def test_apology_at_the_register_signature_before_the_due_date(app: Any, client: Any, clock: Any) -> None:
    api = Api(client)
    code = counter_birth(api, app)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    jobs(app)  # entry and personal id: the dossier waits for the register to be signed
    advance(clock, api, app, hours=5, minutes=59)  # 14:59: not yet
    assert "phieu_xin_loi" not in documents(api, code)
    advance(clock, api, app, minutes=1, seconds=1)  # 15:00:01, two working hours before 17:00
    d = dossier(api, code)
    assert "phieu_xin_loi" in documents(api, code)
    assert apology_events(api, code) == [("issue_apology_register_sign", True)]
    assert d["result"]["apology"]["issued_at"] < DUE_TUE  # before the appointment, not after it
    assert d["result"]["original_due_at"] == DUE_TUE and d["due_at"] == DUE_WED  # the new appointment
    assert [t["task"] for t in d["tasks"]] == ["register_sign"]  # the step still waits
    # one slip per appointment: the next steps do not send another while the new one is not near
    complete(api, OFFICER, code, "register_sign", {"mode": "in_person", "officer_signed": True})
    advance(clock, api, app, minutes=30)
    assert sum(issued for _, issued in apology_events(api, code)) == 1
    verified(api, code)


def test_apology_at_the_chairman_signature(app: Any, client: Any, clock: Any) -> None:
    api = Api(client)
    code = counter_birth(api, app)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    api.sign_register(OFFICER, code)
    assert dossier(api, code)["status"] == "awaiting_signature"
    advance(clock, api, app, hours=6, seconds=1)  # 15:00:01
    assert apology_events(api, code) == [("issue_apology_chairman_sign", True)]
    slip = " ".join(PdfReader(io.BytesIO(pdf(api, code, "phieu_xin_loi"))).pages[0].extract_text().split())
    assert "Lý do: Hồ sơ đang chờ lãnh đạo Ủy ban nhân dân ký." in slip
    assert "17 giờ 00 phút, ngày 11 tháng 03 năm 2026" in slip  # the new appointment, a working day later
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    d = dossier(api, code)
    assert d["result"]["on_time"] is True  # signed before 17:00: the apology did not make it late


def test_no_apology_once_the_result_is_issued_while_it_waits_for_return(
    app: Any, client: Any, clock: Any
) -> None:
    api = Api(client)
    code = counter_birth(api, app)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    assert dossier(api, code)["status"] == "result_ready"
    advance(clock, api, app, hours=6, seconds=1)  # the return step's timer runs at 15:00:01 ...
    assert apology_events(api, code) == [("issue_apology_return_result", False)]
    assert "phieu_xin_loi" not in documents(api, code)  # ... and sends nothing: the result is ready
    assert dossier(api, code)["due_at"] == DUE_TUE


def test_officer_examination_still_gets_its_apology_before_the_due_date(
    app: Any, client: Any, clock: Any
) -> None:
    api = Api(client)
    code = counter_birth(api, app)
    advance(clock, api, app, hours=6, seconds=1)
    assert apology_events(api, code) == [("issue_apology", True)]
    assert dossier(api, code)["result"]["apology"]["issued_at"] < DUE_TUE


def online_birth(api: Api, app: Any) -> str:
    payload = birth_submission(copies=0)
    payload["channel"] = "online"
    code = submit(api, app, payload)
    accept(api, code)
    return code


def test_the_citizens_confirmation_day_does_not_make_the_dossier_late(
    app: Any, client: Any, clock: Any
) -> None:
    """Silence for the whole day (consent) still leaves the office its own time: the due date moves by the
    working hours of that day (Tue 09:30 → Wed 09:30 = 8 working hours: Tue 17:00 → Wed 17:00)."""
    api = Api(client)
    code = online_birth(api, app)
    assert dossier(api, code)["due_at"] == DUE_TUE
    advance(clock, api, app, minutes=30)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    d = dossier(api, code)
    assert d["status"] == "awaiting_confirmation"
    assert d["due_at"] == DUE_WED and d["result"]["original_due_at"] == DUE_WED
    assert d["result"]["deadline"]["confirmation_working_hours"] == 8
    advance(clock, api, app, days=1, seconds=1)  # Wed 09:30:01: silence counts as confirmation
    assert dossier(api, code)["status"] != "awaiting_confirmation"
    api.sign_register(OFFICER, code, mode="at_collection")
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    d = dossier(api, code)
    assert d["result"]["on_time"] is True  # without the citizen's day it was due Tue 17:00: late
    assert apology_events(api, code) == []
    verified(api, code)


def test_early_confirmation_keeps_the_appointment_given(app: Any, client: Any, clock: Any) -> None:
    api = Api(client)
    code = online_birth(api, app)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    advance(clock, api, app, minutes=20)
    assert api.post("portal", f"/dossiers/{code}/confirm-draft", json={"confirmed": True}).status_code == 200
    assert dossier(api, code)["due_at"] == DUE_WED  # never pulled back once given


def test_apology_while_the_draft_waits_for_confirmation(app: Any, client: Any, clock: Any) -> None:
    """Approved at 16:30 with half an hour left: the due date moves to Wed 17:00, and when the citizen has
    still not answered at Wed 15:00 the slip goes out from the confirmation step."""
    api = Api(client)
    code = online_birth(api, app)
    clock.advance(hours=7, minutes=30)  # Tue 16:30, no job run in between
    api.tokens.clear()
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    assert dossier(api, code)["status"] == "awaiting_confirmation"
    advance(clock, api, app, hours=22, minutes=31)  # Wed 15:01, the draft is still out
    assert ("issue_apology_await_confirmation", True) in apology_events(api, code)
    d = dossier(api, code)
    assert (
        d["status"] == "awaiting_confirmation" and "resolved_at" not in d["result"]
    )  # a draft resolves nothing


def test_marriage_apology_at_the_handover(app: Any, client: Any, clock: Any) -> None:
    api = Api(client)
    code = submit(api, app, marriage_submission())
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    jobs(app)
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    assert [t["task"] for t in dossier(api, code)["tasks"]] == ["marriage_handover"]
    advance(clock, api, app, hours=6, seconds=1)
    # the handover step is covered too; the dossier was resolved when the chairman signed (the on-time
    # yardstick of documents/sign), so no slip is due while the parties come for their originals
    assert apology_events(api, code) == [("issue_apology_marriage_handover", False)]
    complete(api, OFFICER, code, "marriage_handover", HANDOVER)
    assert dossier(api, code, RECEPTION)["status"] == "completed"


def test_apology_while_the_refusal_waits_for_the_chairman(app: Any, client: Any, clock: Any) -> None:
    """A refusal is the dossier's result too (LHT Art. 5(2)): while the letter waits for the chairman's
    signature past the apology moment, the requester gets the slip (through the officer's slip task)."""
    api = Api(client)
    code = counter_birth(api, app)
    refusal = {"decision": "refuse", "reasons": ["Giấy chứng sinh không hợp lệ"], "note": ""}
    complete(api, OFFICER, code, "officer_examine", refusal)
    assert [t["task"] for t in dossier(api, code)["tasks"]] == ["chairman_sign_refusal"]
    advance(clock, api, app, hours=6, seconds=1)
    assert apology_events(api, code) == [("issue_apology", True)]
    assert "phieu_xin_loi" in documents(api, code)
    complete(api, CHAIRMAN, code, "chairman_sign_refusal", SIGN)
    assert dossier(api, code)["status"] == "refused"
