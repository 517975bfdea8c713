"""The JSON API of spec/api.md: bearer tokens, the error shape, one module per area."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app.extensions import csrf, db
from app.models import User
from app.services.auth import user_for_token
from app.services.errors import ServiceError, Unauthorized
from app.web.request_guard import json_body as json_body  # the views read bodies through the guard

api = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api)  # API calls authenticate with a bearer token, not a cookie: no CSRF exposure

F = TypeVar("F", bound=Callable[..., Any])
HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    404: "Không tìm thấy địa chỉ này trong API.",
    405: "Địa chỉ này không nhận phương thức yêu cầu đó.",
}


def authenticated(fn: F) -> F:
    """Require `Authorization: Bearer <token>`; the user is in g.user."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        user = user_for_token(header[7:].strip()) if header.lower().startswith("bearer ") else None
        if user is None:
            raise Unauthorized("Thiếu hoặc sai mã truy cập (Bearer token).")
        g.user = user
        validate_request()  # after authentication: an anonymous caller learns nothing from a 422
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def current_user() -> User:
    user: User = g.user
    return user


@api.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> tuple[Response, int]:
    db.session.rollback()
    resp = jsonify(exc.to_dict())
    resp.headers.update(exc.headers)
    return resp, exc.status


@api.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[Response, int]:
    db.session.rollback()
    status = exc.code or 500
    if isinstance(exc, RequestEntityTooLarge):
        return jsonify(
            {"error": {"code": "too_large", "message": "Yêu cầu vượt quá dung lượng cho phép."}}
        ), 413
    codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
    message = HTTP_MESSAGES.get(status) or exc.description or ""
    response = jsonify({"error": {"code": codes.get(status, "http_error"), "message": message}})
    allowed = getattr(exc, "valid_methods", None)
    if allowed:  # RFC 9110: a 405 lists what the resource does allow
        response.headers["Allow"] = ", ".join(allowed)
    return response, status


@api.errorhandler(Exception)
def _unexpected(exc: Exception) -> tuple[Response, int]:
    """Anything unexpected: nothing of the request is kept, and the client gets the error shape."""
    db.session.rollback()
    current_app.logger.exception("unhandled error in API request")
    body = {"error": {"code": "internal_error", "message": "Lỗi hệ thống, thao tác chưa được thực hiện."}}
    return jsonify(body), 500


from app.web.api import (  # noqa: E402,F401
    audit,
    audit_desk,
    auth,
    calendar,
    dossiers,
    feedback,
    openapi,
    processes,
    registers,
    registry,
    statistics,
    tasks,
)
from app.web.api.openapi import validate_request  # noqa: E402
