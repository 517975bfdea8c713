"""A form's schema as one tree (app.forms.tree, the one "$ref" walker), and what the renderer asks of it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.forms import FormRegistry
from app.forms.tree import resolve_refs


def resolved_schema(forms: FormRegistry, procedure_key: str, form_name: str) -> dict[str, Any]:
    """The form's schema with every $ref replaced by its target; keywords at the use site win."""
    tree: dict[str, Any] = resolve_refs(
        forms.schema(procedure_key, form_name), forms.resolver(procedure_key, form_name)
    )
    return tree


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
