"""Versions: diff two versions as JSON, deactivate a version; dossiers stay pinned (issue 9 §6)."""

from __future__ import annotations

from typing import Any

from tests.api_client import Api, birth_submission

BIRTH = open("processes/birth_registration/birth_registration.bpmn", "rb").read()
PATH = "/processes/birth_registration"


def _deploy(api: Api, xml: bytes) -> int:
    resp = api.post("analyst", f"{PATH}/versions", data=xml, content_type="application/xml")
    assert resp.status_code == 201, resp.get_json()
    return int(resp.get_json()["version"])


def test_diff_lists_changed_elements_and_ignores_layout(client: Any) -> None:
    api = Api(client)
    changed = BIRTH.replace("Thẩm tra hồ sơ".encode(), "Thẩm tra, xác minh".encode()).replace(
        b'"P1D"', b'"P2D"'
    )
    v2 = _deploy(api, changed)
    diff = api.get("analyst", f"{PATH}/diff?from=1&to={v2}").get_json()
    assert diff == {"added": [], "removed": [], "changed": ["confirmation_timeout", "officer_examine"]}
    back = api.get("analyst", f"{PATH}/diff?from={v2}&to=1").get_json()
    assert back["changed"] == diff["changed"]
    same = api.get("analyst", f"{PATH}/diff?from=1&to=1").get_json()
    assert same == {"added": [], "removed": [], "changed": []}
    assert api.get("analyst", f"{PATH}/diff?from=1&to=99").status_code == 404
    assert api.get("analyst", f"{PATH}/diff?from=x&to=1").status_code == 400
    assert api.get("officer.hoankiem", f"{PATH}/diff?from=1&to=1").status_code == 403


def test_deactivated_version_is_not_used_by_new_dossiers(client: Any) -> None:
    api = Api(client)
    v2 = _deploy(api, BIRTH.replace("Thẩm tra hồ sơ".encode(), "Thẩm tra v2".encode()))
    on_v2 = api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    assert api.post("admin", f"{PATH}/versions/{v2}/deactivate").status_code == 403
    resp = api.post("analyst", f"{PATH}/versions/{v2}/deactivate")
    assert resp.status_code == 200 and resp.get_json() == {"version": v2, "active": False}
    new = api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    version = {
        c: api.get("officer.hoankiem", f"/dossiers/{c}").get_json()["process"]["version"]
        for c in (on_v2, new)
    }
    assert version == {on_v2: v2, new: 1}
    assert api.post("analyst", f"{PATH}/versions/1/deactivate").status_code == 422  # the last active one
    listing = {p["key"]: p for p in api.get("analyst", "/processes").get_json()}
    assert [v["active"] for v in listing["birth_registration"]["versions"]] == [True, False]
