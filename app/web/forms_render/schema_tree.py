"""A form's JSON Schema as one tree: every "$ref" replaced by its target, resolved by app.forms' registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.forms import FormRegistry

if TYPE_CHECKING:
    from referencing._core import Resolver  # not re-exported by the package; needed for annotations only

_MAX_DEPTH = 30


def resolved_schema(forms: FormRegistry, procedure_key: str, form_name: str) -> dict[str, Any]:
    """The form's schema with every $ref replaced by its target; keywords at the use site win."""
    tree: dict[str, Any] = _tree(
        forms.schema(procedure_key, form_name), forms.resolver(procedure_key, form_name)
    )
    return tree


def _tree(node: Any, resolver: Resolver[Any], depth: int = 0) -> Any:
    if not isinstance(node, Mapping) or depth > _MAX_DEPTH:
        return node
    out: dict[str, Any] = {}
    if isinstance(node.get("$ref"), str):
        target = resolver.lookup(node["$ref"])
        out = _tree(target.contents, target.resolver, depth + 1)
    for key, value in node.items():
        if key in ("$ref", "$defs", "$id", "$schema"):
            continue
        if key == "properties" and isinstance(value, Mapping):
            props = dict(out.get("properties") or {})
            for name, sub in value.items():
                props[name] = _merge(props.get(name), _tree(sub, resolver, depth + 1))
            out["properties"] = props
        elif key in ("items", "if", "then", "else"):
            out[key] = _merge(out.get(key), _tree(value, resolver, depth + 1))
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [_tree(v, resolver, depth + 1) for v in value]
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


def schema_types(node: Mapping[str, Any]) -> list[str]:
    """The node's JSON types ("type" as a list; an untyped node with properties is an object)."""
    value = node.get("type")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    if "properties" in node:
        return ["object"]
    return ["string"]


def is_container(node: Mapping[str, Any]) -> bool:
    """True for a block of fields (an object with properties), as opposed to one input."""
    return "object" in schema_types(node) and isinstance(node.get("properties"), Mapping)
