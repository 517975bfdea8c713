"""Audit reads: events, replay, verify, the proof bundle, and the daily anchors."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, jsonify, request

from app.services import audit_anchor
from app.services import replay as svc
from app.services.audit_bundle import export_history
from app.services.dossiers import get_dossier
from app.web.api import api, authenticated, current_user, json_body
from app.web.read_log import records_read


@api.get("/dossiers/<code>/events")
@authenticated
@records_read("api.events")
def audit_events(code: str) -> Any:
    user = current_user()
    return jsonify(svc.list_events(user, get_dossier(user, code)))


@api.get("/dossiers/<code>/replay")
@authenticated
@records_read("api.replay")
def audit_replay(code: str) -> Any:
    user = current_user()
    upto = request.args.get("upto")
    return jsonify(svc.replay(user, get_dossier(user, code), int(upto) if upto and upto.isdigit() else None))


@api.get("/dossiers/<code>/verify")
@authenticated
def audit_verify(code: str) -> Any:
    user = current_user()
    return jsonify(svc.verify(user, get_dossier(user, code)))


def _attachment(body: Any, filename: str) -> Response:
    text = json.dumps(body, ensure_ascii=False, indent=1)
    return Response(
        text,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@api.get("/dossiers/<code>/history")
@authenticated
@records_read("api.history")
def audit_history(code: str) -> Any:
    """The proof bundle (`flask verify-bundle FILE` re-executes it offline)."""
    user = current_user()
    bundle = export_history(user, get_dossier(user, code))
    return _attachment(bundle, f"lich-su-{bundle['dossier']['code']}.json")


@api.get("/audit/anchors")
@authenticated
def audit_anchors() -> Any:
    return jsonify(audit_anchor.list_anchors(current_user()))


@api.get("/audit/anchors/<isodate:day>")
@authenticated
def audit_anchor_file(day: str) -> Any:
    anchor = audit_anchor.anchor_file(current_user(), day)
    return _attachment(anchor, f"moc-neo-{anchor['day']}.json")


@api.post("/audit/anchors/check")
@authenticated
def audit_anchor_check() -> Any:
    """Check a kept anchor file (the request body) against the database now; nothing is written."""
    return jsonify(audit_anchor.check_anchor_as(current_user(), json_body()))
