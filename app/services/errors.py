"""Errors a service raises; the web layer turns them into the API's error shape and status."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        rules: list[str] | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.rules = rules or []
        self.extra = extra or {}
        self.headers: dict[str, str] = {}  # e.g. Retry-After of a 429
        if code:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        if self.rules:
            body["rules"] = self.rules
        body.update(self.extra)
        return {"error": body}


class BadRequest(ServiceError):
    status, code = 400, "bad_request"


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class TooLarge(ServiceError):
    status, code = 413, "too_large"


class Invalid(ServiceError):
    status, code = 422, "validation_failed"


class RateLimited(ServiceError):
    status, code = 429, "rate_limited"


class PreconditionRequired(ServiceError):
    status, code = 428, "precondition_required"
