"""Test-run of a draft (issue 9 §5): the real command path on a throw-away database, with the analyst's
decisions; the real dossiers, registers, numbering, registry and versions are untouched."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditEvent,
    Counter,
    Document,
    Dossier,
    Job,
    OpenTask,
    Person,
    ProcessDraft,
    ProcessVersion,
    RegisterEntry,
    User,
)
from tests.api_client import Api, birth_submission
from tests.modeler_drafts import BIRTH, with_recheck

PATH = "/processes/birth_registration"
TABLES = (AuditEvent, Counter, Document, Dossier, Job, OpenTask, Person, ProcessDraft, ProcessVersion)
TABLES += (RegisterEntry, User)


def _counts(app: Any) -> dict[str, int]:
    with app.app_context():
        out = {t.__tablename__: db.session.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}
        db.session.remove()
    return out


def _run(api: Api, body: dict[str, Any], user: str = "analyst") -> Any:
    return api.post(user, f"{PATH}/test-run", json=body)


def test_a_draft_runs_to_the_register_and_touches_nothing_real(client: Any, app: Any) -> None:
    api = Api(client)
    # something real exists first: a dossier in the real database, so its counters and rows are there
    assert api.post("reception.hoankiem", "/dossiers", json=birth_submission()).status_code == 201
    before = _counts(app)
    resp = _run(api, {"xml": with_recheck().decode()})
    assert resp.status_code == 200, resp.get_json()
    report = resp.get_json()
    assert report["finished"] is True and report["status"] == "completed" and report["stopped"] is None
    tasks = [s["element_id"] for s in report["steps"] if s["kind"] == "task"]
    assert tasks == [
        "reception_check",
        "officer_examine",
        "officer_recheck",
        "register_sign",
        "chairman_sign",
        "return_result",
    ]
    recheck = next(s for s in report["steps"] if s["element_id"] == "officer_recheck")
    assert recheck["role"] == "officer" and recheck["form"] == {"decision": "approve"}
    assert "f_recheck_in" not in recheck["completed"]  # flows are drawn from the elements around them
    assert {"officer_recheck", "register_entry", "end_completed"} <= set(report["completed"])
    # the data after each step: the examination's form, then the register entry and the personal id
    after_exam = next(s for s in report["steps"] if s["element_id"] == "officer_examine")["data"]
    assert after_exam["officer_examine"] == {"decision": "approve"}
    last = report["steps"][-1]["data"]
    assert last["register_entry"]["number"] >= 1 and len(report["result"]["personal_id"]) == 12
    assert _counts(app) == before


def test_the_chosen_decision_takes_its_path(client: Any, app: Any) -> None:
    api = Api(client)
    before = _counts(app)
    refuse = {"decision": "refuse", "reasons": ["Giấy chứng sinh không hợp lệ"]}
    report = _run(api, {"decisions": {"officer_examine": refuse}}).get_json()
    assert report["finished"] is True and report["status"] == "refused"
    assert "register_entry" not in report["completed"] and "chairman_sign_refusal" in report["completed"]
    assert report["result"]["refused"] is True
    supplement = _run(api, {"decisions": {"reception_check": {"decision": "refuse_receipt", "note": "x"}}})
    assert supplement.get_json()["status"] == "receipt_refused"
    assert _counts(app) == before


def test_an_invalid_decision_stops_the_run_and_says_why(client: Any) -> None:
    api = Api(client)
    report = _run(api, {"decisions": {"officer_examine": {"decision": "maybe"}}}).get_json()
    assert report["finished"] is False and report["status"] == "processing"
    assert report["stopped"].startswith("Nhiệm vụ «Thẩm tra hồ sơ» không hoàn thành được")


def test_bad_requests_are_refused(client: Any, app: Any) -> None:
    api = Api(client)
    before = _counts(app)
    broken = _run(api, {"xml": with_recheck(condition=None).decode()})
    assert broken.status_code == 422
    assert [e["element_id"] for e in broken.get_json()["error"]["errors"]] == ["f_recheck_in"]
    assert _run(api, {"decisions": ["approve"]}).status_code == 400
    assert _run(api, {"channel": "fax"}).status_code == 400
    assert _run(api, {"data": "x"}).status_code == 400
    assert (
        api.post("analyst", f"{PATH}/test-run", data="x", content_type="application/json").status_code == 400
    )
    assert _run(api, {}, user="officer.hoankiem").status_code == 403
    assert _run(api, {}, user="admin").status_code == 403
    assert api.post("analyst", "/processes/zz_junk/test-run", json={}).status_code == 404
    # sample data the analyst broke: the real submission's field errors
    bad = _run(api, {"data": {"child": {"full_name": "A"}}})
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"]
    assert _counts(app) == before


def test_the_saved_draft_is_run_when_no_xml_is_given(client: Any) -> None:
    api = Api(client)
    saved = api.call(
        "PUT",
        "analyst",
        f"{PATH}/draft",
        data=with_recheck(),
        headers={"If-Match": '"0"'},
        content_type="application/xml",
    )
    assert saved.status_code == 200
    report = _run(api, {}).get_json()
    assert "officer_recheck" in report["completed"]
    assert BIRTH  # the shipped diagram itself is untouched by the run


def _completed_birth(api: Api, app: Any) -> str:
    from tests.services.procedures import jobs

    code = api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    steps = [
        ("reception.hoankiem", "reception_check", {"decision": "accept"}),
        ("officer.hoankiem", "officer_examine", {"decision": "approve"}),
        ("chairman.hoankiem", "chairman_sign", {"decision": "sign", "signer_title": "chu_tich"}),
        ("reception.hoankiem", "return_result", {"delivered_via": "counter"}),
    ]
    for user, key, form in steps:
        jobs(app)
        assert api.complete(user, code, key, form).status_code == 200
    jobs(app)
    assert api.get("officer.hoankiem", f"/dossiers/{code}").get_json()["status"] == "completed"
    return code


def test_an_anonymised_copy_of_a_completed_dossier_runs_without_its_people(client: Any, app: Any) -> None:
    import json

    api = Api(client)
    code = _completed_birth(api, app)
    before = _counts(app)
    resp = _run(api, {"from_dossier": code, "xml": with_recheck().decode()})
    assert resp.status_code == 200, resp.get_json()
    report = resp.get_json()
    assert report["sample"] == f"copy:{code}"
    assert report["finished"] is True and report["status"] == "completed", report["stopped"]
    assert "officer_recheck" in report["completed"]
    text = json.dumps(report, ensure_ascii=False)
    for secret in ("Nguyễn Văn An", "Trần Thị Bích Ngọc", "001095012345", "001196023456", "0912345678"):
        assert secret not in text, secret
    submitted = report["steps"][0]["data"]["dossier"]
    assert submitted["child"]["birth_date"] == "2026-02-20"  # what the law looks at stays
    # the same person has the same fake identity everywhere (typed and looked up agree)
    assert submitted["requester"]["personal_id"] == submitted["father"]["personal_id"]
    lookups = report["steps"][-1]["data"]["lookups"]
    assert lookups["father"]["personal_id"] == submitted["father"]["personal_id"]
    assert lookups["father"]["full_name"] == submitted["requester"]["full_name"]
    assert _counts(app) == before


def test_only_a_completed_dossier_of_the_procedure_is_copied(client: Any) -> None:
    api = Api(client)
    running = api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    assert _run(api, {"from_dossier": running}).status_code == 422
    assert _run(api, {"from_dossier": "KHONG-CO"}).status_code == 404
    assert _run(api, {"from_dossier": 7}).status_code == 400
    death = api.post("analyst", "/processes/death_registration/test-run", json={"from_dossier": running})
    assert death.status_code == 404


def test_the_sandbox_never_mails_even_with_smtp_configured(client: Any, monkeypatch: Any) -> None:
    import smtplib

    sent: list[Any] = []
    monkeypatch.setenv("HOTICH_SMTP_HOST", "smtp.invalid")
    monkeypatch.setattr(smtplib, "SMTP", lambda *a, **k: sent.append(a))
    data = birth_submission()["data"]  # the requester gives an e-mail address: the citizen is notified
    report = _run(Api(client), {"data": data}).get_json()
    assert report["status"] == "completed"
    assert sent == []


@pytest.mark.parametrize("key", ["birth_registration", "marriage_registration", "death_registration"])
def test_each_procedure_test_runs_its_shipped_diagram_with_its_sample(client: Any, key: str) -> None:
    report = Api(client).post("analyst", f"/processes/{key}/test-run", json={}).get_json()
    assert report["stopped"] is None and report["finished"] is True, report
    assert report["status"] == "completed"
    assert "end_completed" in report["completed"]


def test_too_many_test_runs_at_once_are_told_to_retry(client: Any, monkeypatch: Any) -> None:
    import threading

    from app.services import trial_run

    monkeypatch.setattr(trial_run, "RUNNING", threading.BoundedSemaphore(1))
    trial_run.RUNNING.acquire()  # another analyst's run is going on
    busy = _run(Api(client), {})
    assert busy.status_code == 429 and "thử lại" in busy.get_json()["error"]["message"]
    trial_run.RUNNING.release()
    assert _run(Api(client), {}).status_code == 200
