"""One guard for hostile input at the HTTP boundary, before any view or service sees the request.

Everything a database, a JSON encoder or the Python runtime would choke on is refused here with a clean 4xx
in the API's error shape (spec/api.md) — a NUL byte (PostgreSQL text cannot hold it), a lone surrogate (not
encodable as UTF-8), JSON nested deeper than any form (RecursionError), non-finite numbers, an oversized
`Idempotency-Key`, integers in the URL beyond what a database column holds — so a failed request changes
nothing and never becomes a 500. JSON bodies are parsed once here, NFC-normalised, and handed to the views.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Flask, g, jsonify, render_template, request
from werkzeug.routing import BaseConverter, IntegerConverter

from app.domain.text import nfc
from app.extensions import db
from app.services.errors import BadRequest, ServiceError

# Deeper than any form in forms/ (they nest three or four levels); deeper bodies are refused, not parsed on.
MAX_JSON_DEPTH = 32
MAX_IDEMPOTENCY_KEY = 200  # the dossier column's length
MAX_QUERY_VALUE = 2000
MAX_URL_INT = 2**31 - 1  # a PostgreSQL INTEGER; larger ids cannot exist, so the route does not match (404)
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_KEY_CHARS = re.compile(r"[\x21-\x7e]+")
_NO_BODY = object()
# The login counts every failure itself, hostile names included (app/services/auth.py): its text is not
# refused here, so a NUL or a lone surrogate in a name is a counted 401, not an uncounted 400.
TEXT_CHECKED_BY_VIEW = frozenset({"api.token"})


class BoundedInt(IntegerConverter):
    """`<int:...>` in routes, capped at the largest id a database column holds."""

    def __init__(
        self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = None
    ) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_URL_INT if max is None else max)


class IsoDate(BaseConverter):
    """`<isodate:...>`: a YYYY-MM-DD-shaped segment (so /audit/anchors/check is not taken for a day)."""

    regex = r"\d{4}-\d{2}-\d{2}"


def install(app: Flask) -> None:
    """Register the guard; call before the blueprints so their `<int:>` routes use the bounded converter."""
    app.url_map.converters["int"] = BoundedInt
    app.url_map.converters["isodate"] = IsoDate
    app.before_request(_guard)
    app.register_error_handler(ServiceError, _refused)


def json_body() -> Any:
    """The request's JSON body as the guard parsed it (NFC-normalised); 400 when it is not JSON."""
    body = g.get("hotich_json", _NO_BODY)
    if body is _NO_BODY:
        body = _parse_json()
        g.hotich_json = body
    if body is None:
        raise BadRequest("Nội dung yêu cầu không phải JSON hợp lệ.", code="malformed_json")
    return body


def _guard() -> None:
    if _BAD_TEXT.search(request.path):
        raise BadRequest("Địa chỉ yêu cầu chứa ký tự không hợp lệ.", code="invalid_text")
    fields: dict[str, str] = {}
    for key, value in request.args.items(multi=True):
        if _BAD_TEXT.search(key) or _BAD_TEXT.search(value):
            fields[_printable(key)] = "Tham số chứa ký tự không hợp lệ."
        elif len(value) > MAX_QUERY_VALUE:
            fields[_printable(key)] = f"Tham số dài quá {MAX_QUERY_VALUE} ký tự."
    key_header = request.headers.get("Idempotency-Key")
    if key_header is not None and (
        len(key_header) > MAX_IDEMPOTENCY_KEY or not _KEY_CHARS.fullmatch(key_header)
    ):
        fields["Idempotency-Key"] = (
            f"«Idempotency-Key» gồm 1 đến {MAX_IDEMPOTENCY_KEY} ký tự ASCII in được, không có khoảng trắng."
        )
    if fields:
        raise BadRequest("Yêu cầu có tham số không hợp lệ.", code="invalid_parameter", fields=fields)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json:
            g.hotich_json = _parse_json()
        elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            _check_form()


def _parse_json() -> Any:
    """Parse the body once: None when empty or not JSON; refuse what would break a later layer."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None
    try:
        body = json.loads(raw, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        raise BadRequest(_too_deep(), code="too_deep") from None
    except (ValueError, UnicodeDecodeError):
        return None
    _check_json(body, text=request.endpoint not in TEXT_CHECKED_BY_VIEW)
    return nfc(body)


def _check_json(body: Any, *, text: bool = True) -> None:
    """Walk the document without recursion: depth, and text (keys too) free of NUL and lone surrogates."""
    fields: dict[str, str] = {}
    stack: list[tuple[Any, str, int]] = [(body, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(_too_deep(), code="too_deep")
        if isinstance(value, str):
            if text and _BAD_TEXT.search(value):
                fields[path or "$"] = "Văn bản chứa ký tự không hợp lệ (ký tự NUL hoặc mã Unicode lẻ)."
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{_printable(key)}" if path else _printable(key)
                if text and _BAD_TEXT.search(key):
                    fields[child] = "Tên trường chứa ký tự không hợp lệ."
                stack.append((item, child, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}.{i}" if path else str(i), depth + 1) for i, item in enumerate(value))
    if fields:
        raise BadRequest("Nội dung yêu cầu chứa ký tự không hợp lệ.", code="invalid_text", fields=fields)


def _check_form() -> None:
    """Form posts (pages): the same text rules for every field value and uploaded file name."""
    fields = {
        _printable(key): "Trường chứa ký tự không hợp lệ."
        for key, value in request.form.items(multi=True)
        if _BAD_TEXT.search(key) or _BAD_TEXT.search(value)
    }
    for key, upload in request.files.items(multi=True):
        if upload.filename and _BAD_TEXT.search(upload.filename):
            fields[_printable(key)] = "Tên tệp chứa ký tự không hợp lệ."
    if fields:
        raise BadRequest("Biểu mẫu có trường chứa ký tự không hợp lệ.", code="invalid_text", fields=fields)


def _refused(exc: ServiceError) -> Any:
    """A refusal outside a blueprint's own handler (e.g. the guard on a static path)."""
    db.session.rollback()
    if request.path.startswith("/api/") or request.is_json:
        return jsonify(exc.to_dict()), exc.status
    return render_template("error.html", status=exc.status, message=exc.message), exc.status


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _too_deep() -> str:
    return f"Nội dung JSON lồng nhau quá {MAX_JSON_DEPTH} cấp."


def _printable(text: str) -> str:
    """A field name safe to echo back in the error (bad characters replaced, length bounded)."""
    return _BAD_TEXT.sub("\ufffd", text)[:100]
