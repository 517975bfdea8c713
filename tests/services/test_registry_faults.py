"""Registry faults (issue 11): a 4xx is a rejection — an incident with its reason at once; outages,
timeouts and malformed answers are retried with backoff, then an incident; officials see on the dossier
page and in the inbox what the dossier waits on and what happens next; an admin's retry continues it."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from app.engine.clock import FixedClock
from app.extensions import db
from app.integrations.registry import HttpRegistry, RegistryMalformed, RegistryRejected, RegistryUnavailable
from app.models import Job
from app.services.jobs import run_pending
from tests.api_client import Api, birth_submission
from tests.conftest import START
from tests.page_client import Pages

MOTHER, FATHER = "001196023456", "001095012345"
SIGN = {"decision": "sign", "signer_title": "chu_tich"}


class MisbehavingRegistry:
    """A population registry over HTTP whose answers a test can spoil per route: a status with a body,
    a body that is not JSON, or a delay longer than the client's timeout."""

    def __init__(self) -> None:
        self.persons: dict[str, dict[str, Any]] = {
            FATHER: {"personal_id": FATHER, "full_name": "Nguyễn Văn An", "birth_date": "1995-04-12",
                     "sex": "male", "residence_commune_code": "00070", "marital_status": "single"},
            MOTHER: {"personal_id": MOTHER, "full_name": "Trần Thị Bích Ngọc", "birth_date": "1996-09-03",
                     "sex": "female", "residence_commune_code": "00070", "marital_status": "single"},
        }  # fmt: skip
        self.keys: dict[str, str] = {}
        self.spoil: dict[str, tuple[str, Any]] = {}  # e.g. "GET /persons/<pid>" -> (how, what)
        self.calls: list[str] = []
        app = Flask("misbehaving-registry")

        @app.before_request
        def _spoiled() -> Any:
            route = f"{request.method} {re.sub(r'[0-9]{12}', '<pid>', request.path)}"
            self.calls.append(route)
            how, what = self.spoil.get(route, ("", None))
            if how == "status":
                status, body = what
                return jsonify(body), status
            if how == "html":
                return "<html><body>Bảo trì hệ thống</body></html>", 200, {"Content-Type": "text/html"}
            if how == "slow":
                time.sleep(what)
            return None

        @app.after_request
        def _slow_answer(resp: Any) -> Any:
            how, what = self.spoil.get(
                f"{request.method} {re.sub(r'[0-9]{12}', '<pid>', request.path)}", ("", 0)
            )
            if how == "slow_after":
                time.sleep(what)  # the work is done, the answer comes too late: the client times out
            return resp

        @app.get("/persons/<pid>")
        def get_person(pid: str) -> Any:
            return jsonify(self.persons[pid]) if pid in self.persons else (jsonify({}), 404)

        @app.post("/persons/<pid>/revocation")
        def revoke(pid: str) -> Any:
            self.persons[pid]["civil_status_locked"] = True
            return "", 204

        @app.post("/persons")
        def create() -> Any:
            key = request.headers["Idempotency-Key"]
            if key not in self.keys:
                pid = f"001226{len(self.persons):06d}"
                self.persons[pid] = {**request.get_json(), "personal_id": pid}
                self.keys[key] = pid
            return jsonify({"personal_id": self.keys[key]}), 201

        self.app = app


@pytest.fixture
def registry() -> Iterator[tuple[MisbehavingRegistry, str]]:
    state = MisbehavingRegistry()
    server = make_server("127.0.0.1", 0, state.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def remote_app(database_url: str, registry: tuple[MisbehavingRegistry, str], tmp_path: Any) -> Iterator[Any]:
    from app import create_app
    from app.services.seed import seed_demo

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "HOTICH_CLOCK": FixedClock(START),
            "HOTICH_REGISTRY_URL": registry[1],
            "HOTICH_REGISTRY_TIMEOUT": 0.5,
            "HOTICH_JOB_RUNNER": "off",
            "HOTICH_MAIL_OUTBOX": str(tmp_path / "outbox"),
            "TESTING": True,
        }
    )
    with app.app_context():
        db.create_all()
        seed_demo("demo12345")
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _jobs(app: Any) -> None:
    with app.app_context():
        run_pending()
        db.session.remove()


def _job(app: Any, operation: str) -> Job:
    with app.app_context():
        job = db.session.query(Job).filter(Job.kind == "service_call").order_by(Job.id.desc()).all()
        found = next(j for j in job if j.payload["operation"] == operation)
        db.session.expunge(found)
        db.session.remove()
        return found


def _clock(app: Any) -> FixedClock:
    clock: FixedClock = app.config["HOTICH_CLOCK"]
    return clock


def _approved_birth(app: Any, api: Api) -> str:
    """A birth dossier the officer approved: the register entry is made and the registry is asked to
    create the child (Luật Hộ tịch Art. 16: before the register is signed)."""
    body = birth_submission()
    del body["data"]["requester"]["email"]  # no status mails: the registry calls are the only jobs
    code = api.post("reception.hoankiem", "/dossiers", json=body).get_json()["code"]
    _jobs(app)
    api.complete("reception.hoankiem", code, "reception_check", {"decision": "accept"})
    assert (
        api.complete("officer.hoankiem", code, "officer_examine", {"decision": "approve"}).status_code == 200
    )
    return code


# --- the HTTP client's reading of the registry's answers ---------------------------------------------


def test_a_client_error_is_a_rejection_with_the_registrys_reason(
    registry: tuple[MisbehavingRegistry, str],
) -> None:
    state, url = registry
    client = HttpRegistry(url, timeout=1, retries=0)
    state.spoil["POST /persons"] = ("status", (422, {"error": {"message": "Thiếu nơi thường trú"}}))
    with pytest.raises(RegistryRejected, match="422: Thiếu nơi thường trú") as caught:
        client.create_person({"full_name": "A", "birth_date": "2026-02-20", "sex": "female"}, "k")
    assert caught.value.status == 422
    state.spoil["GET /persons/<pid>"] = ("status", (403, {"message": "Cán bộ không có quyền tra cứu"}))
    with pytest.raises(RegistryRejected, match="Cán bộ không có quyền tra cứu"):
        client.lookup(MOTHER)


@pytest.mark.parametrize(
    ("how", "what"),
    [
        ("status", (503, {"error": "maintenance"})),
        ("status", (429, {"error": "slow down"})),  # "not now" is not "no"
        ("html", None),  # a 200 that is not JSON
        ("status", (200, ["not", "a", "person"])),
        ("status", (200, {"full_name": "no personal id"})),
        ("slow", 1.0),  # longer than the timeout
    ],
)
def test_outages_timeouts_and_malformed_answers_are_retryable(
    registry: tuple[MisbehavingRegistry, str], how: str, what: Any
) -> None:
    state, url = registry
    state.spoil["GET /persons/<pid>"] = (how, what)
    with pytest.raises(RegistryUnavailable):
        HttpRegistry(url, timeout=0.5, retries=0).lookup(MOTHER)


def test_a_new_person_without_a_valid_personal_id_is_malformed(
    registry: tuple[MisbehavingRegistry, str],
) -> None:
    state, url = registry
    state.spoil["POST /persons"] = ("status", (201, {"personal_id": "12"}))
    with pytest.raises(RegistryMalformed):
        HttpRegistry(url, timeout=1, retries=0).create_person({"full_name": "A"}, "k")


# --- the dossier, its officials and the admin ---------------------------------------------------------


def test_a_rejected_registry_update_is_an_incident_at_once_shown_to_officials_and_retried_by_admin(
    remote_app: Any, registry: tuple[MisbehavingRegistry, str]
) -> None:
    state, _url = registry
    api = Api(remote_app.test_client())
    state.spoil["POST /persons"] = ("status", (422, {"error": {"message": "Nơi sinh không hợp lệ"}}))
    code = _approved_birth(remote_app, api)
    _jobs(remote_app)
    job = _job(remote_app, "registry/register_birth")
    assert (job.status, job.failure, job.attempts) == ("failed", "rejected", 1)  # not five retries
    assert state.calls.count("POST /persons") == 1
    incidents = api.get("admin", "/incidents").get_json()
    assert [(i["dossier_code"], i["operation"], i["failure"]) for i in incidents] == [
        (code, "registry/register_birth", "rejected")
    ]
    assert "Nơi sinh không hợp lệ" in incidents[0]["last_error"]
    admin_pages = Pages(remote_app)
    admin_pages.login("admin")
    assert "CSDL dân cư từ chối" in admin_pages.text("/admin/incidents")

    dossier = api.get("officer.hoankiem", f"/dossiers/{code}").get_json()
    assert dossier["status"] == "processing"
    assert dossier["tasks"] == [] and dossier["result"].get("personal_id") is None
    [call] = dossier["registry_calls"]
    assert (call["operation"], call["state"]) == ("registry/register_birth", "rejected")
    assert "Nơi sinh không hợp lệ" in call["reason"]

    pages = Pages(remote_app)
    pages.login("officer.hoankiem")
    html = pages.text(f"/dossiers/{code}")
    assert "CSDL quốc gia về dân cư từ chối yêu cầu (Cấp số định danh cá nhân)" in html
    assert "Nơi sinh không hợp lệ" in html and "quản trị viên đã được báo sự cố" in html
    assert "Không có việc nào đang chờ cán bộ" not in html
    assert "data-wait-url" not in html  # nothing to poll for: it waits for the admin
    inbox = pages.text("/inbox")
    waiting = inbox.split('id="registry-waiting"')[1].split("</section>")[0]
    assert code in waiting and "Lỗi CSDL dân cư" in waiting and "Nơi sinh không hợp lệ" in waiting

    # the cause is fixed; the admin's retry continues the dossier
    state.spoil.clear()
    assert api.post("admin", f"/incidents/{incidents[0]['id']}/retry").status_code == 200
    _jobs(remote_app)
    dossier = api.get("officer.hoankiem", f"/dossiers/{code}").get_json()
    assert dossier["registry_calls"] == [] and [t["task"] for t in dossier["tasks"]] == ["register_sign"]
    assert api.get("admin", "/incidents").get_json() == []
    resp = api.complete("chairman.hoankiem", code, "chairman_sign", SIGN)
    assert resp.status_code == 200 and resp.get_json()["dossier"]["status"] == "result_ready"
    pid = api.get("reception.hoankiem", f"/dossiers/{code}").get_json()["result"]["personal_id"]
    assert state.persons[pid]["full_name"] == "Nguyễn Thị Ánh Dương"
    assert code not in pages.text("/inbox").split('id="registry-waiting"')[-1].split("</section>")[0]
    resp = api.complete("reception.hoankiem", code, "return_result", {"delivered_via": "counter"})
    assert resp.status_code == 200 and resp.get_json()["dossier"]["status"] == "completed"
    verify = api.get("auditor", f"/dossiers/{code}/verify").get_json()
    assert verify["chain_ok"] and verify["replay_ok"], verify


@pytest.mark.parametrize("how", ["outage", "malformed", "timeout"])
def test_a_failing_lookup_is_retried_with_backoff_shown_as_such_then_an_incident(
    remote_app: Any, registry: tuple[MisbehavingRegistry, str], how: str
) -> None:
    state, _url = registry
    spoil = {"outage": ("status", (503, {})), "malformed": ("html", None), "timeout": ("slow", 1.0)}[how]
    state.spoil["GET /persons/<pid>"] = spoil
    api = Api(remote_app.test_client())
    body = birth_submission()
    del body["data"]["requester"]["email"]
    code = api.post("reception.hoankiem", "/dossiers", json=body).get_json()["code"]
    pages = Pages(remote_app)
    pages.login("reception.hoankiem")
    clock = _clock(remote_app)
    for attempt in range(1, 6):
        _jobs(remote_app)
        job = _job(remote_app, "registry/lookup_parties")
        assert job.attempts == attempt
        if attempt < 5:
            [call] = api.get("reception.hoankiem", f"/dossiers/{code}").get_json()["registry_calls"]
            assert call["state"] == "retrying" and call["attempts"] == attempt and call["reason"] is None
            html = pages.text(f"/dossiers/{code}")
            assert f"lần thử {attempt}/5" in html and "Hệ thống tự thử lại lúc" in html
            assert "data-wait-url" in html
            clock.advance(seconds=2**attempt)
    assert (job.status, job.failure) == ("failed", "exhausted")
    dossier = api.get("reception.hoankiem", f"/dossiers/{code}").get_json()
    assert dossier["status"] == "submitted" and dossier["tasks"] == []
    assert [c["state"] for c in dossier["registry_calls"]] == ["failed"]
    html = pages.text(f"/dossiers/{code}")
    assert (
        "Không kết nối được CSDL quốc gia về dân cư sau 5 lần thử (Tra cứu CSDL quốc gia về dân cư)" in html
    )
    inbox = pages.text("/inbox").split('id="registry-waiting"')[1].split("</section>")[0]
    assert code in inbox and "Lỗi CSDL dân cư" in inbox

    state.spoil.clear()
    [incident] = api.get("admin", "/incidents").get_json()
    assert incident["failure"] == "exhausted"
    assert api.post("admin", f"/incidents/{incident['id']}/retry").status_code == 200
    _jobs(remote_app)
    tasks = api.get("reception.hoankiem", f"/tasks?dossier={code}").get_json()
    assert [t["task"] for t in tasks] == ["reception_check"]


def test_inbox_shows_only_the_callers_commune(
    remote_app: Any, registry: tuple[MisbehavingRegistry, str]
) -> None:
    state, _url = registry
    state.spoil["GET /persons/<pid>"] = ("status", (422, {"error": {"message": "Số định danh bị khóa"}}))
    api = Api(remote_app.test_client())
    code = api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    _jobs(remote_app)
    own, other = Pages(remote_app), Pages(remote_app)
    own.login("officer.hoankiem")
    other.login("officer.badinh")
    assert code in own.text("/inbox").split('id="registry-waiting"')[1]
    assert code not in other.text("/inbox")


def test_a_failed_revocation_does_not_leave_the_dossier_awaiting_a_signature(
    remote_app: Any, registry: tuple[MisbehavingRegistry, str]
) -> None:
    """The chairman refuses after the entry: the registry update is undone by a compensating call. While
    that call fails the dossier is neither "awaiting signature" (it was refused) nor "refused" yet."""
    state, _url = registry
    api = Api(remote_app.test_client())
    code = _approved_birth(remote_app, api)
    api.sign_register("officer.hoankiem", code)
    state.spoil["POST /persons/<pid>/revocation"] = ("status", (503, {}))
    refusal = {"decision": "refuse", "signer_title": "chu_tich", "note": "Sai nơi sinh"}
    resp = api.complete("chairman.hoankiem", code, "chairman_sign", refusal)
    assert resp.status_code == 200, resp.get_json()
    _jobs(remote_app)
    dossier = api.get("officer.hoankiem", f"/dossiers/{code}").get_json()
    assert dossier["status"] == "processing", dossier["status"]
    assert [(c["operation"], c["state"]) for c in dossier["registry_calls"]] == [
        ("registry/revoke_birth", "retrying")
    ]
    state.spoil.clear()
    _clock(remote_app).advance(seconds=2)
    _jobs(remote_app)
    dossier = api.get("officer.hoankiem", f"/dossiers/{code}").get_json()
    assert dossier["status"] == "refused" and dossier["registry_calls"] == []
    assert state.persons[state.keys[code]]["civil_status_locked"] is True  # the child's record, undone


def test_a_registration_whose_answer_was_lost_is_retried_without_a_second_person(
    remote_app: Any, registry: tuple[MisbehavingRegistry, str]
) -> None:
    """The registry creates the child but its answer arrives after the timeout: the job is retried and the
    idempotency key (the dossier code) gets the same personal id back — one person, never two."""
    state, _url = registry
    api = Api(remote_app.test_client())
    state.spoil["POST /persons"] = ("slow_after", 1.0)
    code = _approved_birth(remote_app, api)
    persons_before = len(state.persons)
    _jobs(remote_app)
    job = _job(remote_app, "registry/register_birth")
    assert job.status == "pending" and job.attempts == 1 and "RegistryUnavailable" in (job.last_error or "")
    assert state.calls.count("POST /persons") >= 1 and len(state.keys) == 1  # it was created, once
    state.spoil.clear()
    _clock(remote_app).advance(seconds=2)
    _jobs(remote_app)
    dossier = api.get("officer.hoankiem", f"/dossiers/{code}").get_json()
    assert dossier["registry_calls"] == [] and [t["task"] for t in dossier["tasks"]] == ["register_sign"]
    assert len(state.persons) == persons_before + 1
    resp = api.complete("chairman.hoankiem", code, "chairman_sign", SIGN)
    assert resp.status_code == 200, resp.get_json()
    result = api.get("officer.hoankiem", f"/dossiers/{code}").get_json()["result"]
    assert result["personal_id"] == state.keys[code]
