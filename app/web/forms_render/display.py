"""Service errors placed at their fields, and stored data shown read-only, laid out like the form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.web.forms_render.dates import format_date, format_datetime
from app.web.forms_render.spec import Field, FormSpec
from app.web.forms_render.values import get_path


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
