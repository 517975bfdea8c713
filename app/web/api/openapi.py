"""The OpenAPI 3.1 description of the JSON API (openapi.yaml next to this file) — served, and the one source
of request validation: each JSON body is checked against its operation's component schema and each query
parameter against its parameter schema, so what the document says and what the API accepts cannot differ."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask import Response, current_app, g, jsonify, render_template, request
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from app.forms.labels import collect_labels
from app.forms.messages import field_messages
from app.services.errors import BadRequest, Forbidden, Invalid
from app.web.api import api
from app.web.request_guard import json_body

DOCUMENT = Path(__file__).with_name("openapi.yaml")
_URI = "urn:hotich:openapi"
_RULE_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
_INTEGER = re.compile(r"-?[0-9]+")
_MAX_DIGITS = 18


@cache
def document() -> dict[str, Any]:
    """The description, parsed once (YAML merge keys expanded, so the JSON has every response)."""
    loaded: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    return loaded


def openapi_path(rule: str) -> str:
    """The document's path for a Flask rule: /api/v1/tasks/<task_id> -> /tasks/{task_id}."""
    return _RULE_PARAM.sub(r"{\1}", rule.removeprefix(api.url_prefix or ""))


def operation(rule: str, method: str) -> dict[str, Any] | None:
    item = document()["paths"].get(openapi_path(rule))
    return item.get(method.lower()) if item else None


def validate_request() -> None:
    """Check the current request's query parameters and JSON body against its operation."""
    rule = request.url_rule
    if rule is None:
        return
    op = operation(rule.rule, request.method)
    if op is None:  # every route has an operation (tests/web/test_openapi.py); never skip silently
        current_app.logger.error("no OpenAPI operation for %s %s", request.method, rule.rule)
        return
    roles = op.get("x-roles")
    if roles and not g.user.has_role(*roles):
        raise Forbidden("Vai trò của bạn không được thực hiện thao tác này.")
    item = document()["paths"][openapi_path(rule.rule)]
    _check_query([*item.get("parameters", []), *op.get("parameters", [])])
    body = op.get("requestBody")
    schema = ((body or {}).get("content") or {}).get("application/json", {}).get("schema")
    if schema is None:
        return
    if not request.get_data(cache=True).strip() and not body.get("required"):
        return
    ref = schema.get("$ref") or _pointer(
        "paths",
        openapi_path(rule.rule),
        request.method.lower(),
        "requestBody",
        "content",
        "application/json",
        "schema",
    )
    errors = field_messages(_validator(ref).iter_errors(json_body()), _labels(ref))
    if errors:
        fields = {path or "body": message for path, message in errors.items()}
        raise Invalid("Nội dung yêu cầu không hợp lệ.", fields=fields)


def check_response(response: Response) -> Response:
    """Tests and staging (HOTICH_OPENAPI_CHECK_RESPONSES): every API response has a documented status, content
    type and body — so every test that calls the API also checks the description against real answers."""
    rule = request.url_rule
    op = operation(rule.rule, request.method) if rule is not None else None
    if op is None or response.direct_passthrough:
        return response
    where = f"{request.method} {rule.rule if rule else request.path} → {response.status_code}"
    status = str(response.status_code)
    responses = op["responses"]
    key = status if status in responses else "default" if "default" in responses else None
    if key is None:
        raise ResponseNotDescribed(f"{where}: status not in the OpenAPI description")
    parts = ["paths", openapi_path(rule.rule), request.method.lower(), "responses", key]  # type: ignore[union-attr]
    described = _resolve(responses[key])
    if isinstance(responses[key].get("$ref"), str):
        parts = responses[key]["$ref"].removeprefix("#/").split("/")
    content = described.get("content") or {}
    if not content and response.status_code == 204:
        return response  # No Content
    if response.mimetype not in content:
        raise ResponseNotDescribed(f"{where}: {response.mimetype} not among {sorted(content)}")
    if response.mimetype == "application/json" and "schema" in content[response.mimetype]:
        ref = _pointer(*parts, "content", response.mimetype, "schema")
        errors = list(_validator(ref).iter_errors(response.get_json()))
        if errors:
            raise ResponseNotDescribed(f"{where}: {errors[0].json_path}: {errors[0].message}")
    return response


class ResponseNotDescribed(AssertionError):
    """An API response the OpenAPI document does not describe (raised only with the check switched on)."""


def _pointer(*parts: str) -> str:
    """A JSON pointer fragment into the document (RFC 6901 escaping)."""
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _check_query(parameters: list[dict[str, Any]]) -> None:
    fields: dict[str, str] = {}
    for param in parameters:
        param = _resolve(param)
        if param["in"] != "query":
            continue
        name, schema = param["name"], _resolve(param["schema"])
        title = schema.get("title") or name
        raw = request.args.get(name)
        if raw is None or raw == "":
            if param.get("required"):
                fields[name] = f"Tham số «{title}» là bắt buộc."
            continue
        value: Any = raw
        if schema.get("type") == "integer":
            if not _INTEGER.fullmatch(raw):
                fields[name] = f"Tham số «{title}» phải là số nguyên."
                continue
            if len(raw.lstrip("-")) > _MAX_DIGITS:
                fields[name] = f"Tham số «{title}» vượt quá giới hạn cho phép."
                continue
            value = int(raw)
        found = field_messages(_query_validator(schema).iter_errors(value), {name: title}, name)
        if found:
            fields[name] = next(iter(found.values()))
    if fields:
        raise BadRequest("Yêu cầu có tham số không hợp lệ.", fields=fields)


_QUERY_VALIDATORS: dict[int, tuple[dict[str, Any], Draft202012Validator]] = {}


def _query_validator(schema: dict[str, Any]) -> Draft202012Validator:
    """One validator per parameter schema of the (cached, never changed) document, not one per request."""
    kept = _QUERY_VALIDATORS.get(id(schema))
    if kept is None or kept[0] is not schema:
        kept = (schema, Draft202012Validator(schema))
        _QUERY_VALIDATORS[id(schema)] = kept
    return kept[1]


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    """A local `$ref` (#/components/...) followed; other nodes as they are."""
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    target: Any = document()
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return _resolve(target)


@cache
def _registry() -> Registry[Any]:
    # OpenAPI 3.1 schemas are JSON Schema 2020-12: the whole document is one resource, refs resolve in it
    return Registry().with_resource(_URI, DRAFT202012.create_resource(document()))


@cache
def _validator(ref: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": _URI + ref}, registry=_registry(), format_checker=FormatChecker())


@cache
def _labels(ref: str) -> dict[str, str]:
    """{field path: its title} of a body schema, so messages name fields as people read them."""
    resolved = _registry().resolver(_URI).lookup(_URI + ref)
    return collect_labels(resolved.contents, resolved.resolver)


@api.after_request
def _check_described(response: Response) -> Response:
    return check_response(response) if current_app.config.get("HOTICH_OPENAPI_CHECK_RESPONSES") else response


@api.get("/openapi.json")
def openapi_document() -> Response:
    # the server is where this copy is served: /api/v1, or /training/api/v1 in the training space
    return jsonify({**document(), "servers": [{"url": request.script_root + "/api/v1"}]})


@api.get("/docs")
def openapi_docs() -> str:
    """Swagger UI from the vendor folder (npm swagger-ui-dist, copied by the Makefile) — no CDN."""
    return render_template("api_docs.html")
