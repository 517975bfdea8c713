"""Dossier endpoints."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from app.services import dossiers as svc
from app.services.documents import render_document
from app.web.api import api, authenticated, current_user, json_body
from app.web.read_log import records_read


@api.post("/dossiers")
@authenticated
def dossier_submit() -> Any:
    dossier, created = svc.submit_dossier(current_user(), json_body(), request.headers.get("Idempotency-Key"))
    body = {**svc.summary_view(dossier), "instance_id": dossier.id}
    return jsonify(body), 201 if created else 200


@api.get("/dossiers")
@authenticated
def dossier_index() -> Any:
    page = request.args.get("page", "1")
    return jsonify(
        svc.list_dossiers(
            current_user(),
            request.args.get("procedure") or None,
            request.args.get("status") or None,
            int(page) if page.isdigit() else 1,
            request.args.get("after") or None,
        )
    )


@api.get("/dossiers/<code>")
@authenticated
@records_read("api.dossier")
def dossier_show(code: str) -> Any:
    user = current_user()
    return jsonify(svc.dossier_view(svc.get_dossier(user, code), user))


@api.post("/dossiers/<code>/supplement")
@authenticated
def dossier_supplement(code: str) -> Any:
    d = svc.supplement(current_user(), code, json_body())
    return jsonify(svc.summary_view(d))


@api.post("/dossiers/<code>/confirm-draft")
@authenticated
def dossier_confirm_draft(code: str) -> Any:
    d = svc.confirm_draft(current_user(), code, json_body())
    return jsonify(svc.summary_view(d))


@api.get("/dossiers/<code>/documents")
@authenticated
def dossier_documents(code: str) -> Any:
    return jsonify(svc.list_documents(current_user(), code))


@api.get("/dossiers/<code>/documents/<name>")
@authenticated
@records_read("api.document")
def dossier_document(code: str, name: str) -> Any:
    doc = svc.get_document(current_user(), code, name)
    return Response(
        render_document(doc),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{doc.name}.pdf"'},
    )


@api.post("/dossiers/<code>/withdraw")
@authenticated
def dossier_withdraw(code: str) -> Any:
    d = svc.withdraw(current_user(), code, json_body() if request.data else {})
    return jsonify(svc.summary_view(d))


@api.post("/dossiers/<code>/verification-reply")
@authenticated
def dossier_verification_reply(code: str) -> Any:
    d = svc.verification_reply(current_user(), code, json_body())
    return jsonify(svc.summary_view(d))
