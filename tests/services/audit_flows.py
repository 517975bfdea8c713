"""Shared steps of the audit proof tests: a completed birth, the verdict, and rewriting rows as an attacker
with database access would (the plain chain recomputed; with the key only when the test says so)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from app.extensions import db
from app.models import AuditEvent, AuditHead, Dossier
from app.services.audit import event_hash, event_message, head_message
from app.services.audit_keys import keyring
from app.services.jobs import run_pending
from tests.api_client import Api, birth_submission


def completed_birth(app: Any, api: Api, *, returned: bool = True) -> str:
    """A birth registered and signed; `returned`: also handed over (completed)."""
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
    if returned:
        api.complete("reception.hoankiem", code, "return_result", {"delivered_via": "counter"})
        assert api.get("auditor", f"/dossiers/{code}").get_json()["status"] == "completed"
    return code


def verdict(api: Api, code: str) -> dict[str, Any]:
    resp = api.get("auditor", f"/dossiers/{code}/verify")
    assert resp.status_code == 200, resp.get_json()
    return dict(resp.get_json())


def fields(v: dict[str, Any]) -> set[str]:
    return {p["field"] for p in v["problems"] if p["field"]}


def dossier_id(code: str) -> int:
    return int(db.session.scalars(select(Dossier.id).where(Dossier.code == code)).one())


def rewrite_event(app: Any, code: str, seq: int, *, with_key: bool = False, **changes: Any) -> None:
    """Change event `seq` and recompute the plain chain after it, the dossier's head hash and the sealed
    head's hash (and, `with_key`, every MAC too: an insider holding the audit key)."""
    with app.app_context():
        did = dossier_id(code)
        events = list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.dossier_id == did).order_by(AuditEvent.seq)
            )
        )
        ring = keyring()
        prev = events[seq - 2].hash if seq > 1 else "0" * 64
        for ev in events[seq - 1 :]:
            values = dict(changes) if ev.seq == seq else {}
            merged = {c: values.get(c, getattr(ev, c)) for c in ("at", "type", "actor", "task", "data")}
            h = event_hash(
                prev, ev.seq, merged["at"], merged["type"], merged["actor"], merged["task"], merged["data"]
            )
            values.update(prev_hash=prev, hash=h)
            if with_key:
                values["key_id"], values["mac"] = ring.mac(event_message(code, ev.seq, h))
            db.session.execute(update(AuditEvent).where(AuditEvent.id == ev.id).values(**values))
            prev = h
        db.session.execute(update(Dossier).where(Dossier.id == did).values(last_event_hash=prev))
        head = db.session.get(AuditHead, did)
        assert head is not None
        values = {"hash": prev}
        if with_key:
            values["key_id"], values["mac"] = ring.mac(head_message(code, head.seq, prev, head.state_digest))
        db.session.execute(update(AuditHead).where(AuditHead.dossier_id == did).values(**values))
        db.session.commit()
        db.session.remove()
