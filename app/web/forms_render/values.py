"""Values at dotted data paths: what the inputs show first, x-ui prefill, and visible_if."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.web.forms_render.dates import format_date, format_datetime
from app.web.forms_render.spec import Field, FormSpec, Raw


def get_path(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = node[part] = {}
        node = nxt
    node[parts[-1]] = value


def to_raw(f: Field, value: Any) -> Raw:
    """A stored value as the input shows it (ISO dates as dd/mm/yyyy)."""
    if value is None:
        return ""
    if f.kind == "array":
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if f.kind == "boolean":
        return "true" if value is True else ""
    if f.widget == "date" and isinstance(value, str):
        return format_date(value)
    if f.widget == "datetime" and isinstance(value, str):
        return format_datetime(value)
    return str(value)


def initial_values(
    spec: FormSpec,
    current: Mapping[str, Any] | None = None,
    dossier: Mapping[str, Any] | None = None,
    lookups: Mapping[str, Any] | None = None,
    commune_names: Mapping[str, str] | None = None,
) -> dict[str, Raw]:
    """What the inputs show first: the form's current value, else its x-ui prefill source (a path in the
    dossier's data or a registry record), else the schema default."""
    prefill = spec.ui.get("prefill") or {}
    out: dict[str, Raw] = {}
    for f in spec.fields:
        value = get_path(current or {}, f.path)
        if value is None and f.path in prefill:
            value = resolve_prefill(str(prefill[f.path]), dossier or {}, lookups or {}, commune_names or {})
        if value is None:
            value = f.default
        out[f.path] = to_raw(f, value)
    return out


def resolve_prefill(
    source: str, data: Mapping[str, Any], lookups: Mapping[str, Any], commune_names: Mapping[str, str]
) -> Any:
    """x-ui prefill: "a.b" is a data path; "registry:<person>.<field>" a looked-up registry record field;
    "|year" takes a date's year and "|commune_name" turns a commune code into its name."""
    expr, *filters = source.split("|")
    if expr.startswith("registry:"):
        person, _, name = expr.removeprefix("registry:").partition(".")
        record = lookups.get(person)
        value = record.get(name) if isinstance(record, Mapping) else None
    else:
        value = get_path(data, expr)
    for flt in filters:
        if value is None:
            break
        if flt == "year":
            value = str(value)[:4]
        elif flt == "commune_name":
            value = commune_names.get(str(value), value)
    return value


def visible(f: Field, data: Mapping[str, Any]) -> bool:
    """x-ui visible_if: every named field has one of the listed values (null = absent)."""
    for other, values in (f.visible_if or {}).items():
        current = get_path(data, other)
        if isinstance(current, Mapping) and not current:
            current = None
        allowed = values if isinstance(values, list) else [values]  # a bare null: "when absent"
        if current not in allowed:
            return False
    return True


def visibility(spec: FormSpec, values: Mapping[str, Raw]) -> dict[str, bool]:
    """Which fields with a visible_if are shown for these typed values (the page's first paint)."""
    data: dict[str, Any] = {}
    for f in spec.fields:
        value = values.get(f.path)
        if value not in (None, "", []):
            set_path(data, f.path, value)
    return {f.path: visible(f, data) for f in spec.fields if f.visible_if}
