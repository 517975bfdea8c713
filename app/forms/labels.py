"""Field titles of a form schema, by dotted path, following $ref, allOf/anyOf/oneOf and if/then/else."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.forms.payload import join_path

if TYPE_CHECKING:
    from referencing._core import Resolver  # not re-exported by the package; needed for annotations only

ITEM = "*"  # path segment standing for "any array index" in label paths: "attachments.*.kind"
_INDEX = re.compile(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.|$)")
_MAX_DEPTH = 40


def label_path(path: str) -> str:
    """The label key of a concrete data path: "attachments.0.kind" -> "attachments.*.kind"."""
    return _INDEX.sub(ITEM, path)


def collect_labels(schema: Mapping[str, Any], resolver: Resolver[Any]) -> dict[str, str]:
    """Map every declared field path to its title (the field name when it has none); "" is the form itself."""
    labels: dict[str, str] = {"": title_of(schema, resolver) or ""}
    _walk(schema, resolver, "", labels, 0)
    return labels


def title_of(schema: Any, resolver: Resolver[Any], depth: int = 0) -> str | None:
    """The schema's own title, else the title of what its $ref points at."""
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return None
    title = schema.get("title")
    if isinstance(title, str):
        return title
    if isinstance(schema.get("$ref"), str):
        resolved = resolver.lookup(schema["$ref"])
        return title_of(resolved.contents, resolved.resolver, depth + 1)
    return None


def _walk(schema: Any, resolver: Resolver[Any], path: str, labels: dict[str, str], depth: int) -> None:
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return
    # The schema's own keywords come before its $ref, so a title written at the use site wins over the
    # title of the shared definition it refers to (setdefault keeps the first one seen).
    for name, sub in (schema.get("properties") or {}).items():
        child = join_path(path, name)
        labels.setdefault(child, title_of(sub, resolver) or name)
        _walk(sub, resolver, child, labels, depth + 1)
    items = schema.get("items")
    if isinstance(items, Mapping):
        child = join_path(path, ITEM)
        labels.setdefault(child, title_of(items, resolver) or labels.get(path, ITEM))
        _walk(items, resolver, child, labels, depth + 1)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword) or ():
            _walk(sub, resolver, path, labels, depth + 1)
    for keyword in ("then", "else"):
        _walk(schema.get(keyword), resolver, path, labels, depth + 1)
    if isinstance(schema.get("$ref"), str):
        resolved = resolver.lookup(schema["$ref"])
        _walk(resolved.contents, resolved.resolver, path, labels, depth + 1)
