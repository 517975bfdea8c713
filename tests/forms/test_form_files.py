"""The form files: valid 2020-12 schemas, resolvable $refs, titles, enum labels, x-ui, the ethnic groups."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from form_examples import PROCEDURE_TASKS
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from app.forms import BASE_URI, ITEM, FormRegistry
from app.forms.schema import DEFAULT_ROOT

FILES = sorted(DEFAULT_ROOT.rglob("*.json"))
FORMS = [(proc, form) for proc, tasks in PROCEDURE_TASKS.items() for form in ["submission", *tasks]]
WIDGETS = {
    "text", "textarea", "number", "date", "datetime", "select", "radio", "checkbox", "file",
    "ethnicity-select", "province-select", "commune-select", "registry-person",
}  # fmt: skip
TASK_CONTRACT = {  # api.md, "The shipped processes' task contract"
    "reception_check": {"decision": ["accept", "supplement", "refuse_receipt"]},
    "officer_examine": {"decision": ["approve", "supplement", "refuse"]},
    "chairman_sign": {"decision": ["sign", "refuse"], "signer_title": ["chu_tich", "pho_chu_tich"]},
    "return_result": {"delivered_via": ["counter", "post", "electronic"]},
}


def _uri(path: Path) -> str:
    return BASE_URI + path.relative_to(DEFAULT_ROOT).as_posix()


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_every_required_form_file_exists(registry: FormRegistry) -> None:
    missing = [f"{proc}/{form}" for proc, form in FORMS if not registry.exists(proc, form)]
    assert missing == []
    assert registry.form_names("marriage_registration") == sorted(
        ["submission", *PROCEDURE_TASKS["marriage_registration"]]
    )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(DEFAULT_ROOT).as_posix())
def test_file_is_a_valid_2020_12_schema_in_nfc_without_id(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "$id" not in schema, "files are identified by their path"
    assert unicodedata.is_normalized("NFC", text)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(DEFAULT_ROOT).as_posix())
def test_every_ref_resolves(path: Path) -> None:
    refs = Registry().with_resources((_uri(p), DRAFT202012.create_resource(_load(p))) for p in FILES)
    resolver = refs.resolver(base_uri=_uri(path))
    found = [node["$ref"] for node in _walk(_load(path)) if isinstance(node.get("$ref"), str)]
    for ref in found:
        assert resolver.lookup(ref).contents is not None, ref  # raises Unresolvable when it does not resolve


def test_every_property_of_the_shared_definitions_has_a_title() -> None:
    defs = _load(DEFAULT_ROOT / "common" / "defs.json")["$defs"]
    for name, block in defs.items():
        assert block.get("title"), name
        for prop, sub in block.get("properties", {}).items():
            target = defs[sub["$ref"].rsplit("/", 1)[-1]] if "$ref" in sub else sub
            assert sub.get("title") or target.get("title"), f"{name}.{prop}"


@pytest.mark.parametrize(("procedure", "form"), FORMS)
def test_every_field_has_a_vietnamese_title(registry: FormRegistry, procedure: str, form: str) -> None:
    labels = registry.labels(procedure, form)
    untitled = [path for path, title in labels.items() if path and title == path.rsplit(".", 1)[-1]]
    assert untitled == []
    assert labels[""]  # the form's own title


@pytest.mark.parametrize(("procedure", "form"), FORMS)
def test_every_enum_has_a_vietnamese_label_per_value(
    registry: FormRegistry, procedure: str, form: str
) -> None:
    for node in _walk(registry.schema(procedure, form)):
        if "enum" in node:
            assert set(node["x-enum-labels"]) == set(node["enum"]), node.get("title")
            assert all(node["x-enum-labels"].values())


@pytest.mark.parametrize(("procedure", "form"), FORMS)
def test_x_ui_names_only_existing_fields_and_known_widgets(
    registry: FormRegistry, procedure: str, form: str
) -> None:
    labels = registry.labels(procedure, form)
    ui = registry.ui(procedure, form)
    assert ui["order"], "every form gives a field order"
    assert len(ui["order"]) == len(set(ui["order"]))
    for key in ("widgets", "prefill", "visible_if", "suggestions"):
        unknown = [path for path in ui.get(key, {}) if path not in labels]
        assert unknown == [], key
    assert [path for path in ui["order"] if path not in labels] == []
    assert set(ui["widgets"].values()) <= WIDGETS
    for source in ui.get("prefill", {}).values():
        assert source.startswith("registry:") or "." in source or source.isidentifier()


@pytest.mark.parametrize("procedure", sorted(PROCEDURE_TASKS))
def test_task_forms_follow_the_api_contract(registry: FormRegistry, procedure: str) -> None:
    for task in PROCEDURE_TASKS[procedure]:
        schema = registry.schema(procedure, task)
        assert schema["additionalProperties"] is False, task
        for field, values in TASK_CONTRACT.get(task, {}).items():
            assert schema["properties"][field]["enum"] == values, f"{task}.{field}"
    if procedure == "marriage_registration":
        handover = registry.schema(procedure, "marriage_handover")
        assert {name: prop["const"] for name, prop in handover["properties"].items()} == {
            "bride_present": True,
            "groom_present": True,
            "voluntary_confirmed": True,
        }


def test_ethnicity_list_is_the_official_54_groups() -> None:
    ethnicity = _load(DEFAULT_ROOT / "common" / "defs.json")["$defs"]["ethnicity"]
    names = ethnicity["enum"]
    assert len(names) == 54 == len(set(names))
    # QĐ 121-TCTK/PPCĐ (1979) spellings, in code order: 01 Kinh ... 05 Khơ-me ... 08 HMông ... 54 Rơ-măm.
    assert names[:8] == ["Kinh", "Tày", "Thái", "Hoa", "Khơ-me", "Mường", "Nùng", "HMông"]
    assert names[-1] == "Rơ-măm"
    assert {"Ê-đê", "Ba-na", "Bru-Vân Kiều", "Gié-Triêng", "Tà-ôi", "La Chí", "Pà Thẻn", "Ơ Đu"} <= set(names)
    assert all(unicodedata.is_normalized("NFC", name) for name in names)
    assert ethnicity["x-enum-codes"] == {name: f"{i:02d}" for i, name in enumerate(names, start=1)}
    # Later spellings are aliases of an official name, never values themselves.
    assert ethnicity["x-aliases"]["H'Mông"] == ethnicity["x-aliases"]["Mông"] == "HMông"
    assert ethnicity["x-aliases"]["Khmer"] == "Khơ-me"
    assert not set(ethnicity["x-aliases"]) & set(names)
    assert set(ethnicity["x-aliases"].values()) <= set(names)


def test_array_items_are_labelled_with_a_star(registry: FormRegistry) -> None:
    assert registry.labels("birth_registration", "reception_check")[f"missing.{ITEM}"]
    assert registry.labels("common", "attachments")[f"{ITEM}.kind"] == "Loại giấy tờ"
