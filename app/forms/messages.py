"""Vietnamese field messages for jsonschema validation errors, naming each field by its title."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema.exceptions import ValidationError, best_match

from app.forms.labels import label_path
from app.forms.payload import join_path

TYPE_NAMES: dict[str, str] = {
    "string": "văn bản",
    "integer": "số nguyên",
    "number": "số",
    "boolean": "giá trị đúng/sai (true/false)",
    "object": "nhóm thông tin (đối tượng JSON)",
    "array": "danh sách",
    "null": "để trống (null)",
}
FORMAT_MESSAGES: dict[str, str] = {
    "date": "«{title}» không đúng định dạng ngày (YYYY-MM-DD).",
    "date-time": "«{title}» không đúng định dạng ngày giờ (YYYY-MM-DDTHH:MM:SS+07:00).",
    "email": "«{title}» không đúng định dạng thư điện tử.",
    "phone": "«{title}» không đúng định dạng số điện thoại.",
}
_LIST_ENUM_UP_TO = 6  # short enums name their allowed labels in the message; long ones (ethnicity) do not

# Errors of these kinds say the most about a field, so they win when one field has several errors.
_FIRST = {"required": 0, "type": 1, "const": 2, "enum": 3}


def field_messages(
    errors: Iterator[ValidationError], labels: Mapping[str, str], prefix: str = ""
) -> dict[str, str]:
    """{dotted path: Vietnamese message} for every error, one message per field."""
    messages: dict[str, str] = {}
    ordered = sorted(errors, key=lambda e: _FIRST.get(str(e.validator), 9))
    for error in ordered:
        for path, message in _describe(error, labels):
            messages.setdefault(join_path(prefix, path) if path else prefix, message)
    return messages


def _path(error: ValidationError) -> str:
    return ".".join(str(part) for part in error.absolute_path)


def field_title(path: str, labels: Mapping[str, str]) -> str | None:
    """The title people read for a data path of the form ("mother.personal_id" -> "Số định danh cá nhân
    của mẹ"), None when the form declares no such field."""
    title = labels.get(label_path(path))
    return _of_whom(title, path, labels) if title else None


def _title(path: str, labels: Mapping[str, str], error: ValidationError | None = None) -> str:
    title = labels.get(label_path(path))
    if not title:
        if (
            error is not None
            and isinstance(error.schema, Mapping)
            and isinstance(error.schema.get("title"), str)
        ):
            title = str(error.schema["title"])
        else:
            return path.rsplit(".", 1)[-1] or "Biểu mẫu"
    return _of_whom(title, path, labels)


def _of_whom(title: str, path: str, labels: Mapping[str, str]) -> str:
    """A field of a block names the block it belongs to: "Số định danh cá nhân của mẹ", not a bare
    "Số định danh cá nhân" that could be anyone's (a message is read in the error summary, away from its
    fieldset). Titles that already name it or someone ("Họ, chữ đệm, tên người yêu cầu", "Quan hệ với người
    được khai sinh") are kept as they are."""
    if "." not in path or label_path(path).rsplit(".", 1)[0].endswith("*"):  # list items: the index says
        return title
    owner = labels.get(label_path(path.rsplit(".", 1)[0]))
    if not owner or owner.startswith("Thông tin"):  # a plain grouping ("Thông tin về việc chết") names no one
        return title
    owner = owner[0].lower() + owner[1:]
    if owner.lower() in title.lower() or " của " in title or " với " in title:
        return title
    return f"{title} của {owner}"


def _describe(error: ValidationError, labels: Mapping[str, str]) -> list[tuple[str, str]]:
    path = _path(error)
    kind = str(error.validator)
    instance = error.instance
    value = error.validator_value
    if kind == "required" and isinstance(instance, Mapping):
        missing = [join_path(path, name) for name in value if name not in instance]
        return [(p, f"Trường «{_title(p, labels)}» là bắt buộc.") for p in missing]
    if kind in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, Mapping):
        unknown = [join_path(path, k) for k in instance if label_path(join_path(path, k)) not in labels]
        if unknown:
            return [(p, f"Trường «{p.rsplit('.', 1)[-1]}» không có trong biểu mẫu.") for p in unknown]
        return [(path, f"«{_title(path, labels, error)}» có trường không có trong biểu mẫu.")]
    if kind in ("anyOf", "oneOf") and error.context:
        return _describe_alternatives(error, labels)
    title = _title(path, labels, error)
    custom = error.schema.get("x-messages", {}).get(kind) if isinstance(error.schema, Mapping) else None
    if isinstance(custom, str):
        return [(path, custom.format(title=title))]
    return [(path, _message(kind, value, instance, title, error))]


def _describe_alternatives(error: ValidationError, labels: Mapping[str, str]) -> list[tuple[str, str]]:
    """Say "give A or B" when each alternative only lacks a field, else describe the most relevant error."""
    context = list(error.context or ())
    if all(str(e.validator) == "required" for e in context):
        options: list[str] = []
        for sub in context:
            for p, _ in _describe(sub, labels):
                if p not in options:
                    options.append(p)
        if options:
            names = " hoặc ".join(f"«{_title(p, labels)}»" for p in options)
            return [(options[0], f"Cần khai {names}.")]
    best = best_match(context)
    return _describe(best, labels) if best is not None else []


def _message(kind: str, value: Any, instance: Any, title: str, error: ValidationError) -> str:
    if kind == "type":
        types = [value] if isinstance(value, str) else list(value)
        return f"«{title}» phải là {' hoặc '.join(TYPE_NAMES.get(t, t) for t in types)}."
    if kind == "format":
        return FORMAT_MESSAGES.get(str(value), "«{title}» không đúng định dạng.").format(title=title)
    if kind == "enum":
        message = f"«{title}» phải là một trong các giá trị cho phép"
        enum_labels = error.schema.get("x-enum-labels") if isinstance(error.schema, Mapping) else None
        if isinstance(enum_labels, Mapping) and len(value) <= _LIST_ENUM_UP_TO:
            message += ": " + ", ".join(f"«{enum_labels.get(v, v)}»" for v in value)
        return message + "."
    if kind == "const":
        return f"Phải xác nhận «{title}»." if value is True else f"«{title}» phải là {value!r}."
    if kind == "minLength":
        return f"Trường «{title}» là bắt buộc." if value <= 1 else f"«{title}» phải có ít nhất {value} ký tự."
    if kind == "maxLength":
        return f"«{title}» không được dài quá {value} ký tự."
    if kind in ("minimum", "exclusiveMinimum"):
        return f"«{title}» phải {'lớn hơn hoặc bằng' if kind == 'minimum' else 'lớn hơn'} {value}."
    if kind in ("maximum", "exclusiveMaximum"):
        return f"«{title}» phải {'nhỏ hơn hoặc bằng' if kind == 'maximum' else 'nhỏ hơn'} {value}."
    if kind == "minItems":
        return f"«{title}» phải có ít nhất {value} mục."
    if kind == "maxItems":
        return f"«{title}» chỉ được có tối đa {value} mục."
    if kind == "uniqueItems":
        return f"«{title}» có mục bị trùng lặp."
    if kind == "pattern":
        return f"«{title}» không đúng định dạng."
    if kind == "None":  # a `false` schema
        return f"Trường «{title}» không được phép."
    return f"«{title}» không hợp lệ."
