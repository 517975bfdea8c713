"""Everything people see is sealed with the chain head under a key kept outside the database: a forged row
is named by its field, a rewritten chain by its first rewritten event, and old MACs survive a key rotation."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from app import create_app
from app.extensions import db
from app.models import AuditEvent, AuditHead, Document, Dossier, RegisterEntry
from app.services.audit import state_components, state_digest, visible_state
from app.services.audit_keys import load_keyring
from tests.api_client import Api, birth_submission
from tests.page_client import Pages
from tests.services.audit_flows import completed_birth, dossier_id, fields, rewrite_event, verdict

OK = {"chain_ok": True, "replay_ok": True, "first_bad_seq": None, "problems": []}


def _forge(app: Any, model: Any, where: Any, **values: Any) -> None:
    with app.app_context():
        db.session.execute(update(model).where(where).values(**values))
        db.session.commit()
        db.session.remove()


def _result(app: Any, code: str) -> dict[str, Any]:
    with app.app_context():
        result = dict(db.session.scalars(select(Dossier.result).where(Dossier.code == code)).one())
        db.session.remove()
    return result


def test_a_forged_personal_id_is_named_and_shown_on_the_dossier_page(app: Any, client: Any) -> None:
    api = Api(client)
    code = completed_birth(app, api)
    assert verdict(api, code) == OK
    result = _result(app, code)
    assert result["personal_id"]
    _forge(app, Dossier, Dossier.code == code, result={**result, "personal_id": "001226999999"})
    assert api.get("auditor", f"/dossiers/{code}").get_json()["result"]["personal_id"] == "001226999999"
    v = verdict(api, code)
    assert v["chain_ok"] is True and v["replay_ok"] is False and v["first_bad_seq"] is None
    assert fields(v) == {"result.personal_id"}
    pages = Pages(app)
    pages.login("auditor")
    page = pages.get(f"/dossiers/{code}?verify=1").get_data(as_text=True)
    assert "không khớp" in page and "result.personal_id" in page


def test_a_forged_row_is_not_sealed_by_the_next_command(app: Any, client: Any) -> None:
    """The next command seals only what it changes: the forged personal id stays named after it."""
    api = Api(client)
    code = completed_birth(app, api, returned=False)
    result = _result(app, code)
    _forge(app, Dossier, Dossier.code == code, result={**result, "personal_id": "001226999999"})
    with app.app_context():
        did = dossier_id(code)
        db.session.remove()
    _forge(app, RegisterEntry, RegisterEntry.dossier_id == did, number=77)
    resp = api.complete("reception.hoankiem", code, "return_result", {"delivered_via": "counter"})
    assert resp.status_code == 200, resp.get_json()
    v = verdict(api, code)
    assert v["chain_ok"] is True and v["replay_ok"] is False
    assert fields(v) == {"result.personal_id", "register_entry"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"number": 99}, "register_entry"),
        ({"note": "ĐÃ HỦY ngày 10/03/2026: giả"}, "register_entry"),
    ],
)
def test_a_forged_register_entry_number_or_void_state_is_named(
    app: Any, client: Any, change: dict[str, Any], field: str
) -> None:
    api = Api(client)
    code = completed_birth(app, api)
    with app.app_context():
        did = dossier_id(code)
    _forge(app, RegisterEntry, RegisterEntry.dossier_id == did, **change)
    v = verdict(api, code)
    assert v["replay_ok"] is False and fields(v) == {field}


def test_a_forged_register_in_the_result_is_named(app: Any, client: Any) -> None:
    api = Api(client)
    code = completed_birth(app, api)
    result = _result(app, code)
    _forge(
        app,
        Dossier,
        Dossier.code == code,
        result={**result, "register": {**result["register"], "voided": True}},
    )
    assert fields(verdict(api, code)) == {"result.register"}


def test_a_document_forged_with_its_own_hash_is_refused_and_named(app: Any, client: Any) -> None:
    """The content hash alone would match the forged context: the sealed head does not."""
    api = Api(client)
    code = completed_birth(app, api)
    with app.app_context():
        doc = db.session.scalars(select(Document).where(Document.name == "giay_khai_sinh")).one()
        token, ctx = doc.verify_token, {**doc.context, "dossier_code": "GIẢ-MẠO"}
        import hashlib

        from app.engine.definition import canonical_json

        digest = hashlib.sha256(canonical_json(ctx).encode()).hexdigest()
        db.session.remove()
    _forge(app, Document, Document.verify_token == token, context=ctx, content_sha256=digest)
    page = client.get(f"/verify/{token}").get_data(as_text=True)
    assert "Giấy tờ không hợp lệ" in page and "Giấy tờ hợp lệ" not in page
    v = verdict(api, code)
    assert v["replay_ok"] is False and fields(v) == {"document.giay_khai_sinh"}


def test_a_head_resealed_without_the_key_fails_the_chain(app: Any, client: Any) -> None:
    """The forger recomputes the sealed digest of the forged state; without the key the MAC gives it away."""
    api = Api(client)
    code = completed_birth(app, api)
    result = _result(app, code)
    _forge(app, Dossier, Dossier.code == code, result={**result, "personal_id": "001226999999"})
    with app.app_context():
        d = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        components = state_components(visible_state(d))
        head_seq = d.last_event_seq
        db.session.remove()
    _forge(
        app,
        AuditHead,
        AuditHead.dossier_code == code,
        components=components,
        state_digest=state_digest(components),
    )
    v = verdict(api, code)
    assert v["chain_ok"] is False and v["first_bad_seq"] == head_seq


def test_a_rewritten_event_with_the_plain_chain_recomputed_is_named_by_its_seq(app: Any, client: Any) -> None:
    api = Api(client)
    code = completed_birth(app, api)
    events = api.get("auditor", f"/dossiers/{code}/events").get_json()
    assert all(e["mac"] and e["key_id"] for e in events)
    examine = next(e for e in events if e["task"] == "officer_examine" and e["type"] == "task_completed")
    rewrite_event(app, code, examine["seq"], actor="officer.badinh")
    rewritten = api.get("auditor", f"/dossiers/{code}/events").get_json()
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(rewritten, rewritten[1:], strict=False))
    v = verdict(api, code)
    assert v["chain_ok"] is False and v["first_bad_seq"] == examine["seq"]


def test_a_rewrite_with_the_key_passes_verify_which_is_why_anchors_exist(app: Any, client: Any) -> None:
    api = Api(client)
    code = completed_birth(app, api)
    rewrite_event(app, code, 3, with_key=True, actor="officer.badinh")
    assert verdict(api, code) == OK  # see tests/services/test_audit_anchor.py: the kept anchor contradicts it


def test_the_key_file_is_generated_in_the_instance_folder_readable_by_its_owner_only(tmp_path: Path) -> None:
    ring = load_keyring({}, str(tmp_path))
    path = tmp_path / "audit_keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keyring({}, str(tmp_path)) == ring  # the same key on the next start
    assert ring.keys[ring.current_id].hex() == json.loads(path.read_text())["keys"][ring.current_id]


def test_the_key_is_not_in_the_database(app: Any, client: Any) -> None:
    api = Api(client)
    code = str(api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"])
    with app.app_context():
        from app.services.audit_keys import keyring

        secret = keyring().keys[keyring().current_id]
        dump = "\n".join(str(row) for row in db.session.execute(select(AuditEvent.__table__)).all())
        dump += "\n".join(str(row) for row in db.session.execute(select(AuditHead.__table__)).all())
        db.session.remove()
    assert code in dump and secret.hex() not in dump and secret.decode("latin-1") not in dump


def _app_with_key_file(database_url: str, clock: Any, key_file: Path, tmp_path: Path, **extra: Any) -> Any:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "HOTICH_CLOCK": clock,
            "TESTING": True,
            "HOTICH_JOB_RUNNER": "off",
            "HOTICH_MAIL_OUTBOX": str(tmp_path / "outbox"),
            "HOTICH_AUDIT_KEY_FILE": str(key_file),
            **extra,
        }
    )
    return app


def test_after_a_key_rotation_old_macs_verify_with_the_old_key(
    app: Any, database_url: str, clock: Any, tmp_path: Path
) -> None:
    key_file = tmp_path / "keys" / "audit_keys.json"
    first = _app_with_key_file(database_url, clock, key_file, tmp_path)
    api = Api(first.test_client())
    code = str(api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"])
    result = first.test_cli_runner().invoke(args=["rotate-audit-key"])
    assert result.exit_code == 0, result.output
    second = _app_with_key_file(database_url, clock, key_file, tmp_path)
    api2 = Api(second.test_client())
    from app.services.jobs import run_pending

    with second.app_context():
        run_pending()
        db.session.remove()
    api2.complete("reception.hoankiem", code, "reception_check", {"decision": "accept"})
    events = api2.get("auditor", f"/dossiers/{code}/events").get_json()
    key_ids = [e["key_id"] for e in events]
    assert len(set(key_ids)) == 2 and key_ids[0] != key_ids[-1]
    assert verdict(api2, code) == OK
    # without the retired key the old MACs cannot be checked: the first event is named
    keys = json.loads(key_file.read_text())
    del keys["keys"][key_ids[0]]
    key_file.write_text(json.dumps(keys))
    third = _app_with_key_file(database_url, clock, key_file, tmp_path)
    v = verdict(Api(third.test_client()), code)
    assert v["chain_ok"] is False and v["first_bad_seq"] == 1


def test_a_key_from_the_environment_with_old_keys_listed(
    app: Any, database_url: str, clock: Any, tmp_path: Path
) -> None:
    key_file = tmp_path / "unused.json"
    old = _app_with_key_file(
        database_url, clock, key_file, tmp_path, HOTICH_AUDIT_KEY="s3cret-one", HOTICH_AUDIT_KEY_ID="k1"
    )
    api = Api(old.test_client())
    code = str(api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"])
    new = _app_with_key_file(
        database_url,
        clock,
        key_file,
        tmp_path,
        HOTICH_AUDIT_KEY="s3cret-two",
        HOTICH_AUDIT_KEY_ID="k2",
        HOTICH_AUDIT_OLD_KEYS="k1:s3cret-one",
    )
    assert verdict(Api(new.test_client()), code) == OK
    assert not key_file.exists()
    refused = new.test_cli_runner().invoke(args=["rotate-audit-key"])
    assert refused.exit_code != 0 and "HOTICH_AUDIT_OLD_KEYS" in refused.output


def test_chains_recorded_before_the_macs_are_sealed_once_if_intact(app: Any, client: Any) -> None:
    api = Api(client)
    intact = completed_birth(app, api)
    broken = str(api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"])
    with app.app_context():  # as a database upgraded to audit_0001 holds them: no MACs, no sealed heads
        db.session.execute(update(AuditEvent).values(mac=None, key_id=None))
        db.session.execute(AuditHead.__table__.delete())
        ev = db.session.scalars(
            select(AuditEvent).where(AuditEvent.dossier_id == dossier_id(broken), AuditEvent.seq == 1)
        ).one()
        db.session.execute(update(AuditEvent).where(AuditEvent.id == ev.id).values(actor="ai.do"))
        db.session.commit()
        db.session.remove()
    assert verdict(api, intact)["first_bad_seq"] == 1
    out = app.test_cli_runner().invoke(args=["seal-audit-chains"])
    assert out.exit_code == 1 and "sealed 1 dossier chains" in out.output and broken in out.output
    assert verdict(api, intact) == OK
    assert verdict(api, broken)["first_bad_seq"] == 1
