"""A form's JSON Schema as one tree: every "$ref" replaced by its target (the one place that follows them).

Keywords written at the use site win over those of the shared definition a "$ref" points at, so a field
that refers to "../common/defs.json#/$defs/person" keeps its own title. The renderer builds its fields from
this tree and the field titles (labels.py) are read from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from referencing._core import Resolver  # not re-exported by the package; needed for annotations only

MAX_DEPTH = 30  # a "$ref" cycle deeper than this is left unresolved


def resolve_refs(node: Any, resolver: Resolver[Any], depth: int = 0) -> Any:
    """The schema with every "$ref" replaced by its target ("$defs", "$id", "$schema" dropped)."""
    if not isinstance(node, Mapping) or depth > MAX_DEPTH:
        return node
    out: dict[str, Any] = {}
    if isinstance(node.get("$ref"), str):
        target = resolver.lookup(node["$ref"])
        out = resolve_refs(target.contents, target.resolver, depth + 1)
    for key, value in node.items():
        if key in ("$ref", "$defs", "$id", "$schema"):
            continue
        if key == "properties" and isinstance(value, Mapping):
            props = dict(out.get("properties") or {})
            for name, sub in value.items():
                props[name] = _merge(props.get(name), resolve_refs(sub, resolver, depth + 1))
            out["properties"] = props
        elif key in ("items", "if", "then", "else"):
            out[key] = _merge(out.get(key), resolve_refs(value, resolver, depth + 1))
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [resolve_refs(v, resolver, depth + 1) for v in value]
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
