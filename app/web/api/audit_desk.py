"""The auditors' desk in the API: reads of personal data (per dossier, per user), the auditor search and the
process heat map (api.md conventions: bearer token, the error shape)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from app.services import audit_reports
from app.services import personal_data as reads_svc
from app.services.dossiers import get_dossier
from app.services.errors import BadRequest
from app.services.statistics import parse_period
from app.web.api import api, authenticated, current_user


@api.get("/dossiers/<code>/reads")
@authenticated
def dossier_reads(code: str) -> Any:
    """Who read this dossier's personal data, when, through which view (auditors)."""
    user = current_user()
    return jsonify(reads_svc.reads_of_dossier(user, get_dossier(user, code)))


@api.get("/audit/reads")
@authenticated
def user_reads() -> Any:
    """Every recorded read by one user (`?user=<username>`) of the dossiers in the auditor's scope."""
    username = (request.args.get("user") or "").strip()
    if not username:
        raise BadRequest("Thiếu tên đăng nhập cần xem.", fields={"user": "«Người dùng» là bắt buộc."})
    return jsonify(reads_svc.reads_by_user(current_user(), username[:80]))


@api.get("/audit/dossiers")
@authenticated
def audit_search() -> Any:
    """The auditor search: `commune`, `procedure`, `from`, `to`, `official`, `timeliness`, `refused`,
    `reason`."""
    return jsonify(audit_reports.search(current_user(), audit_reports.parse_filter(request.args)))


@api.get("/processes/<key>/<int:version>/heat")
@authenticated
def process_heat(key: str, version: int) -> Any:
    """Per BPMN element: dossiers passed, passes, median wait (office minutes), late passes, share late."""
    period = parse_period(request.args.get("from"), request.args.get("to"))
    commune = (request.args.get("commune") or "").strip() or None
    heat = audit_reports.process_heat(current_user(), key, version, period, commune)
    return jsonify({"from": period.start.isoformat(), "to": period.end.isoformat(), "elements": heat})
