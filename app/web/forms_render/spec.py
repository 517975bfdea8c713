"""What the renderer produces: the fields and blocks of a form, and a posted form read back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

OTHER_SUFFIX = ":other"  # the free-text part of a "tick suggestions or type your own" list

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
