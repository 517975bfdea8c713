"""The proof bundle: exported as one JSON file, re-executed offline (no database) by `flask verify-bundle`,
with the same verdict as /verify; a tampered bundle is named by its event."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update

from app.extensions import db
from app.models import Dossier, ProcessVersion
from tests.api_client import Api
from tests.services.audit_flows import completed_birth, verdict


def _bundle(api: Api, code: str, user: str = "auditor") -> dict[str, Any]:
    resp = api.get(user, f"/dossiers/{code}/history")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    return dict(json.loads(resp.get_data(as_text=True)))


@contextmanager
def no_database(app: Any) -> Iterator[None]:
    """Any SQL statement during the block fails the test: the bundle must verify without the database."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("verify-bundle touched the database")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


def _verify_bundle(app: Any, bundle: dict[str, Any], tmp_path: Path) -> tuple[int, dict[str, Any]]:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False))
    with no_database(app):
        out = app.test_cli_runner().invoke(args=["verify-bundle", str(path)])
    return out.exit_code, json.loads(out.stdout)


def test_the_bundle_carries_the_exact_bpmn_and_the_engine_version(app: Any, client: Any) -> None:
    api = Api(client)
    code = completed_birth(app, api)
    bundle = _bundle(api, code)
    events = api.get("auditor", f"/dossiers/{code}/events").get_json()
    assert bundle["events"] == events
    assert bundle["engine"]["name"] == "SpiffWorkflow" and bundle["engine"]["version"] == version(
        "SpiffWorkflow"
    )
    [process] = bundle["processes"]
    with app.app_context():
        pv = db.session.scalars(
            select(ProcessVersion)
            .join(Dossier, Dossier.process_version_id == ProcessVersion.id)
            .where(Dossier.code == code)
        ).one()
        assert process["bpmn_xml"] == pv.bpmn_xml and process["sha256"] == pv.sha256
        db.session.remove()
    assert hashlib.sha256(process["bpmn_xml"].encode()).hexdigest() == process["sha256"]
    assert bundle["dossier"]["process"]["sha256"] == process["sha256"]


def test_an_exported_bundle_verifies_offline_with_the_verdict_of_verify(
    app: Any, client: Any, tmp_path: Path
) -> None:
    api = Api(client)
    code = completed_birth(app, api)
    exit_code, offline = _verify_bundle(app, _bundle(api, code), tmp_path)
    assert exit_code == 0 and offline == verdict(api, code)
    assert offline == {"chain_ok": True, "replay_ok": True, "first_bad_seq": None, "problems": []}


def test_a_tampered_event_in_the_bundle_is_named_by_its_seq(app: Any, client: Any, tmp_path: Path) -> None:
    api = Api(client)
    code = completed_birth(app, api)
    bundle = _bundle(api, code)
    examine = next(e for e in bundle["events"] if e["task"] == "officer_examine")
    examine["data"]["form"]["decision"] = "refuse"
    exit_code, offline = _verify_bundle(app, bundle, tmp_path)
    assert exit_code == 1 and offline["chain_ok"] is False and offline["first_bad_seq"] == examine["seq"]


def test_a_tampered_state_or_diagram_in_the_bundle_fails_the_replay(
    app: Any, client: Any, tmp_path: Path
) -> None:
    api = Api(client)
    code = completed_birth(app, api)
    bundle = _bundle(api, code)
    bundle["stored"]["visible"]["result"]["personal_id"] = "001226999999"
    exit_code, offline = _verify_bundle(app, bundle, tmp_path)
    assert exit_code == 1 and offline["replay_ok"] is False
    assert [p["field"] for p in offline["problems"]] == ["result.personal_id"]
    bundle = _bundle(api, code)
    bundle["processes"][0]["bpmn_xml"] = bundle["processes"][0]["bpmn_xml"].replace("Kiểm tra", "Bỏ qua", 1)
    exit_code, offline = _verify_bundle(app, bundle, tmp_path)
    assert exit_code == 1 and [p["field"] for p in offline["problems"]] == ["process"]


def test_a_forged_row_gives_the_same_verdict_online_and_offline(
    app: Any, client: Any, tmp_path: Path
) -> None:
    api = Api(client)
    code = completed_birth(app, api)
    with app.app_context():
        data = dict(db.session.scalars(select(Dossier.data).where(Dossier.code == code)).one())
        data["child"] = {**data["child"], "full_name": "Lê Văn Giả"}
        db.session.execute(update(Dossier).where(Dossier.code == code).values(data=data))
        db.session.commit()
        db.session.remove()
    online = verdict(api, code)
    assert online["replay_ok"] is False and {"data", "data.child"} <= {p["field"] for p in online["problems"]}
    exit_code, offline = _verify_bundle(app, _bundle(api, code), tmp_path)
    assert exit_code == 1 and offline == online


def test_a_migrated_dossier_s_bundle_carries_both_versions_and_verifies_offline(
    app: Any, client: Any, tmp_path: Path
) -> None:
    """Submitted on v1, moved to v2 while the officer examined it, then examined on v2: the bundle holds the
    BPMN of both, and the offline verdict is /verify's; without v1's BPMN the bundle says what is missing."""
    from tests.services.test_process_migration import at_officer, deploy, migrate, v2_xml

    api = Api(client)
    code = at_officer(app, api)
    v2 = deploy(api, v2_xml())
    assert migrate(api, {"to_version": v2, "dossiers": [code], "dry_run": False}).status_code == 200
    resp = api.complete("officer.hoankiem", code, "officer_examine", {"decision": "approve"})
    assert resp.status_code == 200, resp.get_json()
    bundle = _bundle(api, code)
    assert sorted(p["version"] for p in bundle["processes"]) == [1, v2]
    assert bundle["dossier"]["process"]["version"] == v2
    exit_code, offline = _verify_bundle(app, bundle, tmp_path)
    assert offline == verdict(api, code)
    assert exit_code == 0 and offline == {
        "chain_ok": True,
        "replay_ok": True,
        "first_bad_seq": None,
        "problems": [],
    }

    without_v1 = {**bundle, "processes": [p for p in bundle["processes"] if p["version"] == v2]}
    exit_code, offline = _verify_bundle(app, without_v1, tmp_path)
    assert exit_code == 1 and offline["replay_ok"] is False
    assert [p["field"] for p in offline["problems"]] == ["process"]

    v1 = next(p for p in bundle["processes"] if p["version"] == 1)
    v1["bpmn_xml"] = v1["bpmn_xml"].replace("Kiểm tra", "Bỏ qua", 1)
    exit_code, offline = _verify_bundle(app, bundle, tmp_path)
    assert exit_code == 1 and [p["field"] for p in offline["problems"]] == ["process"]


def test_a_file_that_is_not_a_bundle_is_refused_clearly(app: Any, tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"format": "something-else"}')
    out = app.test_cli_runner().invoke(args=["verify-bundle", str(path)])
    assert out.exit_code != 0 and "not a hộ tịch proof bundle" in out.output


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("auditor", 200),
        ("officer.hoankiem", 200),
        ("officer.badinh", 404),
        ("portal", 404),  # a counter dossier is not the portal's
        ("analyst", 403),
        ("admin", 403),
    ],
)
def test_who_may_export_the_history(app: Any, client: Any, user: str, status: int) -> None:
    api = Api(client)
    from tests.api_client import birth_submission

    code = api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    assert api.get(user, f"/dossiers/{code}/history").status_code == status
