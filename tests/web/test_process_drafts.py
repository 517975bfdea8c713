"""The modeler's drafts on the server: If-Match guards concurrent editing (409 on a stale draft), deploy from
the saved draft through the same validation (issue 9 §2)."""

from __future__ import annotations

import re
from typing import Any

from app.extensions import db
from app.models import ProcessDraft, ProcessVersion
from tests.api_client import Api
from tests.modeler_drafts import BIRTH, with_recheck
from tests.page_client import Pages

PATH = "/processes/birth_registration"
XML = {"content_type": "application/xml"}


def _save(api: Api, user: str, xml: bytes, if_match: str | None) -> Any:
    headers = {"If-Match": if_match} if if_match is not None else {}
    return api.call("PUT", user, f"{PATH}/draft", data=xml, headers=headers, **XML)


def test_draft_starts_from_the_active_version_and_each_save_bumps_its_etag(client: Any) -> None:
    api = Api(client)
    first = api.get("analyst", f"{PATH}/draft")
    assert first.status_code == 200 and first.headers["ETag"] == '"0"'
    body = first.get_json()
    assert body["version"] == 0 and body["saved"] is False and body["base_version"] == 1
    assert body["xml"].startswith("<?xml") and 'id="officer_examine"' in body["xml"]

    saved = _save(api, "analyst", with_recheck(), '"0"')
    assert saved.status_code == 200, saved.get_json()
    assert saved.headers["ETag"] == '"1"'
    assert saved.get_json()["author"] == "analyst" and saved.get_json()["base_version"] == 1
    again = _save(api, "analyst", BIRTH, '"1"')
    assert again.status_code == 200 and again.get_json()["version"] == 2
    current = api.get("analyst", f"{PATH}/draft").get_json()
    assert current["version"] == 2 and "officer_recheck" not in current["xml"]


def test_a_stale_save_is_refused_with_409_and_changes_nothing(client: Any, app: Any) -> None:
    api = Api(client)
    assert _save(api, "analyst", with_recheck(), '"0"').status_code == 200
    # a second analyst opened version 0 too, and saves after the first
    stale = _save(api, "analyst", BIRTH, '"0"')
    assert stale.status_code == 409
    error = stale.get_json()["error"]
    assert error["code"] == "stale_draft" and error["current_version"] == 1
    assert "analyst" in error["message"] and "tải lại" in error["message"]
    stale = _save(api, "analyst", BIRTH, 'W/"7"')
    assert stale.status_code == 409
    with app.app_context():
        row = db.session.get(ProcessDraft, "birth_registration")
        assert row is not None and row.version == 1 and "officer_recheck" in row.bpmn_xml
    missing = _save(api, "analyst", BIRTH, None)
    assert missing.status_code == 428 and "If-Match" in missing.get_json()["error"]["message"]


def test_draft_access_and_bad_input(client: Any, app: Any) -> None:
    api = Api(client)
    assert api.get("officer.hoankiem", f"{PATH}/draft").status_code == 403
    assert api.get("auditor", f"{PATH}/draft").status_code == 200
    assert _save(api, "auditor", BIRTH, '"0"').status_code == 403
    assert _save(api, "admin", BIRTH, '"0"').status_code == 403
    assert api.get("analyst", "/processes/zz_junk/draft").status_code == 404
    assert api.get(None, f"{PATH}/draft").status_code == 401
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]><x>&e;</x>'
    resp = _save(api, "analyst", evil, '"0"')
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "validation_failed"
    assert _save(api, "analyst", b"   ", '"0"').status_code == 422
    with app.app_context():
        assert db.session.get(ProcessDraft, "birth_registration") is None


def test_discard_is_guarded_like_a_save(client: Any) -> None:
    api = Api(client)
    assert _save(api, "analyst", with_recheck(), '"0"').status_code == 200
    assert api.call("DELETE", "analyst", f"{PATH}/draft", headers={"If-Match": '"0"'}).status_code == 409
    assert api.call("DELETE", "analyst", f"{PATH}/draft", headers={"If-Match": '"1"'}).status_code == 204
    assert api.get("analyst", f"{PATH}/draft").get_json()["saved"] is False


def test_deploy_from_the_saved_draft_validates_like_any_deploy(client: Any, app: Any) -> None:
    api = Api(client)
    # a new task reached by a flow without a condition: refused with the flow's id
    assert _save(api, "analyst", with_recheck(condition=None), '"0"').status_code == 200
    refused = api.post("analyst", f"{PATH}/draft/deploy", headers={"If-Match": '"1"'})
    assert refused.status_code == 422
    errors = refused.get_json()["error"]["errors"]
    assert [(e["element_id"], e["code"]) for e in errors] == [("f_recheck_in", "condition_missing")]
    report = api.post("analyst", f"{PATH}/validate", data=with_recheck(condition=None), **XML).get_json()
    assert report["errors"] == errors  # the same findings from validate

    assert _save(api, "analyst", with_recheck(), '"1"').status_code == 200
    assert api.post("analyst", f"{PATH}/draft/deploy", headers={"If-Match": '"1"'}).status_code == 409
    assert api.post("admin", f"{PATH}/draft/deploy", headers={"If-Match": '"2"'}).status_code == 403
    deployed = api.post("analyst", f"{PATH}/draft/deploy", headers={"If-Match": '"2"'})
    assert deployed.status_code == 201 and deployed.get_json()["version"] == 2
    with app.app_context():
        v2 = db.session.query(ProcessVersion).filter_by(key="birth_registration", version=2).one()
        assert "officer_recheck" in v2.bpmn_xml and v2.deployed_by == "analyst"


def test_modeler_options_offer_roles_forms_and_operations(client: Any) -> None:
    api = Api(client)
    options = api.get("analyst", f"{PATH}/modeler-options").get_json()
    assert options["roles"] == ["reception", "officer", "chairman", "system"]
    assert "officer_examine.json" in options["forms"] and "chairman_sign.json" in options["forms"]
    assert {"register/enter", "documents/issue", "registry/register_birth"} <= set(options["operations"])
    assert [c["task_id"] for c in options["checkpoints"]] == [
        "reception_check",
        "officer_examine",
        "chairman_sign",
    ]


SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S)


def test_modeler_page_has_no_inline_script_and_saves_with_csrf(app: Any) -> None:
    pages = Pages(app)
    pages.login("analyst")
    page = pages.get(f"{PATH}/modeler")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for attrs, body in SCRIPT.findall(html):
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
        if "src=" in attrs:
            assert not body.strip()
    assert "modeler.js" in html and 'id="modeler-options"' in html
    xml = with_recheck()
    no_token = pages.client.put(f"{PATH}/modeler/draft", data=xml, headers={"If-Match": '"0"'}, **XML)
    assert no_token.status_code == 400
    headers = {"If-Match": '"0"', "X-CSRFToken": pages.token}
    saved = pages.client.put(f"{PATH}/modeler/draft", data=xml, headers=headers, **XML)
    assert saved.status_code == 200 and saved.headers["ETag"] == '"1"'
    stale = pages.client.put(f"{PATH}/modeler/draft", data=xml, headers=headers, **XML)
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "stale_draft"
    officer = Pages(app)
    officer.login("officer.hoankiem")
    assert officer.get(f"{PATH}/modeler").status_code == 403


def test_two_analysts_saving_at_once_one_wins_the_other_gets_409(app: Any) -> None:
    import threading

    clients = [Api(app.test_client()), Api(app.test_client())]
    for api in clients:
        api.token("analyst")  # log in first: only the saves race
    assert _save(clients[0], "analyst", BIRTH, '"0"').status_code == 200
    barrier = threading.Barrier(2)
    results: list[int] = []

    def save(api: Api, xml: bytes) -> None:
        barrier.wait()
        results.append(_save(api, "analyst", xml, '"1"').status_code)

    threads = [
        threading.Thread(target=save, args=(clients[0], with_recheck())),
        threading.Thread(target=save, args=(clients[1], BIRTH.replace(b'"P1D"', b'"P2D"'))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [200, 409]
    with app.app_context():
        row = db.session.get(ProcessDraft, "birth_registration")
        assert row is not None and row.version == 2
        db.session.remove()
