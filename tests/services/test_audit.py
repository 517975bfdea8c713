"""The audit trail: append-only, hash-chained, replayable; tampering is detected."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import AuditEvent, Dossier
from app.services.jobs import run_pending
from tests.api_client import Api, birth_submission


def _walk_to_signature(app: Any, api: Api) -> str:
    code = str(api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"])
    with app.app_context():
        run_pending()
        db.session.remove()
    api.complete("reception.hoankiem", code, "reception_check", {"decision": "accept"})
    api.complete("officer.hoankiem", code, "officer_examine", {"decision": "approve", "note": "Đủ điều kiện"})
    api.sign_register("officer.hoankiem", code)  # entry, personal id, register signed: now the chairman
    return code


def test_events_record_every_command_with_actor_and_data(app: Any, client: Any) -> None:
    api = Api(client)
    code = _walk_to_signature(app, api)
    events = api.get("auditor", f"/dossiers/{code}/events").get_json()
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == "submitted" and events[0]["actor"] == "reception.hoankiem"
    assert events[0]["data"]["data"]["child"]["full_name"] == "Nguyễn Thị Ánh Dương"
    lookups = [e for e in events if e["type"] == "external_result"]
    assert lookups and lookups[0]["data"]["result"]["mother"]["full_name"] == "Trần Thị Bích Ngọc"
    examine = next(e for e in events if e["task"] == "officer_examine" and e["type"] == "task_completed")
    assert examine["actor"] == "officer.hoankiem" and examine["data"]["form"]["note"] == "Đủ điều kiện"
    for prev, ev in zip(events, events[1:], strict=False):
        assert ev["prev_hash"] == prev["hash"]


def test_replay_shows_the_dossier_as_it_was(app: Any, client: Any) -> None:
    api = Api(client)
    code = _walk_to_signature(app, api)
    events = api.get("auditor", f"/dossiers/{code}/events").get_json()
    accepted = next(e["seq"] for e in events if e["task"] == "reception_check")
    early = api.get("auditor", f"/dossiers/{code}/replay?upto={accepted - 1}").get_json()
    assert early["status"] == "submitted" and [t["task"] for t in early["tasks"]] == ["reception_check"]
    now = api.get("auditor", f"/dossiers/{code}/replay").get_json()
    assert now["status"] == "awaiting_signature" and [t["task"] for t in now["tasks"]] == ["chairman_sign"]
    assert {"reception_check", "officer_examine", "lookup_parties"} <= set(now["completed_elements"])


def test_tampering_with_an_event_or_the_state_is_detected(app: Any, client: Any) -> None:
    api = Api(client)
    code = _walk_to_signature(app, api)
    assert api.get("auditor", f"/dossiers/{code}/verify").get_json() == {
        "chain_ok": True,
        "replay_ok": True,
        "first_bad_seq": None,
        "problems": [],
    }
    with app.app_context():
        d = db.session.query(Dossier).filter_by(code=code).one()
        ev = db.session.query(AuditEvent).filter_by(dossier_id=d.id, task="officer_examine").one()
        forged = dict(ev.data)
        forged["form"] = {**forged["form"], "note": "sửa lại sau"}
        db.session.query(AuditEvent).filter_by(id=ev.id).update({"data": forged})
        db.session.commit()
        seq = ev.seq
        db.session.remove()
    verdict = api.get("auditor", f"/dossiers/{code}/verify").get_json()
    assert verdict["chain_ok"] is False and verdict["first_bad_seq"] == seq


def test_tampering_with_the_engine_state_fails_the_replay_check(app: Any, client: Any) -> None:
    api = Api(client)
    code = _walk_to_signature(app, api)
    with app.app_context():
        d = db.session.query(Dossier).filter_by(code=code).one()
        assert '"approve"' in d.state
        d.state = d.state.replace('"approve"', '"refuse"')
        db.session.commit()
        db.session.remove()
    verdict = api.get("auditor", f"/dossiers/{code}/verify").get_json()
    assert (verdict["chain_ok"], verdict["replay_ok"], verdict["first_bad_seq"]) == (True, False, None)
    assert [p["field"] for p in verdict["problems"]] == ["engine_state"]


def test_events_are_scoped_like_dossiers(app: Any, client: Any) -> None:
    api = Api(client)
    code = _walk_to_signature(app, api)
    assert api.get("officer.hoankiem", f"/dossiers/{code}/events").status_code == 200
    assert api.get("officer.badinh", f"/dossiers/{code}/events").status_code == 404
    assert api.get("portal", f"/dossiers/{code}/events").status_code in (403, 404)
    assert api.get("analyst", f"/dossiers/{code}/verify").status_code == 403
