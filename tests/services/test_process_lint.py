"""Deploy safety and the domain lint on validate and deploy (issue 9 §3, §4)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from app.extensions import db
from app.services.jobs import run_pending
from tests.api_client import Api, birth_submission

BIRTH = open("processes/birth_registration/birth_registration.bpmn", "rb").read()
PATH = "/processes/birth_registration"


def _validate(api: Api, xml: bytes, key: str = "birth_registration") -> dict[str, Any]:
    resp = api.post("analyst", f"/processes/{key}/validate", data=xml, content_type="application/xml")
    assert resp.status_code == 200
    return dict(resp.get_json())


def _deploy(api: Api, xml: bytes, user: str = "analyst", key: str = "birth_registration") -> Any:
    return api.post(user, f"/processes/{key}/versions", data=xml, content_type="application/xml")


def _codes(report: dict[str, Any]) -> set[tuple[str | None, str]]:
    return {(e["element_id"], e["code"]) for e in report["errors"]}


def test_only_analysts_deploy(client: Any) -> None:
    api = Api(client)
    for user in ("admin", "officer.hoankiem", "auditor"):
        assert _deploy(api, BIRTH, user).status_code == 403
    assert _deploy(api, BIRTH.replace("Thẩm tra hồ sơ".encode(), "Thẩm tra".encode())).status_code == 201


def test_unknown_procedure_key_refused(client: Any) -> None:
    api = Api(client)
    xml = BIRTH.replace(b"birth_registration", b"zz_junk")
    resp = _deploy(api, xml, key="zz_junk")
    assert resp.status_code == 422
    assert resp.get_json()["error"]["errors"][0]["code"] == "unknown_procedure"
    assert _validate(api, xml, "zz_junk")["ok"] is False


def test_diagram_without_human_tasks_is_refused(client: Any) -> None:
    """start → register entry → end: the birth that registered itself with no official involved."""
    api = Api(client)
    xml = BIRTH.replace(
        b'sourceRef="start" targetRef="lookup_parties"', b'sourceRef="start" targetRef="register_entry"'
    )
    report = _validate(api, xml)
    # the chairman signs after the entry (Luật Hộ tịch Art. 16(2)), so the shortcut skips the two before it
    bypassed = {("reception_check", "checkpoint_bypassed"), ("officer_examine", "checkpoint_bypassed")}
    assert bypassed <= _codes(report)
    assert all(e["message"] for e in report["errors"])
    resp = _deploy(api, xml)
    assert resp.status_code == 422
    assert "checkpoint_bypassed" in {e["code"] for e in resp.get_json()["error"]["errors"]}


def test_checkpoint_in_the_wrong_lane_is_refused(client: Any) -> None:
    api = Api(client)
    ref = b"<bpmn:flowNodeRef>%s</bpmn:flowNodeRef>"
    xml = BIRTH.replace(ref % b"chairman_sign", b"", 1).replace(
        ref % b"officer_examine", ref % b"officer_examine" + ref % b"chairman_sign", 1
    )
    assert ("chairman_sign", "checkpoint_lane") in _codes(_validate(api, xml))


def test_missing_condition_implicit_split_and_bad_timer_are_found(client: Any) -> None:
    api = Api(client)
    no_condition = re.sub(
        rb'<bpmn:conditionExpression [^>]*>reception_check\["decision"\] == "supplement"'
        rb"</bpmn:conditionExpression>",
        b"",
        BIRTH,
    )
    # the flow is named (by the lint, or by the engine's parser when it refuses first) and validation fails
    found = _validate(api, no_condition)
    assert not found["ok"] and "f_rc_supplement" in {e["element_id"] for e in found["errors"]}
    flow = b'sourceRef="issue_apology" targetRef="end_apology"/>'
    extra = b'<bpmn:sequenceFlow id="f_extra" sourceRef="issue_apology" targetRef="end_refused" />'
    split = BIRTH.replace(flow, flow + extra)
    found = _validate(api, split)
    assert not found["ok"] and "issue_apology" in {e["element_id"] for e in found["errors"]}
    bad_timer = BIRTH.replace(b'"P1D"', '"một ngày"'.encode())
    assert ("confirmation_timeout", "timer_invalid") in _codes(_validate(api, bad_timer))


def test_expressions_name_only_existing_variables(client: Any) -> None:
    api = Api(client)
    xml = BIRTH.replace(b'meta["channel"] == "online"', b'metadata["channel"] == "online"')
    report = _validate(api, xml)
    assert ("f_ch_online", "unknown_variable") in _codes(report)
    assert "metadata" in next(e["message"] for e in report["errors"] if e["code"] == "unknown_variable")


def test_processing_instructions_and_documentation_scripts_are_stripped(client: Any) -> None:
    api = Api(client)
    xml = BIRTH.replace(
        '<bpmn:userTask id="reception_check" name="Kiểm tra, tiếp nhận hồ sơ">'.encode(),
        '<bpmn:userTask id="reception_check" name="Kiểm tra, tiếp nhận hồ sơ"><?php evil(); ?>'
        '<bpmn:documentation>Hướng dẫn<script xmlns="http://www.w3.org/1999/xhtml">alert(1)</script> kiểm tra'
        "</bpmn:documentation>".encode(),
        1,
    )
    assert xml != BIRTH
    resp = _deploy(api, xml)
    assert resp.status_code == 201, resp.get_json()
    stored = api.get("analyst", f"{PATH}/versions/{resp.get_json()['version']}").data
    assert b"<?php" not in stored and b"<script" not in stored and b"alert(1)" not in stored
    assert "Hướng dẫn kiểm tra".encode() in stored


def test_utf16_diagram_is_handled_the_same_in_validate_and_deploy(client: Any) -> None:
    api = Api(client)
    text = (
        BIRTH.decode("utf-8")
        .replace('encoding="UTF-8"', 'encoding="UTF-16"')
        .replace("Thẩm tra hồ sơ", "Thẩm tra (UTF-16)")
    )
    xml = text.encode("utf-16")
    assert _validate(api, xml)["ok"] is True
    resp = _deploy(api, xml)
    assert resp.status_code == 201
    stored = api.get("analyst", f"{PATH}/versions/{resp.get_json()['version']}").data
    assert "Thẩm tra (UTF-16)".encode() in stored


@pytest.mark.parametrize(
    "condition",
    ["sum(range(10**9)) > 0", "len(('ab' * 50000) + ('ab' * 50000)) > 0"],
)
def test_a_process_failing_at_run_time_fails_that_command_with_422(
    app: Any, client: Any, condition: str
) -> None:
    api = Api(client)
    xml = BIRTH.replace(b'dossier.get("special_case") == "abandoned"', condition.encode())
    assert _deploy(api, xml).status_code == 201
    code = api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    with app.app_context():
        run_pending()
        db.session.remove()
    before = api.get("reception.hoankiem", f"/dossiers/{code}").get_json()["status"]
    started = time.monotonic()
    resp = api.complete("reception.hoankiem", code, "reception_check", {"decision": "accept"})
    assert time.monotonic() - started < 3
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "process_failed"
    # that command failed and changed nothing; the next submission is still accepted
    assert api.get("reception.hoankiem", f"/dossiers/{code}").get_json()["status"] == before
    assert api.post("reception.hoankiem", "/dossiers", json=birth_submission()).status_code == 201
