"""The OpenAPI 3.1 description (app/web/api/openapi.yaml): it validates, it names every /api/v1 route and
nothing else, the API validates bodies by it, and schemathesis fuzzes the running app (in-process, WSGI)
against it: no 5xx, every response as described."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from app.web.api.openapi import document, openapi_path
from tests.api_client import Api, birth_submission
from tests.conftest import PG_ADMIN_URL, START, require_postgres

METHODS = {"get", "put", "post", "delete", "patch"}


def registered_operations(app: Any) -> set[tuple[str, str]]:
    return {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def described_operations() -> set[tuple[str, str]]:
    return {(path, m) for path, item in document()["paths"].items() for m in item if m in METHODS}


def test_every_api_route_is_described_and_nothing_else(app: Any) -> None:
    registered, described = registered_operations(app), described_operations()
    assert registered - described == set(), "routes without an operation in openapi.yaml"
    assert described - registered == set(), "operations in openapi.yaml without a route"
    assert len(registered) >= 40


def test_the_document_is_valid_openapi_3_1() -> None:
    from schemathesis.specs.openapi.definitions import OPENAPI_31  # the OAS 3.1 meta-schema, as shipped

    doc = document()
    assert doc["openapi"].startswith("3.1.")
    errors = sorted(Draft202012Validator(OPENAPI_31).iter_errors(doc), key=str)
    assert errors == [], [e.message for e in errors[:5]]
    for name, schema in doc["components"]["schemas"].items():  # each schema is valid JSON Schema 2020-12
        Draft202012Validator.check_schema(schema), name
    op_ids = [op["operationId"] for item in doc["paths"].values() for m, op in item.items() if m in METHODS]
    assert len(op_ids) == len(set(op_ids))
    # every $ref resolves inside the document
    registry: Registry[Any] = Registry().with_resource("urn:t", DRAFT202012.create_resource(doc))
    resolver = registry.resolver("urn:t")
    for ref in set(re.findall(r"'\$ref': '([^']+)'", str(doc))):
        resolver.lookup("urn:t" + ref)
    # path templates name the same parameters the operation declares
    for path, item in doc["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for method, op in ((m, o) for m, o in item.items() if m in METHODS):
            declared = {
                p.get("name") or p["$ref"].rsplit("/", 1)[-1]
                for p in [*item.get("parameters", []), *op.get("parameters", [])]
                if p.get("in", "path") == "path"
            }
            declared = {doc["components"]["parameters"].get(n, {}).get("name", n) for n in declared}
            assert names <= declared, (method, path)


def test_served_as_json_with_a_docs_page(client: Any) -> None:
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200 and served.mimetype == "application/json"
    assert served.get_json() == document()
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "/api/v1/openapi.json" in html and "https://" not in html  # no CDN
    assert client.get("/assets/js/api-docs.js").status_code == 200


def json_body_operations() -> list[tuple[str, str]]:
    return sorted(
        (path, method)
        for path, item in document()["paths"].items()
        for method, op in item.items()
        if method in METHODS and "application/json" in op.get("requestBody", {}).get("content", {})
    )


ROLE_FOR = {
    "/auth/token": None,
    "/registry/persons": "admin",
    "/calendar/days": "admin",
    "/tasks": "officer.hoankiem",
    "/processes": "analyst",
    "/feedback": None,
}


@pytest.mark.parametrize(("path", "method"), json_body_operations())
def test_every_json_body_is_validated_by_its_schema(app: Any, client: Any, path: str, method: str) -> None:
    """A body of the wrong shape is a 422 naming the field, for every operation with a JSON body."""
    api = Api(client)
    code = api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    url = path.replace("{code}", code).replace("{task_id}", "nope")
    user = next((u for prefix, u in ROLE_FOR.items() if path.startswith(prefix)), "reception.hoankiem")
    if path.endswith(("/confirm-draft",)):
        user = "portal"
    resp = api.call(method.upper(), user, url, json=[])
    assert resp.status_code == 422, (path, resp.get_json())
    error = resp.get_json()["error"]
    assert error["code"] == "validation_failed" and error["fields"] == {"body": error["fields"]["body"]}
    assert api.get("reception.hoankiem", f"/dossiers/{code}").get_json()["status"] == "submitted"


def test_a_role_that_never_may_is_403_before_the_body_is_read(client: Any) -> None:
    api = Api(client)
    for user, path in (("portal", "/registry/persons"), ("officer.hoankiem", "/dossiers")):
        assert api.post(user, path, json=[]).status_code == 403


def test_field_errors_name_the_field_in_vietnamese(client: Any) -> None:
    api = Api(client)
    resp = api.call("PUT", "admin", "/calendar/days", json={"date": "2026-05-02", "kind": "holiday"})
    fields = resp.get_json()["error"]["fields"]
    assert resp.status_code == 422
    assert fields["name"] == "Trường «Tên (lý do)» là bắt buộc."
    assert fields["kind"].startswith("«Loại ngày» phải là một trong các giá trị cho phép")


# -- schemathesis: the running app against its description -------------------------------------------------

SCHEMA = schemathesis.openapi.from_dict(document())
# who calls each area: an official of Hoàn Kiếm by default (authorisation is part of what is checked)
CALLERS = [
    ("/processes", "analyst"),
    ("/registry", "admin"),
    ("/incidents", "admin"),
    ("/calendar/days", "admin"),
    ("/statistics", "department"),
    ("/feedback", "department"),
    ("/dossiers/{code}/events", "auditor"),
    ("/dossiers/{code}/replay", "auditor"),
    ("/dossiers/{code}/verify", "auditor"),
    ("/dossiers", "reception.hoankiem"),
    ("/tasks", "officer.hoankiem"),
    ("/register-books", "officer.hoankiem"),
]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: Any) -> Iterator[Any]:
    """One app for the whole fuzz run (hypothesis calls the test many times; an app each would dominate)."""
    from app import create_app
    from app.engine.clock import FixedClock
    from app.extensions import db

    tmp = tmp_path_factory.mktemp("fuzz")
    backend = os.environ.get("HOTICH_TEST_DB", "sqlite")
    name = f"hotich_f_{uuid.uuid4().hex[:10]}"
    if backend == "postgres":
        require_postgres()
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    else:
        url = f"sqlite:///{tmp / 'fuzz.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "HOTICH_CLOCK": FixedClock(START),
            "TESTING": True,
            "HOTICH_JOB_RUNNER": "off",
            "HOTICH_MAIL_OUTBOX": str(tmp / "outbox"),
            "HOTICH_OPENAPI_CHECK_RESPONSES": True,
        }
    )
    with app.app_context():
        db.create_all()
        from app.services.seed import seed_demo

        seed_demo("demo12345")
        db.session.remove()
    api = Api(app.test_client())
    app.config["FUZZ_TOKENS"] = {user: api.token(user) for _prefix, user in CALLERS}
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if backend == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def caller(path: str) -> str:
    return next((user for prefix, user in CALLERS if path.startswith(prefix)), "officer.hoankiem")


# Domain rules reach past what a schema can say (a commune that exists, a BPMN that deploys, a date in range):
# a schema-valid request may rightly be a 422, and an over-long key is simply not found. Every other check
# (no 5xx, status codes, content types, headers, response bodies, 405s, auth) runs.
BEYOND_THE_SCHEMA = [
    schemathesis.checks.positive_data_acceptance,
    schemathesis.checks.negative_data_rejection,
]


@SCHEMA.parametrize()
@settings(
    # bounded for `make test` (about a minute on one core); HOTICH_FUZZ_EXAMPLES=100 for a deeper run
    max_examples=int(os.environ.get("HOTICH_FUZZ_EXAMPLES", "8")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_description(case: Any, fuzz_app: Any) -> None:
    token = fuzz_app.config["FUZZ_TOKENS"][caller(case.path)]
    case.operation.schema.app = case.operation.app = fuzz_app  # every call in-process, follow-up checks too
    case.call_and_validate(
        app=fuzz_app, headers={"Authorization": f"Bearer {token}"}, excluded_checks=BEYOND_THE_SCHEMA
    )


def test_the_training_space_serves_its_own_copy(app: Any, client: Any, tmp_path: Any) -> None:
    """/training/api/v1 is the same API on the training database: its description points at itself, and the
    request guard and headers hold there too."""
    app.config["HOTICH_TRAINING_DATABASE_URL"] = f"sqlite:///{tmp_path / 'training.db'}"
    served = client.get("/training/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.get_json()["servers"] == [{"url": "/training/api/v1"}]
    assert served.get_json()["paths"] == document()["paths"]
    assert "frame-ancestors 'none'" in served.headers["Content-Security-Policy"]
    refused = client.get("/training/api/v1/dossiers?status=a%00")
    assert refused.status_code == 400 and refused.get_json()["error"]["fields"]["status"]
