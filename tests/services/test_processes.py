"""Process versions: validate, deploy immutable versions; running dossiers stay on theirs."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.services.jobs import run_pending
from tests.api_client import Api, birth_submission

BIRTH = open("processes/birth_registration/birth_registration.bpmn", "rb").read()


def test_deploy_new_version_running_dossiers_keep_theirs(app: Any, client: Any) -> None:
    api = Api(client)
    old = api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    renamed = BIRTH.replace("Thẩm tra hồ sơ".encode(), "Thẩm tra, xác minh hồ sơ".encode())
    report = api.post(
        "analyst", "/processes/birth_registration/validate", data=renamed, content_type="application/xml"
    ).get_json()
    assert report["ok"] is True and report["errors"] == []
    resp = api.post(
        "analyst", "/processes/birth_registration/versions", data=renamed, content_type="application/xml"
    )
    assert resp.status_code == 201 and resp.get_json()["version"] == 2
    listing = {p["key"]: p for p in api.get("analyst", "/processes").get_json()}
    versions = listing["birth_registration"]["versions"]
    assert [(v["version"], v["deployed_by"]) for v in versions] == [(1, "system"), (2, "analyst")]
    xml = api.get("analyst", "/processes/birth_registration/versions/2")
    assert xml.status_code == 200 and xml.mimetype == "application/xml" and xml.data == renamed
    new = api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    with app.app_context():
        run_pending()
        db.session.remove()
    for code in (old, new):
        api.complete("reception.hoankiem", code, "reception_check", {"decision": "accept"})
    titles = {code: api.task("officer.hoankiem", code, "officer_examine")["title"] for code in (old, new)}
    assert titles == {old: "Thẩm tra hồ sơ", new: "Thẩm tra, xác minh hồ sơ"}
    assert api.get("officer.hoankiem", f"/dossiers/{old}").get_json()["process"] == {
        "key": "birth_registration",
        "version": 1,
    }
    assert api.get("officer.hoankiem", f"/dossiers/{new}").get_json()["process"]["version"] == 2


def test_validation_reports_element_level_errors(client: Any) -> None:
    api = Api(client)
    no_form = BIRTH.replace(b'value="return_result.json"', b'value="missing_form.json"')
    unknown_op = BIRTH.replace(b'id="registry/register_birth"', b'id="smtp/send_everything"')
    for xml, element, code in (
        (no_form, "return_result", "form_missing"),
        (unknown_op, "registry_birth", "unknown_operation"),
    ):
        report = api.post(
            "analyst", "/processes/birth_registration/validate", data=xml, content_type="application/xml"
        ).get_json()
        assert not report["ok"]
        assert (element, code) in [(e["element_id"], e["code"]) for e in report["errors"]]
    xsd = api.post(
        "analyst",
        "/processes/birth_registration/validate",
        data=BIRTH.replace(b"<bpmn:laneSet", b"<bpmn:bogus/><bpmn:laneSet", 1),
        content_type="application/xml",
    ).get_json()
    assert xsd["errors"][0]["code"] == "xsd"
