"""Bad input gets the status and error of api.md and changes nothing; authorisation on every call."""

from __future__ import annotations

import base64
import unicodedata
from typing import Any

import pytest

from app.extensions import db
from app.models import AuditEvent, Dossier, Job, OpenTask
from app.services.jobs import run_pending
from tests.api_client import Api, birth_submission

BIRTH_BPMN = open("processes/birth_registration/birth_registration.bpmn", "rb").read()


def _counts(app: Any) -> tuple[int, ...]:
    with app.app_context():
        out = tuple(db.session.query(m).count() for m in (Dossier, AuditEvent, OpenTask, Job))
        db.session.remove()
        return out


def _submitted(app: Any, api: Api) -> str:
    resp = api.post("reception.hoankiem", "/dossiers", json=birth_submission())
    assert resp.status_code == 201, resp.get_json()
    with app.app_context():
        run_pending()
        db.session.remove()
    return str(resp.get_json()["code"])


def _error(resp: Any) -> dict[str, Any]:
    body = resp.get_json()
    assert set(body) == {"error"} and isinstance(body["error"]["message"], str) and body["error"]["code"]
    return dict(body["error"])


def test_malformed_json_is_400_and_changes_nothing(app: Any, client: Any) -> None:
    api = Api(client)
    api.token("reception.hoankiem")
    before = _counts(app)
    resp = api.post(
        "reception.hoankiem", "/dossiers", data=b'{"procedure": "birth",', content_type="application/json"
    )
    assert resp.status_code == 400 and _error(resp)["code"] == "malformed_json"
    assert _counts(app) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["data"]["child"].pop("full_name"), "data.child.full_name"),
        (lambda d: d["data"]["mother"].update(personal_id="00119602345a"), "data.mother.personal_id"),
        (lambda d: d["data"]["mother"].update(personal_id="00119602345"), "data.mother.personal_id"),
        (lambda d: d["data"].update(copies="two"), "data.copies"),
        (lambda d: d["data"]["child"].update(birth_date="2026-13-40"), "data.child.birth_date"),
        (lambda d: d["data"]["child"].update(birth_date="2026-03-11"), "data.child.birth_date"),  # tomorrow
        (lambda d: d.update(procedure="adoption"), "procedure"),
        (lambda d: d.update(commune_code="99999"), "commune_code"),
        (lambda d: d["data"]["child"].update(typename="x"), "data.child.typename"),
    ],
)
def test_invalid_submissions_are_422_with_the_field(app: Any, client: Any, change: Any, field: str) -> None:
    api = Api(client)
    body = birth_submission()
    change(body)
    before = _counts(app)
    resp = api.post("reception.hoankiem", "/dossiers", json=body)
    assert resp.status_code == 422, resp.get_json()
    err = _error(resp)
    assert field in err["fields"], err
    assert any(ord(ch) > 127 for ch in err["fields"][field])  # a Vietnamese message
    assert _counts(app) == before


def test_oversized_body_and_attachment_are_413(app: Any, client: Any) -> None:
    api = Api(client)
    api.token("reception.hoankiem")
    before = _counts(app)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    resp = api.post(
        "reception.hoankiem",
        "/dossiers",
        data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        content_type="application/json",
    )
    assert resp.status_code == 413 and _error(resp)["code"] == "too_large"
    app.config["MAX_CONTENT_LENGTH"] = 30 * 1024 * 1024
    body = birth_submission()
    body["attachments"] = [
        {
            "kind": "birth_certificate",
            "filename": "scan.pdf",
            "content_base64": base64.b64encode(b"%PDF" + b"0" * (6 * 1024 * 1024)).decode(),
        }
    ]
    assert api.post("reception.hoankiem", "/dossiers", json=body).status_code == 413
    body["attachments"] = [
        {"kind": "birth_certificate", "filename": "scan.pdf", "content_base64": "@@not base64@@"}
    ]
    resp = api.post("reception.hoankiem", "/dossiers", json=body)
    assert resp.status_code == 422 and "attachments.0.content_base64" in _error(resp)["fields"]
    assert _counts(app) == before


def test_non_nfc_vietnamese_is_normalised_and_round_trips_exactly(app: Any, client: Any) -> None:
    api = Api(client)
    name = "Nguyễn Thị Ánh Dương"
    body = birth_submission()
    body["data"]["child"]["full_name"] = unicodedata.normalize("NFD", name)
    resp = api.post("reception.hoankiem", "/dossiers", json=body)
    assert resp.status_code == 201
    stored = api.get("reception.hoankiem", f"/dossiers/{resp.get_json()['code']}").get_json()
    assert stored["data"]["child"]["full_name"] == name
    assert unicodedata.is_normalized("NFC", stored["data"]["child"]["full_name"])


def test_idempotency_key_returns_the_first_dossier(app: Any, client: Any) -> None:
    api = Api(client)
    headers = {"Idempotency-Key": "portal-retry-1"}
    first = api.post("reception.hoankiem", "/dossiers", json=birth_submission(), headers=headers)
    before = _counts(app)
    again = api.post("reception.hoankiem", "/dossiers", json=birth_submission(), headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["code"] == first.get_json()["code"]
    assert _counts(app) == before


def test_task_rules_roles_and_communes(app: Any, client: Any) -> None:
    api = Api(client)
    code = _submitted(app, api)
    task = api.task("reception.hoankiem", code, "reception_check")
    before = _counts(app)
    # another role of the same commune: 403; another commune: 404 (never reveal it exists)
    assert (
        api.post(
            "officer.hoankiem", f"/tasks/{task['id']}/complete", json={"data": {"decision": "accept"}}
        ).status_code
        == 403
    )
    assert (
        api.post(
            "reception.badinh", f"/tasks/{task['id']}/complete", json={"data": {"decision": "accept"}}
        ).status_code
        == 404
    )
    assert api.get("reception.badinh", f"/dossiers/{code}").status_code == 404
    assert api.get("officer.badinh", f"/dossiers/{code}/events").status_code == 404
    # invalid decision: 422 at the field
    resp = api.post(
        "reception.hoankiem", f"/tasks/{task['id']}/complete", json={"data": {"decision": "maybe"}}
    )
    assert resp.status_code == 422 and "decision" in _error(resp)["fields"]
    assert _counts(app) == before
    # the first completion wins, the second is 409 and changes nothing
    ok = api.post(
        "reception.hoankiem", f"/tasks/{task['id']}/complete", json={"data": {"decision": "accept"}}
    )
    assert ok.status_code == 200
    after = _counts(app)
    again = api.post(
        "reception.hoankiem", f"/tasks/{task['id']}/complete", json={"data": {"decision": "accept"}}
    )
    assert again.status_code in (404, 409)
    assert _counts(app) == after


def test_blocking_rule_prevents_approval_with_its_id(app: Any, client: Any) -> None:
    api = Api(client)
    body = birth_submission()
    body["data"]["requester"]["relationship"] = "authorized"  # KS-08: no authorisation attached
    resp = api.post("reception.hoankiem", "/dossiers", json=body)
    code = resp.get_json()["code"]
    with app.app_context():
        run_pending()
        db.session.remove()
    assert (
        api.complete("reception.hoankiem", code, "reception_check", {"decision": "accept"}).status_code == 200
    )
    before = _counts(app)
    resp = api.complete("officer.hoankiem", code, "officer_examine", {"decision": "approve"})
    assert resp.status_code == 422, resp.get_json()
    assert "KS-08" in _error(resp)["rules"]
    assert _counts(app) == before
    dossier = api.get("officer.hoankiem", f"/dossiers/{code}").get_json()
    assert dossier["status"] == "processing"
    assert any(f["rule"] == "KS-08" and f["severity"] == "block" for f in dossier["findings"])


ROLE_MATRIX = [
    ("analyst", "GET", "/dossiers", 403),
    ("admin", "GET", "/dossiers", 403),
    ("portal", "GET", "/tasks", 403),
    ("auditor", "GET", "/tasks", 403),
    ("reception.hoankiem", "GET", "/processes", 403),
    ("analyst", "GET", "/processes", 200),
    ("officer.hoankiem", "GET", "/registry/persons/001095012345", 200),
    ("reception.hoankiem", "GET", "/registry/persons/001095012345", 403),
    ("portal", "POST", "/registry/persons", 403),
    ("reception.hoankiem", "GET", "/incidents", 403),
    ("admin", "GET", "/incidents", 200),
    (None, "GET", "/dossiers", 401),
    (None, "GET", "/tasks", 401),
]


@pytest.mark.parametrize(("user", "method", "path", "status"), ROLE_MATRIX)
def test_role_matrix(client: Any, user: str | None, method: str, path: str, status: int) -> None:
    api = Api(client)
    resp = api.call(method, user, path, json={} if method == "POST" else None)
    assert resp.status_code == status, resp.get_json()
    if status >= 400:
        _error(resp)


def test_bad_credentials_then_rate_limit(client: Any) -> None:
    for _ in range(5):
        resp = client.post("/api/v1/auth/token", json={"username": "officer.hoankiem", "password": "wrong"})
        assert resp.status_code == 401
    resp = client.post("/api/v1/auth/token", json={"username": "officer.hoankiem", "password": "demo12345"})
    assert resp.status_code == 429


def test_unsafe_bpmn_is_refused(client: Any) -> None:
    api = Api(client)
    doctype = BIRTH_BPMN.replace(
        b"<bpmn:definitions", b'<!DOCTYPE x [<!ENTITY e "x">]>\n<bpmn:definitions', 1
    )
    resp = api.post(
        "analyst", "/processes/birth_registration/versions", data=doctype, content_type="application/xml"
    )
    assert resp.status_code == 422 and resp.get_json()["error"]["errors"][0]["code"] == "unsafe_xml"
    evil = BIRTH_BPMN.replace(b'dossier = supplement["data"]', b"import os\nos.system('id')")
    report = api.post(
        "analyst", "/processes/birth_registration/validate", data=evil, content_type="application/xml"
    ).get_json()
    assert not report["ok"]
    assert [(e["element_id"], e["code"]) for e in report["errors"]] == [("apply_supplement", "unsafe_script")]
    resp = api.post(
        "analyst", "/processes/birth_registration/versions", data=evil, content_type="application/xml"
    )
    assert resp.status_code == 422
    versions = api.get("analyst", "/processes").get_json()
    assert [len(p["versions"]) for p in versions if p["key"] == "birth_registration"] == [1]
    assert (
        api.post(
            "officer.hoankiem",
            "/processes/birth_registration/versions",
            data=BIRTH_BPMN,
            content_type="application/xml",
        ).status_code
        == 403
    )


def test_claim_release_are_exclusive_and_recorded(app: Any, client: Any) -> None:
    api = Api(client)
    code = _submitted(app, api)
    task = api.task("reception.hoankiem", code, "reception_check")
    with app.app_context():
        from app.models import User
        from app.services.auth import hash_password

        db.session.add(
            User(
                username="reception2.hoankiem",
                full_name="Cao Thị Yến",
                roles_csv="reception",
                commune_code="00070",
                password_hash=hash_password("demo12345"),
                scope_csv="",
            )
        )
        db.session.commit()
        db.session.remove()
    assert (
        api.post("reception.hoankiem", f"/tasks/{task['id']}/claim").get_json()["assignee"]
        == "reception.hoankiem"
    )
    assert api.post("reception2.hoankiem", f"/tasks/{task['id']}/claim").status_code == 409
    resp = api.post(
        "reception2.hoankiem", f"/tasks/{task['id']}/complete", json={"data": {"decision": "accept"}}
    )
    assert resp.status_code == 409
    mine = api.get("reception.hoankiem", "/tasks?mine=1").get_json()
    assert [t["id"] for t in mine] == [task["id"]]
    assert api.post("reception.hoankiem", f"/tasks/{task['id']}/release").status_code == 200
    assert api.post("reception2.hoankiem", f"/tasks/{task['id']}/claim").status_code == 200
    types = [e["type"] for e in api.get("auditor", f"/dossiers/{code}/events").get_json()]
    assert types.count("claimed") == 2 and types.count("released") == 1
    assert api.get("auditor", f"/dossiers/{code}/verify").get_json()["replay_ok"] is True
