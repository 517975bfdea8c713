"""Moving running dossiers to another process version (issue 9 §7; api.md § Versions, diff and migration)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Dossier
from app.services.jobs import run_pending
from tests.api_client import Api, birth_submission

BIRTH = open("processes/birth_registration/birth_registration.bpmn", encoding="utf-8").read()
PATH = "/processes/birth_registration"
V2_TITLE = "Thẩm tra hồ sơ (bản 2)"


def deploy(api: Api, xml: str) -> int:
    resp = api.post("analyst", f"{PATH}/versions", data=xml.encode(), content_type="application/xml")
    assert resp.status_code == 201, resp.get_json()
    return int(resp.get_json()["version"])


def v2_xml() -> str:
    """Same steps, the officer's task renamed and the draft-confirmation wait doubled."""
    return BIRTH.replace('name="Thẩm tra hồ sơ"', f'name="{V2_TITLE}"').replace('"P1D"', '"P2D"')


def without_supplement_wait() -> str:
    """A version where the supplement request goes straight to applying it (the wait removed)."""
    xml = re.sub(
        r'\s*<bpmn:intermediateCatchEvent id="wait_supplement".*?</bpmn:intermediateCatchEvent>',
        "",
        BIRTH,
        flags=re.S,
    )
    xml = re.sub(r'\s*<bpmn:sequenceFlow id="f_sup2"[^>]*/>', "", xml)
    xml = xml.replace('targetRef="wait_supplement"', 'targetRef="apply_supplement"')
    xml = xml.replace("<bpmn:incoming>f_sup2</bpmn:incoming>", "<bpmn:incoming>f_sup1</bpmn:incoming>")
    xml = re.sub(r"\s*<bpmn:flowNodeRef>wait_supplement</bpmn:flowNodeRef>", "", xml)
    xml = xml.replace('dossier = supplement["data"]', "dossier = dossier")  # nothing arrives any more
    xml = re.sub(r'\s*<bpmndi:BPMNShape id="wait_supplement_di".*?</bpmndi:BPMNShape>', "", xml, flags=re.S)
    return re.sub(r'\s*<bpmndi:BPMNEdge id="f_sup2_di".*?</bpmndi:BPMNEdge>', "", xml, flags=re.S)


def with_supplement_step_before_applying() -> str:
    """The wait renamed and a script step inserted after it: the diff aligns the old wait with that step."""
    xml = BIRTH.replace('id="wait_supplement"', 'id="wait_supplement_portal"')
    xml = xml.replace('targetRef="wait_supplement"', 'targetRef="wait_supplement_portal"')
    xml = xml.replace(
        '<bpmn:sequenceFlow id="f_sup2" sourceRef="wait_supplement"',
        '<bpmn:sequenceFlow id="f_sup2" sourceRef="wait_supplement_portal"',
    )
    xml = xml.replace(
        "<bpmn:flowNodeRef>wait_supplement</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>wait_supplement_portal</bpmn:flowNodeRef>\n"
        "        <bpmn:flowNodeRef>note_supplement</bpmn:flowNodeRef>",
    )
    xml = xml.replace('bpmnElement="wait_supplement"', 'bpmnElement="wait_supplement_portal"')
    xml = xml.replace('targetRef="apply_supplement"', 'targetRef="note_supplement"')
    script = (
        '<bpmn:scriptTask id="note_supplement" name="Ghi nhận hồ sơ bổ sung">'
        "<bpmn:incoming>f_sup2</bpmn:incoming><bpmn:outgoing>f_sup2b</bpmn:outgoing>"
        "<bpmn:script>supplement_noted = True</bpmn:script></bpmn:scriptTask>"
        '<bpmn:sequenceFlow id="f_sup2b" sourceRef="note_supplement" targetRef="apply_supplement"/>'
    )
    xml = xml.replace(
        "<bpmn:incoming>f_sup2</bpmn:incoming>\n      <bpmn:outgoing>f_sup3</bpmn:outgoing>",
        "<bpmn:incoming>f_sup2b</bpmn:incoming>\n      <bpmn:outgoing>f_sup3</bpmn:outgoing>",
    )
    return xml.replace(
        '<bpmn:scriptTask id="apply_supplement"', script + '<bpmn:scriptTask id="apply_supplement"'
    )


def with_reception_form(form: str) -> str:
    start = BIRTH.index('<bpmn:userTask id="reception_check"')
    end = BIRTH.index("</bpmn:userTask>", start)
    block = BIRTH[start:end].replace("reception_check.json", form)
    return BIRTH[:start] + block + BIRTH[end:]


def submit(app: Any, api: Api, child_name: str | None = None) -> str:
    body = birth_submission()
    if child_name:  # another child: two registrations of one child would be a KS-10 duplicate
        body["data"]["child"]["full_name"] = child_name
    resp = api.post("reception.hoankiem", "/dossiers", json=body)
    assert resp.status_code == 201, resp.get_json()
    with app.app_context():
        run_pending()
        db.session.remove()
    return str(resp.get_json()["code"])


def at_officer(app: Any, api: Api) -> str:
    code = submit(app, api, "Nguyễn Thị Ánh Hồng")
    resp = api.complete("reception.hoankiem", code, "reception_check", {"decision": "accept"})
    assert resp.status_code == 200, resp.get_json()
    return code


def migrate(api: Api, body: dict[str, Any], user: str = "analyst") -> Any:
    return api.post(user, f"{PATH}/migrations", json=body)


def version_of(api: Api, code: str) -> int:
    return int(api.get("officer.hoankiem", f"/dossiers/{code}").get_json()["process"]["version"])


def events(app: Any, code: str) -> list[AuditEvent]:
    with app.app_context():
        dossier_id = db.session.scalar(select(Dossier.id).where(Dossier.code == code))
        rows = list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.dossier_id == dossier_id).order_by(AuditEvent.seq)
            )
        )
        db.session.remove()
        return rows


def next_timer(app: Any, code: str) -> Any:
    with app.app_context():
        value = db.session.scalar(select(Dossier.next_timer_at).where(Dossier.code == code))
        db.session.remove()
        return value


def verified(api: Api, code: str) -> bool:
    return api.get("auditor", f"/dossiers/{code}/verify").get_json() == {
        "chain_ok": True,
        "replay_ok": True,
        "first_bad_seq": None,
        "problems": [],
    }


def test_dry_run_changes_nothing_then_the_real_run_moves_and_verify_replays_across(
    app: Any, client: Any
) -> None:
    api = Api(client)
    at_reception, at_exam = submit(app, api), at_officer(app, api)
    v2 = deploy(api, v2_xml())
    before = {c: len(events(app, c)) for c in (at_reception, at_exam)}

    dry = migrate(api, {"to_version": v2, "dossiers": [at_reception, at_exam], "dry_run": True})
    assert dry.status_code == 200, dry.get_json()
    assert dry.get_json()["items"] == [
        {"code": at_reception, "from_version": 1, "to_version": v2, "ok": True},
        {"code": at_exam, "from_version": 1, "to_version": v2, "ok": True},
    ]
    assert {c: len(events(app, c)) for c in before} == before
    assert version_of(api, at_reception) == version_of(api, at_exam) == 1

    timer_before = next_timer(app, at_exam)
    assert timer_before is not None  # the officer's due-date timer
    real = migrate(api, {"to_version": v2, "dossiers": [at_reception, at_exam], "dry_run": False})
    assert [i["ok"] for i in real.get_json()["items"]] == [True, True]
    for code in (at_reception, at_exam):
        assert version_of(api, code) == v2
        last = events(app, code)[-1]
        assert last.type == "migrated" and last.actor == "analyst"
        assert last.data["from_version"] == 1 and last.data["to_version"] == v2
        assert "officer_examine" in last.data["diff"]["changed"]
        assert verified(api, code)
    assert next_timer(app, at_exam) == timer_before  # an unchanged timer keeps its due time
    # replay shows each state on the version it ran on: before the move the old title, after it the new
    seq = events(app, at_exam)[-1].seq
    before_move = api.get("auditor", f"/dossiers/{at_exam}/replay?upto={seq - 1}").get_json()
    after_move = api.get("auditor", f"/dossiers/{at_exam}/replay?upto={seq}").get_json()
    assert [t["title"] for t in before_move["tasks"]] == ["Thẩm tra hồ sơ"]
    assert [t["title"] for t in after_move["tasks"]] == [V2_TITLE]
    # the open task is the same task, now under the new version's title
    assert api.task("officer.hoankiem", at_exam, "officer_examine")["title"] == V2_TITLE

    # both finish on the new version, and the whole history still re-executes
    assert (
        api.complete(
            "reception.hoankiem", at_reception, "reception_check", {"decision": "accept"}
        ).status_code
        == 200
    )
    for code in (at_reception, at_exam):
        assert (
            api.complete("officer.hoankiem", code, "officer_examine", {"decision": "approve"}).status_code
            == 200
        )
        signed = api.complete(
            "chairman.hoankiem", code, "chairman_sign", {"decision": "sign", "signer_title": "chu_tich"}
        )
        assert signed.status_code == 200, signed.get_json()
        with app.app_context():
            run_pending()
            db.session.remove()
        assert api.get("officer.hoankiem", f"/dossiers/{code}").get_json()["status"] == "result_ready"
        assert verified(api, code)


def test_a_migrated_dossier_moves_back_and_a_second_move_says_why_not(app: Any, client: Any) -> None:
    api = Api(client)
    code = at_officer(app, api)
    v2 = deploy(api, v2_xml())
    assert migrate(api, {"to_version": v2, "dossiers": [code], "dry_run": False}).get_json()["items"][0]["ok"]
    again = migrate(api, {"to_version": v2, "dossiers": [code], "dry_run": True}).get_json()["items"][0]
    assert again == {
        "code": code,
        "from_version": v2,
        "to_version": v2,
        "ok": False,
        "reason": f"Hồ sơ đã ở phiên bản {v2}.",
    }
    back = migrate(api, {"to_version": 1, "dossiers": [code], "dry_run": False}).get_json()["items"][0]
    assert back == {"code": code, "from_version": v2, "to_version": 1, "ok": True}
    assert version_of(api, code) == 1
    assert [e.type for e in events(app, code)].count("migrated") == 2
    assert api.task("officer.hoankiem", code, "officer_examine")["title"] == "Thẩm tra hồ sơ"
    assert verified(api, code)


def test_a_removed_waiting_step_and_a_changed_open_form_are_refused_with_the_reason(
    app: Any, client: Any
) -> None:
    api = Api(client)
    waiting = submit(app, api)
    resp = api.complete(
        "reception.hoankiem",
        waiting,
        "reception_check",
        {"decision": "supplement", "missing": ["Giấy chứng sinh"], "note": "Thiếu giấy chứng sinh"},
    )
    assert resp.status_code == 200, resp.get_json()
    at_reception, at_exam = submit(app, api), at_officer(app, api)
    v2 = deploy(api, without_supplement_wait())
    items = migrate(api, {"to_version": v2, "dossiers": [waiting, at_exam], "dry_run": False}).get_json()[
        "items"
    ]
    assert items[0]["ok"] is False and "Chờ bổ sung hồ sơ" in items[0]["reason"]
    assert "không còn trong phiên bản" in items[0]["reason"]
    assert items[1]["ok"] is True
    assert version_of(api, waiting) == 1 and "migrated" not in [e.type for e in events(app, waiting)]

    v3 = deploy(api, with_reception_form("officer_examine.json"))
    items = migrate(api, {"to_version": v3, "dossiers": [at_reception], "dry_run": True}).get_json()["items"]
    assert (
        items[0]["ok"] is False
        and "Biểu mẫu của việc đang mở «Kiểm tra, tiếp nhận hồ sơ»" in items[0]["reason"]
    )
    assert verified(api, waiting) and verified(api, at_exam)


def test_a_waiting_step_aligned_with_a_step_of_another_kind_is_refused(app: Any, client: Any) -> None:
    api = Api(client)
    waiting = submit(app, api)
    form = {"decision": "supplement", "missing": ["Giấy chứng sinh"], "note": ""}
    assert api.complete("reception.hoankiem", waiting, "reception_check", form).status_code == 200
    v2 = deploy(api, with_supplement_step_before_applying())
    item = migrate(api, {"to_version": v2, "dossiers": [waiting], "dry_run": True}).get_json()["items"][0]
    assert item["ok"] is False
    assert item["reason"] == f"Bước đang chờ «Chờ bổ sung hồ sơ» là một bước khác loại trong phiên bản {v2}."


def test_all_running_takes_every_running_dossier_of_the_process(app: Any, client: Any) -> None:
    api = Api(client)
    codes = [submit(app, api), at_officer(app, api)]
    v2 = deploy(api, v2_xml())
    result = migrate(api, {"to_version": v2, "dossiers": "all_running", "dry_run": False}).get_json()
    assert [i["code"] for i in result["items"]] == codes and result["ok"] == 2 and result["refused"] == 0
    assert (
        migrate(api, {"to_version": v2, "dossiers": "all_running", "dry_run": True}).get_json()["items"] == []
    )
    assert [version_of(api, c) for c in codes] == [v2, v2]


@pytest.mark.parametrize(
    "user", ["officer.hoankiem", "admin", "auditor", "reception.hoankiem", "chairman.hoankiem"]
)
def test_only_analysts_migrate(client: Any, user: str) -> None:
    resp = migrate(Api(client), {"to_version": 1, "dossiers": "all_running", "dry_run": True}, user)
    assert resp.status_code == 403
    assert resp.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"dossiers": "all_running"}, "to_version"),
        ({"to_version": "2", "dossiers": "all_running"}, "to_version"),
        ({"to_version": 1, "dossiers": []}, "dossiers"),
        ({"to_version": 1, "dossiers": "everything"}, "dossiers"),
        ({"to_version": 1, "dossiers": "all_running", "dry_run": "yes"}, "dry_run"),
    ],
)
def test_bad_requests_name_the_field(client: Any, body: dict[str, Any], field: str) -> None:
    resp = migrate(Api(client), body)
    assert resp.status_code == 422  # refused by the request schema (openapi.yaml: Migration)
    assert field in resp.get_json()["error"]["fields"]


def test_unknown_version_and_unknown_dossier(app: Any, client: Any) -> None:
    api = Api(client)
    assert migrate(api, {"to_version": 9, "dossiers": "all_running"}).status_code == 404
    item = migrate(api, {"to_version": 1, "dossiers": ["KS-KHONG-CO"]}).get_json()["items"][0]
    assert item["ok"] is False and "Không tìm thấy hồ sơ" in item["reason"]


def test_a_dossier_waiting_for_the_registry_moves_and_the_answer_lands_on_the_new_version(
    app: Any, client: Any
) -> None:
    api = Api(client)
    resp = api.post("reception.hoankiem", "/dossiers", json=birth_submission())
    code = resp.get_json()["code"]  # the registry lookup is a pending job
    v2 = deploy(api, v2_xml())
    item = migrate(api, {"to_version": v2, "dossiers": [code], "dry_run": False}).get_json()["items"][0]
    assert item["ok"] is True
    with app.app_context():
        assert run_pending() >= 1  # the job's answer feeds the same (unchanged) service task
        db.session.remove()
    assert api.task("reception.hoankiem", code, "reception_check")
    assert [e.type for e in events(app, code)][:3] == ["submitted", "migrated", "external_result"]
    assert verified(api, code)
