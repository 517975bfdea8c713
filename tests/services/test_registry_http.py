"""The HTTP population-registry client against a small stand-in server started by the test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, abort, jsonify, request
from werkzeug.serving import make_server

from app.integrations.registry import HttpRegistry, RegistryRejected, RegistryUnavailable


class StandIn:
    """A population registry over HTTP: GET/POST persons, marriages, deaths; idempotent writes."""

    def __init__(self) -> None:
        self.persons: dict[str, dict[str, Any]] = {
            "001095012345": {
                "personal_id": "001095012345",
                "sex": "male",
                "birth_date": "1995-04-12",
                "residence_commune_code": "00070",
                "full_name": "Nguyễn Văn An",
                "marital_status": "single",
            },
            "001196023456": {
                "personal_id": "001196023456",
                "sex": "female",
                "birth_date": "1996-09-03",
                "residence_commune_code": "00070",
                "full_name": "Trần Thị Bích Ngọc",
                "marital_status": "single",
            },
        }
        self.keys: dict[str, str] = {}
        self.fail_next = 0
        self.seen_tokens: list[str | None] = []
        app = Flask("standin")

        @app.before_request
        def _maybe_fail() -> Any:
            self.seen_tokens.append(request.headers.get("Authorization"))
            if self.fail_next:
                self.fail_next -= 1
                abort(503)
            return None

        @app.get("/persons/<pid>")
        def get_person(pid: str) -> Any:
            return jsonify(self.persons[pid]) if pid in self.persons else (jsonify({}), 404)

        @app.post("/persons")
        def create() -> Any:
            key = request.headers["Idempotency-Key"]
            if key not in self.keys:
                pid = f"001226{len(self.persons):06d}"
                self.persons[pid] = {**request.get_json(), "personal_id": pid}
                self.keys[key] = pid
            return jsonify({"personal_id": self.keys[key]}), 201

        @app.post("/marriages")
        def marry() -> Any:
            body = request.get_json()
            if body["a"] not in self.persons:
                return jsonify({"error": "unknown"}), 422
            for me, other in ((body["a"], body["b"]), (body["b"], body["a"])):
                self.persons[me].update(marital_status="married", spouse_personal_id=other)
            return "", 204

        self.app = app


@pytest.fixture
def standin() -> Iterator[tuple[StandIn, str]]:
    server_state = StandIn()
    server = make_server("127.0.0.1", 0, server_state.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server_state, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_lookup_found_and_not_found(standin: tuple[StandIn, str]) -> None:
    state, url = standin
    client = HttpRegistry(url, token="secret", timeout=2)
    assert client.lookup("001095012345")["full_name"] == "Nguyễn Văn An"
    assert client.lookup("001000000000") is None
    assert state.seen_tokens[-1] == "Bearer secret"


def test_server_errors_are_retried_then_reported(standin: tuple[StandIn, str]) -> None:
    state, url = standin
    client = HttpRegistry(url, timeout=2, retries=2)
    state.fail_next = 2
    assert client.lookup("001095012345") is not None  # two 503s absorbed by the retries
    state.fail_next = 10
    with pytest.raises(RegistryUnavailable):
        client.lookup("001095012345")


def test_writes_are_idempotent(standin: tuple[StandIn, str]) -> None:
    state, url = standin
    client = HttpRegistry(url, timeout=2)
    record = {"full_name": "Nguyễn Thị Ánh Dương", "birth_date": "2026-02-20", "sex": "female"}
    first = client.create_person(record, "00070-260310-0001")
    assert client.create_person(record, "00070-260310-0001") == first
    assert state.persons[first]["full_name"] == "Nguyễn Thị Ánh Dương"
    client.record_marriage("001095012345", "001196023456", "2026-03-10", "00070-260310-0002")
    assert state.persons["001196023456"]["spouse_personal_id"] == "001095012345"
    with pytest.raises(RegistryRejected):
        client.record_marriage("001000000000", "001196023456", "2026-03-10", "k")


def test_unreachable_registry_and_timeouts() -> None:
    with pytest.raises(RegistryUnavailable):
        HttpRegistry("http://127.0.0.1:9", timeout=0.5, retries=0).lookup("001095012345")


def test_birth_flow_against_the_http_registry(
    database_url: str, standin: tuple[StandIn, str], tmp_path: Any
) -> None:
    from app import create_app
    from app.engine.clock import FixedClock
    from app.extensions import db
    from app.services.jobs import run_pending
    from app.services.seed import seed_demo
    from tests.api_client import Api, birth_submission
    from tests.conftest import START

    state, url = standin
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "HOTICH_CLOCK": FixedClock(START),
            "HOTICH_REGISTRY_URL": url,
            "HOTICH_JOB_RUNNER": "off",
            "HOTICH_MAIL_OUTBOX": str(tmp_path / "outbox"),
        }
    )
    with app.app_context():
        db.create_all()
        seed_demo("demo12345")
        db.session.remove()
    api = Api(app.test_client())

    def jobs() -> None:
        with app.app_context():
            run_pending()
            db.session.remove()

    code = api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    jobs()
    events = api.get("auditor", f"/dossiers/{code}/events").get_json()
    lookup = next(e for e in events if e["type"] == "external_result")["data"]["result"]
    assert lookup["mother"]["full_name"] == "Trần Thị Bích Ngọc", lookup  # answered by the stand-in server
    api.complete("reception.hoankiem", code, "reception_check", {"decision": "accept"})
    resp = api.complete("officer.hoankiem", code, "officer_examine", {"decision": "approve"})
    assert resp.status_code == 200, resp.get_json()
    api.complete("chairman.hoankiem", code, "chairman_sign", {"decision": "sign", "signer_title": "chu_tich"})
    jobs()
    pid = api.get("reception.hoankiem", f"/dossiers/{code}").get_json()["result"]["personal_id"]
    assert state.persons[pid]["full_name"] == "Nguyễn Thị Ánh Dương"
    assert state.keys == {code: pid}
    with app.app_context():
        db.engine.dispose()


def test_http_client_reads_the_family_link_fields(standin: tuple[StandIn, str]) -> None:
    """spec/api.md fields come through the HTTP client; a registry that omits them reads as no link, full."""
    state, url = standin
    state.persons["001095012345"].update(
        former_spouse_personal_ids=["001198056789"],
        adoptive_father_personal_id="001045001234",
        legal_capacity="lost",
    )
    client = HttpRegistry(url, timeout=2)
    record = client.lookup("001095012345")
    assert record is not None
    assert record["former_spouse_personal_ids"] == ["001198056789"]
    assert record["adoptive_father_personal_id"] == "001045001234"
    assert record["adoptive_mother_personal_id"] is None
    assert record["legal_capacity"] == "lost"
    plain = client.lookup("001196023456")
    assert plain is not None
    assert (plain["former_spouse_personal_ids"], plain["legal_capacity"]) == ([], "full")
    assert client.children_of("001196023456") == []  # this registry has no search: KS-10 falls back
