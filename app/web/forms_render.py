"""One generic form renderer: walk a form's JSON Schema + "x-ui" into fields, read a posted form back.

The page shows what the schema says (titles, descriptions, enums with "x-enum-labels", widgets, order,
visible_if, suggestions), so an analyst who adds a field to forms/<procedure>/<form>.json sees it rendered
without code changes. Dates are typed as dd/mm/yyyy and converted to YYYY-MM-DD here; what was typed is kept
as it was, so a rejected submission re-renders exactly what the person entered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any
from urllib.parse import urldefrag, urljoin

from app.domain.calendar import LOCAL_TZ
from app.forms import BASE_URI, FormRegistry

OTHER_SUFFIX = ":other"  # the free-text part of a "tick suggestions or type your own" list
_MAX_DEPTH = 30
_DATE_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIME = re.compile(r"(\d{1,2})[:hg](\d{2})")
_INTEGER = re.compile(r"[+-]?\d+")
_RADIO_UP_TO = 3  # enums without a widget: radios up to this many options, else a select
_DEVELOPER_TEXT = re.compile(r"«[a-z][a-z0-9_]*»")

Raw = str | list[str]


@dataclass
class Field:
    """One input of the form, at a dotted data path ("child.birth_date")."""

    path: str
    label: str
    help: str | None
    widget: str
    kind: str  # string | integer | number | boolean | array
    required: bool
    options: list[tuple[str, str]] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    visible_if: dict[str, Any] | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    default: Any = None
    format: str | None = None
    group: str = ""

    @property
    def id(self) -> str:
        return field_id(self.path)

    @property
    def option_labels(self) -> dict[str, str]:
        return dict(self.options)


@dataclass
class Group:
    """Consecutive fields of one block ("child", "mother", …); a top-level block has no title."""

    path: str
    title: str | None
    help: str | None
    fields: list[Field]


@dataclass
class FormSpec:
    title: str
    description: str | None
    fields: list[Field]
    groups: list[Group]
    ui: dict[str, Any]
    containers: dict[str, str]  # block path -> its title

    def field(self, path: str) -> Field | None:
        return next((f for f in self.fields if f.path == path), None)


@dataclass
class Submission:
    """A posted form read back: the data for the service, what was typed, and conversion errors."""

    data: dict[str, Any]
    raw: dict[str, Raw]
    errors: dict[str, str]


def field_id(path: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", path)


# -- schema resolution -----------------------------------------------------------------------------------
class _Resolver:
    """Resolves "$ref"s through the FormRegistry's public schema() (every file is one registry form)."""

    def __init__(self, forms: FormRegistry) -> None:
        self.forms = forms

    def document(self, uri: str) -> dict[str, Any]:
        if not uri.startswith(BASE_URI):
            raise KeyError(uri)
        folder, _, name = uri.removeprefix(BASE_URI).removesuffix(".json").partition("/")
        return self.forms.schema(folder, name)

    def lookup(self, ref: str, base: str) -> tuple[Any, str]:
        uri, fragment = urldefrag(urljoin(base, ref))
        node: Any = self.document(uri)
        for part in [p for p in fragment.split("/") if p]:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, uri

    def tree(self, node: Any, base: str, depth: int = 0) -> Any:
        """The schema with every $ref replaced by its target; keywords at the use site win."""
        if not isinstance(node, Mapping) or depth > _MAX_DEPTH:
            return node
        out: dict[str, Any] = {}
        if isinstance(node.get("$ref"), str):
            target, target_base = self.lookup(node["$ref"], base)
            out = self.tree(target, target_base, depth + 1)
        for key, value in node.items():
            if key in ("$ref", "$defs", "$id", "$schema"):
                continue
            if key == "properties" and isinstance(value, Mapping):
                props = dict(out.get("properties") or {})
                for name, sub in value.items():
                    props[name] = _merge(props.get(name), self.tree(sub, base, depth + 1))
                out["properties"] = props
            elif key in ("items", "if", "then", "else"):
                out[key] = _merge(out.get(key), self.tree(value, base, depth + 1))
            elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
                out[key] = [self.tree(v, base, depth + 1) for v in value]
            else:
                out[key] = value
        return out


def _merge(a: Any, b: Any) -> Any:
    if not isinstance(a, Mapping) or not isinstance(b, Mapping):
        return b if b is not None else a
    out = dict(a)
    for key, value in b.items():
        if key == "properties" and isinstance(out.get(key), Mapping):
            props = dict(out[key])
            for name, sub in value.items():
                props[name] = _merge(props.get(name), sub)
            out[key] = props
        else:
            out[key] = value
    return out


def _types(node: Mapping[str, Any]) -> list[str]:
    value = node.get("type")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    if "properties" in node:
        return ["object"]
    return ["string"]


def _is_container(node: Mapping[str, Any]) -> bool:
    return "object" in _types(node) and isinstance(node.get("properties"), Mapping)


# -- building the form -----------------------------------------------------------------------------------
def build_form(forms: FormRegistry, procedure_key: str, form_name: str) -> FormSpec:
    """The fields of forms/<procedure_key>/<form_name>.json, in x-ui order (unlisted fields last)."""
    return _build_cached(forms, procedure_key, form_name)


@lru_cache(maxsize=64)
def _build_cached(forms: FormRegistry, procedure_key: str, form_name: str) -> FormSpec:
    schema = forms.schema(procedure_key, form_name)
    resolver = _Resolver(forms)
    tree = resolver.tree(schema, schema["$id"])
    ui = dict(schema.get("x-ui") or {})
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
        if _is_container(sub):
            containers[child] = str(sub.get("title") or name)
            _walk(sub, child, required and name in needed, ui, leaves, containers, depth + 1)
            continue
        made = _leaf(sub, child, required and name in needed, ui)
        if made is not None:
            made.group = path.split(".")[0] if path else ""
            leaves[child] = made


def _leaf(node: Mapping[str, Any], path: str, required: bool, ui: Mapping[str, Any]) -> Field | None:
    types = [t for t in _types(node) if t != "null"] or ["string"]
    kind = types[0]
    if kind == "array":
        items: Mapping[str, Any] = node["items"] if isinstance(node.get("items"), Mapping) else {}
        if _types(items)[0] != "string" or _is_container(items):
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
        minimum=node.get("minimum"),
        maximum=node.get("maximum"),
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


# -- values ----------------------------------------------------------------------------------------------
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


def format_date(value: str) -> str:
    m = _DATE_ISO.match(value)
    return f"{m.group(3)}/{m.group(2)}/{m.group(1)}" if m else value


def format_datetime(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL_TZ)
    return moment.strftime("%d/%m/%Y %H:%M")


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


# -- reading a posted form -------------------------------------------------------------------------------
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


def parse_date(text: str) -> date | None:
    """dd/mm/yyyy (also with . or -), or YYYY-MM-DD; None when it is not a real date."""
    text = text.strip()
    m = _DATE_DMY.fullmatch(text)
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        m = _DATE_ISO.fullmatch(text)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) == 8 and digits == text:
        return parse_date(f"{digits[:2]}/{digits[2:4]}/{digits[4:]}")
    return None


def parse_datetime(text: str) -> datetime | None:
    """ "dd/mm/yyyy hh:mm" (or "hh:mm dd/mm/yyyy") in Hà Nội time, as an aware datetime."""
    parts = text.replace(",", " ").split()
    day: date | None = None
    clock: time | None = None
    for part in parts:
        m = _TIME.fullmatch(part)
        if m and 0 <= int(m.group(1)) < 24 and 0 <= int(m.group(2)) < 60:
            clock = time(int(m.group(1)), int(m.group(2)))
        elif day is None:
            day = parse_date(part)
    if day is None or clock is None or len(parts) != 2:
        return None
    return datetime.combine(day, clock, LOCAL_TZ)


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


def _drop_hidden(spec: FormSpec, data: dict[str, Any]) -> None:
    """Values of fields hidden by visible_if are not sent: the person did not see them."""
    for f in spec.fields:
        if f.visible_if and not visible(f, data):
            parent = get_path(data, f.path.rsplit(".", 1)[0]) if "." in f.path else data
            if isinstance(parent, dict):
                parent.pop(f.path.rsplit(".", 1)[-1], None)


# -- errors and read-only display ------------------------------------------------------------------------
def place_errors(spec: FormSpec, errors: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Put each service error at its field ("missing.0" → "missing"; a block's error at its first field);
    what belongs to no field is returned as general messages."""
    at_field: dict[str, str] = {}
    general: list[str] = []
    paths = [f.path for f in spec.fields]
    for key, message in errors.items():
        target = next(
            (p for p in sorted(paths, key=len, reverse=True) if key == p or key.startswith(p + ".")), None
        )
        if target is None:
            target = next((p for p in paths if p.startswith(key + ".")), None) if key else None
        if target is None:
            general.append(message)
        else:
            at_field.setdefault(target, message)
    return at_field, general


def display_value(f: Field | None, value: Any) -> str:
    """A stored value as a person reads it: enum labels, dd/mm/yyyy dates, Có/Không."""
    if value is None or value == "":
        return ""
    if isinstance(value, list):
        return "; ".join(display_value(f, v) for v in value)
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if f is not None:
        labels = f.option_labels
        if str(value) in labels and f.widget not in ("commune-select",):
            return labels[str(value)]
        if f.widget == "commune-select":
            return labels.get(str(value), str(value))
        if f.widget == "date" and isinstance(value, str):
            return format_date(value)
        if f.widget == "datetime" and isinstance(value, str):
            return format_datetime(value)
    return str(value)


@dataclass
class ReadRow:
    path: str
    label: str
    value: str


@dataclass
class ReadGroup:
    title: str | None
    rows: list[ReadRow]


def read_only(spec: FormSpec, data: Mapping[str, Any]) -> list[ReadGroup]:
    """The data laid out like the form: one group per block, only the fields that have a value."""
    out: list[ReadGroup] = []
    for group in spec.groups:
        rows = [
            ReadRow(f.path, f.label, display_value(f, get_path(data, f.path)))
            for f in group.fields
            if get_path(data, f.path) not in (None, "", [])
        ]
        if group.path and get_path(data, group.path) is None and group.path in data:
            rows = [ReadRow(group.path, group.title or group.path, "Không khai (chưa xác định)")]
        if rows:
            if out and out[-1].title == group.title:
                out[-1].rows.extend(rows)
            else:
                out.append(ReadGroup(group.title, rows))
    return out
