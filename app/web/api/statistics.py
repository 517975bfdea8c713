"""Statistics endpoints: the QĐ 766 counters per commune and period, and the periodic report as PDF/XLSX."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from app.services import statistics as svc
from app.web.api import api, authenticated, current_user


@api.get("/statistics")
@authenticated
def statistics_show() -> Any:
    args = request.args
    return jsonify(svc.compute(current_user(), args.get("commune_code"), args.get("from"), args.get("to")))
