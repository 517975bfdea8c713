"""POST /feedback: citizens' feedback from the portal (no login: token-less, never reads a session cookie,
rate-limited per address); GET /feedback: the department's and analysts' compilation (masked)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from app.services import feedback as svc
from app.web.api import api, authenticated, current_user, json_body
from app.web.api.openapi import validate_request


@api.post("/feedback")
def feedback_submit() -> Any:
    validate_request()  # no login here, so the body schema is checked without `authenticated`
    feedback_id = svc.submit(json_body(), request.remote_addr or "?", "portal")
    return jsonify({"id": feedback_id}), 201


@api.get("/feedback")
@authenticated
def feedback_compiled() -> Any:
    filters = {
        k: request.args.get(k) for k in ("procedure", "commune_code", "category", "element_id", "from", "to")
    }
    return jsonify(svc.compile_feedback(current_user(), filters))
