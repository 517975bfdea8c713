"""Building a form's fields from its JSON Schema and "x-ui" hints: labels, widgets, options, order, blocks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from app.forms import FormRegistry
from app.web.forms_render.schema_tree import is_container, resolved_schema, schema_types
from app.web.forms_render.spec import Field, FormSpec, Group

_MAX_DEPTH = 30
_RADIO_UP_TO = 3  # enums without a widget: radios up to this many options, else a select
_DEVELOPER_TEXT = re.compile(r"«[a-z][a-z0-9_]*»")


def build_form(forms: FormRegistry, procedure_key: str, form_name: str) -> FormSpec:
    """The fields of forms/<procedure_key>/<form_name>.json, in x-ui order (unlisted fields last)."""
    return _build_cached(forms, procedure_key, form_name)


@lru_cache(maxsize=64)
def _build_cached(forms: FormRegistry, procedure_key: str, form_name: str) -> FormSpec:
    tree = resolved_schema(forms, procedure_key, form_name)
    ui = forms.ui(procedure_key, form_name)
    leaves: dict[str, Field] = {}
    containers: dict[str, str] = {}
    _walk(tree, "", True, ui, leaves, containers, 0)
    order = [p for p in ui.get("order") or [] if p in leaves]
    order += [p for p in leaves if p not in order]
    fields = [leaves[p] for p in order]
    groups: list[Group] = []
    for f in fields:
        if not groups or groups[-1].path != f.group:
            node = _node_at(tree, f.group) if f.group else None
            groups.append(
                Group(
                    f.group,
                    containers.get(f.group) if f.group else None,
                    help_for_people(node.get("description")) if node else None,
                    [],
                )
            )
        groups[-1].fields.append(f)
    return FormSpec(
        title=str(tree.get("title") or ""),
        description=tree.get("description"),
        fields=fields,
        groups=groups,
        ui=ui,
        containers=containers,
    )


def _node_at(tree: Mapping[str, Any], path: str) -> Mapping[str, Any] | None:
    node: Any = tree
    for part in path.split("."):
        node = (node.get("properties") or {}).get(part) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else None


def _walk(
    node: Mapping[str, Any],
    path: str,
    required: bool,
    ui: Mapping[str, Any],
    leaves: dict[str, Field],
    containers: dict[str, str],
    depth: int,
) -> None:
    if depth > _MAX_DEPTH:
        return
    needed = set(node.get("required") or [])
    for name, sub in (node.get("properties") or {}).items():
        if not isinstance(sub, Mapping):
            continue
        child = f"{path}.{name}" if path else name
        if is_container(sub):
            containers[child] = str(sub.get("title") or name)
            _walk(sub, child, required and name in needed, ui, leaves, containers, depth + 1)
            continue
        made = _leaf(sub, child, required and name in needed, ui)
        if made is not None:
            made.group = path.split(".")[0] if path else ""
            leaves[child] = made


def _leaf(node: Mapping[str, Any], path: str, required: bool, ui: Mapping[str, Any]) -> Field | None:
    types = [t for t in schema_types(node) if t != "null"] or ["string"]
    kind = types[0]
    if kind == "array":
        items: Mapping[str, Any] = node["items"] if isinstance(node.get("items"), Mapping) else {}
        if schema_types(items)[0] != "string" or is_container(items):
            return None  # arrays of objects (attachments) have their own widget
    elif kind == "object":
        return None
    widget = _widget(node, path, kind, ui)
    enum = node.get("enum") if isinstance(node.get("enum"), list) else None
    if enum is None and kind == "array":
        items = node.get("items") or {}
        enum = items.get("enum") if isinstance(items.get("enum"), list) else None
    labels: Mapping[str, Any] = (
        node["x-enum-labels"] if isinstance(node.get("x-enum-labels"), Mapping) else {}
    )
    options = [(str(v), str(labels.get(v, v))) for v in enum or [] if v is not None]
    if widget == "province-select":
        options = _provinces()
    elif widget == "commune-select":
        options = _communes()
    return Field(
        path=path,
        label=str(node.get("title") or path.rsplit(".", 1)[-1]),
        help=_help(node.get("description"), widget),
        widget=widget,
        kind=kind,
        required=required,
        options=options,
        suggestions=[str(s) for s in (ui.get("suggestions") or {}).get(path, [])],
        visible_if=(ui.get("visible_if") or {}).get(path),
        max_length=node.get("maxLength") or (node.get("items") or {}).get("maxLength"),
        default=node.get("default") if required else None,  # a default alone must not create a block
        format=node.get("format") if isinstance(node.get("format"), str) else None,
    )


def help_for_people(text: Any) -> str | None:
    """A description as help for the person filling the form: texts written for developers (naming a JSON
    key such as «relationship», or "(null)") are not shown."""
    if not isinstance(text, str) or _DEVELOPER_TEXT.search(text):
        return None
    return text.replace(" (null)", "")


def _help(text: Any, widget: str) -> str | None:
    shown = help_for_people(text)
    if widget in ("date", "datetime") and shown and re.search(r"YYYY|ISO 8601", shown):
        return None  # the input's own format hint replaces "YYYY-MM-DD"
    return shown


def _widget(node: Mapping[str, Any], path: str, kind: str, ui: Mapping[str, Any]) -> str:
    widgets = ui.get("widgets") or {}
    chosen = widgets.get(path)
    if chosen is None:
        generic = re.sub(r"\.\d+(?=\.|$)", ".*", path)
        chosen = widgets.get(generic)
    if kind == "array":
        return "checkboxes" if chosen == "checkbox" else "lines"
    if chosen:
        return str(chosen)
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if node.get("format") == "date":
        return "date"
    if node.get("format") == "date-time":
        return "datetime"
    if isinstance(node.get("enum"), list):
        return "radio" if len(node["enum"]) <= _RADIO_UP_TO else "select"
    return "text"


@lru_cache(maxsize=1)
def _provinces() -> list[tuple[str, str]]:
    from vietnam_provinces import Province

    return sorted(((p.name, p.name) for p in Province.iter_all()), key=lambda o: o[1])


@lru_cache(maxsize=1)
def _communes() -> list[tuple[str, str]]:
    from vietnam_provinces import Province, Ward

    provinces = {int(p.code): p.name for p in Province.iter_all()}
    return [
        (f"{int(w.code):05d}", f"{w.name}, {provinces.get(int(w.province_code), '')}")
        for w in Ward.iter_all()
    ]
