"""Audit reads: events, replay, verify."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from app.services import replay as svc
from app.services.dossiers import get_dossier
from app.web.api import api, authenticated, current_user
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
