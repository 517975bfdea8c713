"""The proof covers what people see: replay at any seq, forged rows and documents, a deleted event."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from app.extensions import db
from app.models import AuditEvent, Document, Dossier
from app.services.jobs import run_pending
from tests.api_client import Api, birth_submission


def _completed_birth(app: Any, api: Api) -> str:
    code = str(api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"])
    with app.app_context():
        run_pending()
        db.session.remove()
    api.complete("reception.hoankiem", code, "reception_check", {"decision": "accept"})
    api.complete("officer.hoankiem", code, "officer_examine", {"decision": "approve"})
    api.complete("chairman.hoankiem", code, "chairman_sign", {"decision": "sign", "signer_title": "chu_tich"})
    with app.app_context():
        run_pending()
        db.session.remove()
    api.complete("reception.hoankiem", code, "return_result", {"delivered_via": "counter"})
    assert api.get("auditor", f"/dossiers/{code}").get_json()["status"] == "completed"
    return code


def _verdict(api: Api, code: str) -> dict[str, Any]:
    return dict(api.get("auditor", f"/dossiers/{code}/verify").get_json())


def test_replay_answers_at_every_seq_of_a_completed_birth(app: Any, client: Any) -> None:
    api = Api(client)
    code = _completed_birth(app, api)
    events = api.get("auditor", f"/dossiers/{code}/events").get_json()
    assert any(e["type"] == "internal_result" for e in events)
    for ev in events:
        resp = api.get("auditor", f"/dossiers/{code}/replay?upto={ev['seq']}")
        assert resp.status_code == 200, (ev, resp.get_json())
        body = resp.get_json()
        assert body["status"] and body["state_seq"] >= ev["seq"]
        if ev["type"] == "internal_result":  # the state after the command that produced it
            assert events[body["state_seq"] - 1]["type"] == "internal_result"
    last = api.get("auditor", f"/dossiers/{code}/replay?upto={len(events)}").get_json()
    assert last["status"] == "completed"


def _forge(app: Any, code: str, **values: Any) -> None:
    with app.app_context():
        db.session.query(Dossier).filter_by(code=code).update(values)
        db.session.commit()
        db.session.remove()


def test_a_forged_name_or_status_fails_the_replay_check(app: Any, client: Any) -> None:
    api = Api(client)
    code = _completed_birth(app, api)
    assert _verdict(api, code) == {
        "chain_ok": True,
        "replay_ok": True,
        "first_bad_seq": None,
        "problems": [],
    }
    with app.app_context():
        data = dict(db.session.query(Dossier).filter_by(code=code).one().data)
    data["child"] = {**data["child"], "full_name": "Lê Văn Giả"}
    _forge(app, code, data=data)
    assert _verdict(api, code)["replay_ok"] is False


def test_a_forged_status_fails_the_replay_check(app: Any, client: Any) -> None:
    api = Api(client)
    code = _completed_birth(app, api)
    _forge(app, code, status="refused")
    verdict = _verdict(api, code)
    assert (verdict["chain_ok"], verdict["replay_ok"], verdict["first_bad_seq"]) == (True, False, None)
    assert {"status"} <= {p["field"] for p in verdict["problems"]}


def test_a_forged_document_is_refused_by_the_qr_page_and_the_pdf(app: Any, client: Any) -> None:
    api = Api(client)
    code = _completed_birth(app, api)
    with app.app_context():
        d = db.session.query(Dossier).filter_by(code=code).one()
        doc = db.session.query(Document).filter_by(dossier_id=d.id, name="giay_khai_sinh").one()
        token = doc.verify_token
        assert client.get(f"/verify/{token}").get_data(as_text=True).count("Giấy tờ hợp lệ") == 1
        ctx = dict(doc.context)
        ctx["dossier_code"] = "GIẢ-MẠO"
        db.session.query(Document).filter_by(id=doc.id).update({"context": ctx})
        db.session.commit()
        db.session.remove()
    page = client.get(f"/verify/{token}").get_data(as_text=True)
    assert "Giấy tờ không hợp lệ" in page and "Giấy tờ hợp lệ" not in page
    pdf = api.get("reception.hoankiem", f"/dossiers/{code}/documents/giay_khai_sinh")
    assert pdf.status_code == 409 and pdf.get_json()["error"]["code"] == "document_tampered"
    assert _verdict(api, code)["replay_ok"] is False


def test_a_deleted_middle_event_is_named_by_its_own_seq(app: Any, client: Any) -> None:
    api = Api(client)
    code = _completed_birth(app, api)
    with app.app_context():
        d = db.session.query(Dossier).filter_by(code=code).one()
        db.session.execute(delete(AuditEvent).where(AuditEvent.dossier_id == d.id, AuditEvent.seq == 5))
        db.session.commit()
        db.session.remove()
    verdict = _verdict(api, code)
    assert verdict["chain_ok"] is False and verdict["first_bad_seq"] == 5
