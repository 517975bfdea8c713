"""Prepare submitted data for validation: an NFC copy, plus errors for keys the engine must never see."""

from __future__ import annotations

import unicodedata
from typing import Any

# SpiffWorkflow's serializer treats a dict with a "typename" key as a serialized object and tries to
# rebuild it; keys starting with "_" are reserved for our own bookkeeping in task data.
RESERVED_KEY = "typename"
MAX_DEPTH = 32


def join_path(prefix: str, key: str | int) -> str:
    """Dotted field path: join_path("child", "full_name") == "child.full_name"; array indexes as numbers."""
    return f"{prefix}.{key}" if prefix else str(key)


def prepare(data: Any) -> tuple[Any, dict[str, str]]:
    """An NFC-normalised, stripped deep copy of data, and {path: message} for reserved or too-deep keys."""
    errors: dict[str, str] = {}
    return _copy(data, "", 0, errors), errors


def _copy(value: Any, path: str, depth: int, errors: dict[str, str]) -> Any:
    if depth > MAX_DEPTH:
        errors.setdefault(path, "Dữ liệu lồng nhau quá nhiều cấp.")
        return None
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    if isinstance(value, dict):
        copied: dict[Any, Any] = {}
        for key, item in value.items():
            name = unicodedata.normalize("NFC", key) if isinstance(key, str) else key
            child = join_path(path, name)
            if name == RESERVED_KEY:
                errors.setdefault(child, f"Tên trường «{name}» là tên dành riêng của hệ thống.")
            elif isinstance(name, str) and name.startswith("_"):
                errors.setdefault(child, f"Tên trường «{name}» không được bắt đầu bằng dấu gạch dưới.")
            copied[name] = _copy(item, child, depth + 1, errors)
        return copied
    if isinstance(value, list | tuple):
        return [_copy(item, join_path(path, i), depth + 1, errors) for i, item in enumerate(value)]
    return value
