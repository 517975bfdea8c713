"""Field titles of a form schema, by dotted path, read from its resolved tree (tree.py): properties, items,
allOf/anyOf/oneOf and then/else."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.forms.payload import join_path
from app.forms.tree import resolve_refs

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
    tree = resolve_refs(schema, resolver)
    labels: dict[str, str] = {"": _title(tree) or ""}
    _walk(tree, "", labels, 0)
    return labels


def _title(schema: Any) -> str | None:
    title = schema.get("title") if isinstance(schema, Mapping) else None
    return title if isinstance(title, str) else None


def _walk(schema: Any, path: str, labels: dict[str, str], depth: int) -> None:
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return
    # the first title seen for a path wins (setdefault): a block's own properties before its branches
    for name, sub in (schema.get("properties") or {}).items():
        child = join_path(path, name)
        labels.setdefault(child, _title(sub) or name)
        _walk(sub, child, labels, depth + 1)
    items = schema.get("items")
    if isinstance(items, Mapping):
        child = join_path(path, ITEM)
        labels.setdefault(child, _title(items) or labels.get(path, ITEM))
        _walk(items, child, labels, depth + 1)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword) or ():
            _walk(sub, path, labels, depth + 1)
    for keyword in ("then", "else"):
        _walk(schema.get(keyword), path, labels, depth + 1)
