"""A birth dossier from submission to a signed Giấy khai sinh, through the JSON API."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.services.jobs import run_pending
from tests.api_client import Api, birth_submission


def test_birth_counter_path_to_certificate(app: Any, client: Any) -> None:
    api = Api(client)
    resp = api.post("reception.hoankiem", "/dossiers", json=birth_submission())
    assert resp.status_code == 201, resp.get_json()
    code = resp.get_json()["code"]
    with app.app_context():
        assert run_pending() >= 1  # the registry lookups
        db.session.remove()
    d = api.get("reception.hoankiem", f"/dossiers/{code}").get_json()
    assert d["status"] == "submitted"
    assert (
        api.complete("reception.hoankiem", code, "reception_check", {"decision": "accept"}).status_code == 200
    )
    d = api.get("officer.hoankiem", f"/dossiers/{code}").get_json()
    assert d["status"] == "processing" and d["due_at"]
    resp = api.complete("officer.hoankiem", code, "officer_examine", {"decision": "approve"})
    assert resp.status_code == 200, resp.get_json()
    resp = api.complete(
        "chairman.hoankiem", code, "chairman_sign", {"decision": "sign", "signer_title": "chu_tich"}
    )
    assert resp.status_code == 200, resp.get_json()
    with app.app_context():
        run_pending()
        db.session.remove()
    d = api.get("reception.hoankiem", f"/dossiers/{code}").get_json()
    assert d["status"] == "result_ready", d
    pid = d["result"]["personal_id"]
    assert len(pid) == 12 and pid.isdigit()
    assert d["result"]["register"]["number"] == 1
    assert (
        api.complete("reception.hoankiem", code, "return_result", {"delivered_via": "counter"}).status_code
        == 200
    )
    d = api.get("reception.hoankiem", f"/dossiers/{code}").get_json()
    assert d["status"] == "completed"
    person = api.get("officer.hoankiem", f"/registry/persons/{pid}").get_json()
    assert person["full_name"] == "Nguyễn Thị Ánh Dương"
    assert person["mother_personal_id"] == "001196023456"
    docs = {doc["name"] for doc in api.get("reception.hoankiem", f"/dossiers/{code}/documents").get_json()}
    assert {"phieu_hen", "giay_khai_sinh", "giay_khai_sinh_ban_sao_1"} <= docs
    pdf = api.get("reception.hoankiem", f"/dossiers/{code}/documents/giay_khai_sinh")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    verify = api.get("auditor", f"/dossiers/{code}/verify").get_json()
    assert verify == {"chain_ok": True, "replay_ok": True, "first_bad_seq": None, "problems": []}


def test_child_of_vietnamese_nationality_spelled_otherwise_gets_a_personal_id(app: Any, client: Any) -> None:
    # "Viet Nam" is Vietnamese for KS-13 (no foreign element), so step 7 assigns the personal id
    from tests.services.procedures import CHAIRMAN, OFFICER, SIGN, accept, complete, dossier, jobs, submit

    api = Api(client)
    payload = birth_submission()
    payload["data"]["child"]["nationality"] = "Viet Nam"
    code = submit(api, app, payload)
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    jobs(app)
    pid = dossier(api, code)["result"]["personal_id"]
    assert isinstance(pid, str) and len(pid) == 12


def test_birth_received_on_day_60_and_examined_on_day_61_stays_on_time(
    app: Any, client: Any, clock: Any
) -> None:
    # born 9 Jan 2026: day 60 is Tuesday 10 Mar; received at 16:00 that day, examined the next morning
    from datetime import UTC, datetime

    from tests.services.procedures import OFFICER, accept, advance, complete, dossier, submit

    clock.at = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    api = Api(client)
    payload = birth_submission()
    payload["data"]["child"]["birth_date"] = "2026-01-09"
    payload["data"]["birth_certificate"]["issued_on"] = "2026-01-09"
    code = submit(api, app, payload)
    accept(api, code)
    advance(clock, api, app, hours=18)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    d = dossier(api, code)
    assert d["late"] is False and d["result"]["fee"]["exempt_reason"] == "on_time"
    assert "KS-03" not in {f["rule"] for f in d["findings"]}  # no "Quá hạn … áp dụng lệ phí" either
