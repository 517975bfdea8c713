"""Reading a posted HTML form back into the JSON data the services take."""

from __future__ import annotations

import re
from typing import Any

from app.web.forms_render.dates import parse_date, parse_datetime
from app.web.forms_render.spec import OTHER_SUFFIX, Field, FormSpec, Raw, Submission
from app.web.forms_render.values import get_path, set_path, visible

_INTEGER = re.compile(r"[+-]?\d+")


def read_submission(spec: FormSpec, form: Any) -> Submission:
    """Convert a posted form (a werkzeug MultiDict) into data; typed values are kept for re-rendering."""
    data: dict[str, Any] = {}
    raw: dict[str, Raw] = {}
    errors: dict[str, str] = {}
    for f in spec.fields:
        if f.kind == "array":
            picked = [v.strip() for v in form.getlist(f.path) if v.strip()]
            other = form.get(f.path + OTHER_SUFFIX, "")
            lines = [line.strip() for line in other.splitlines() if line.strip()]
            raw[f.path] = picked
            raw[f.path + OTHER_SUFFIX] = other
            items = list(dict.fromkeys(picked + lines))
            if items:
                set_path(data, f.path, items)
            continue
        text = form.get(f.path, "")
        text = text.strip() if isinstance(text, str) else ""
        raw[f.path] = text
        if f.kind == "boolean":
            if text:
                set_path(data, f.path, True)
            continue
        if not text:
            continue
        value, error = _convert(f, text)
        if error:
            errors[f.path] = error
        set_path(data, f.path, value)
    _drop_hidden(spec, data)
    return Submission(data, raw, errors)


def _convert(f: Field, text: str) -> tuple[Any, str | None]:
    if f.kind == "integer":
        if _INTEGER.fullmatch(text.replace(".", "").replace(" ", "")):
            return int(text.replace(".", "").replace(" ", "")), None
        return text, f"«{f.label}» phải là số nguyên."
    if f.kind == "number":
        try:
            return float(text.replace(",", ".")), None
        except ValueError:
            return text, f"«{f.label}» phải là số."
    if f.widget == "date":
        parsed = parse_date(text)
        if parsed is None:
            return text, f"«{f.label}» phải là ngày theo dạng ngày/tháng/năm, ví dụ 20/02/2026."
        return parsed.isoformat(), None
    if f.widget == "datetime":
        moment = parse_datetime(text)
        if moment is None:
            return text, f"«{f.label}» phải theo dạng ngày/tháng/năm giờ:phút, ví dụ 20/02/2026 14:30."
        return moment.isoformat(), None
    return text, None


def _drop_hidden(spec: FormSpec, data: dict[str, Any]) -> None:
    """Values of fields hidden by visible_if are not sent: the person did not see them."""
    for f in spec.fields:
        if f.visible_if and not visible(f, data):
            parent = get_path(data, f.path.rsplit(".", 1)[0]) if "." in f.path else data
            if isinstance(parent, dict):
                parent.pop(f.path.rsplit(".", 1)[-1], None)
