"""Statistics endpoints: the QĐ 766 counters per commune and period, the dossiers behind a number, and the
periodic report as JSON, PDF or XLSX."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from app.models import User
from app.services import statistics as svc
from app.services.errors import BadRequest
from app.web.api import api, authenticated, current_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@api.get("/statistics")
@authenticated
def statistics_show() -> Any:
    args = request.args
    return jsonify(svc.compute(current_user(), args.get("commune_code"), args.get("from"), args.get("to")))


@api.get("/statistics/drilldown")
@authenticated
def statistics_drilldown() -> Any:
    args = request.args
    items = svc.drilldown(
        current_user(),
        args.get("commune_code"),
        args.get("from"),
        args.get("to"),
        args.get("measure", ""),
        args.get("procedure") or None,
    )
    return jsonify({"measure": args.get("measure"), "items": items, "total": len(items)})


def report_response(user: User, args: Any) -> Response:
    """The report for `period` (YYYY-MM, YYYY-Qn, YYYY) or `from`/`to`, in `format` json|pdf|xlsx."""
    from app.documents.statistics_report import render_report_pdf, render_report_xlsx

    fmt = args.get("format", "json")
    if fmt not in ("json", "pdf", "xlsx"):
        raise BadRequest(
            "Định dạng báo cáo không hợp lệ.",
            code="validation_failed",
            fields={"format": "Định dạng phải là json, pdf hoặc xlsx."},
        )
    start, end = (
        svc.named_period(args["period"]) if args.get("period") else (args.get("from"), args.get("to"))
    )
    body = svc.report(user, args.get("commune_code"), start, end)
    if fmt == "json":
        return jsonify(body)
    name = f"bao_cao_thong_ke_{body['from']}_{body['to']}.{fmt}"
    content, mimetype = (
        (render_report_pdf(body), "application/pdf") if fmt == "pdf" else (render_report_xlsx(body), XLSX)
    )
    return Response(
        content,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@api.get("/statistics/report")
@authenticated
def statistics_report() -> Any:
    return report_response(current_user(), request.args)
