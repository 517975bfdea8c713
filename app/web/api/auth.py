"""POST /auth/token."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from app.services.auth import authenticate, issue_token, user_view
from app.services.errors import Invalid
from app.web.api import api, json_body
from app.web.api.openapi import validate_request


@api.post("/auth/token")
def token() -> Any:
    validate_request()
    body = json_body()
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("username"), str)
        or not isinstance(body.get("password"), str)
    ):
        raise Invalid(
            "Thiếu tên đăng nhập hoặc mật khẩu.", fields={"username": "Bắt buộc.", "password": "Bắt buộc."}
        )
    user = authenticate(body["username"], body["password"], request.remote_addr or "?")
    value, row = issue_token(user)
    return jsonify({"token": value, "expires_at": row.expires_at.isoformat(), "user": user_view(user)})
