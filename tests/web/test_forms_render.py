"""The generic form renderer: every form in forms/ renders from its schema; typed values convert back."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from app.forms import FormRegistry, default_registry
from app.forms.schema import DEFAULT_ROOT
from app.web.forms_render import (
    build_form,
    initial_values,
    parse_date,
    parse_datetime,
    place_errors,
    read_submission,
    resolve_prefill,
    visibility,
)

FORMS = default_registry()
ALL_FORMS = [
    (key, name)
    for key in ("birth_registration", "marriage_registration", "death_registration")
    for name in FORMS.form_names(key)
]


def leaf_paths(schema: Any, registry: FormRegistry, prefix: str = "") -> set[str]:
    """Dotted paths of every declared non-object property (following $ref to the shared blocks)."""
    out: set[str] = set()
    props = dict(schema.get("properties") or {})
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("../common/defs.json#/$defs/"):
        target = registry.schema("common", "defs")["$defs"][ref.rsplit("/", 1)[-1]]
        props = {**(target.get("properties") or {}), **props}
    for name, sub in props.items():
        path = f"{prefix}.{name}" if prefix else name
        inner = sub
        if isinstance(sub.get("$ref"), str) and sub["$ref"].startswith("../common/defs.json#/$defs/"):
            inner = {**registry.schema("common", "defs")["$defs"][sub["$ref"].rsplit("/", 1)[-1]], **sub}
        if inner.get("properties") or (isinstance(inner.get("$ref"), str) and "properties" in str(inner)):
            out |= leaf_paths(inner, registry, path)
        elif inner.get("type") == "array" and (inner.get("items") or {}).get("type") == "object":
            continue
        else:
            out.add(path)
    return out


@pytest.mark.parametrize(("key", "name"), ALL_FORMS)
def test_every_field_of_every_form_is_rendered_with_its_title(key: str, name: str) -> None:
    spec = build_form(FORMS, key, name)
    rendered = {f.path for f in spec.fields}
    assert leaf_paths(FORMS.schema(key, name), FORMS) <= rendered
    labels = FORMS.labels(key, name)
    for f in spec.fields:
        assert f.label == labels[f.path], f.path
        if f.widget in ("radio", "select"):
            assert f.options, f.path
    order = [p for p in (FORMS.ui(key, name).get("order") or []) if p in rendered]
    assert [f.path for f in spec.fields][: len(order)] == order


def test_a_field_an_analyst_adds_is_rendered_without_code_changes(tmp_path: Path) -> None:
    shutil.copytree(DEFAULT_ROOT, tmp_path / "forms")
    path = tmp_path / "forms" / "birth_registration" / "reception_check.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["properties"]["checked_on"] = {
        "$ref": "../common/defs.json#/$defs/date",
        "title": "Ngày kiểm tra giấy tờ gốc",
        "description": "Ngày cán bộ đối chiếu bản chính.",
    }
    schema["properties"]["fee_paid"] = {"title": "Đã thu lệ phí", "type": "boolean"}
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    spec = build_form(FormRegistry(tmp_path / "forms"), "birth_registration", "reception_check")
    by_path = {f.path: f for f in spec.fields}
    assert (
        by_path["checked_on"].widget == "date" and by_path["checked_on"].label == "Ngày kiểm tra giấy tờ gốc"
    )
    assert by_path["checked_on"].help == "Ngày cán bộ đối chiếu bản chính."
    assert by_path["fee_paid"].widget == "checkbox"
    got = read_submission(
        spec, MultiDict({"decision": "accept", "checked_on": "9/3/2026", "fee_paid": "true"})
    )
    assert got.data == {"decision": "accept", "checked_on": "2026-03-09", "fee_paid": True} and not got.errors


def test_place_widgets_list_the_administrative_units(tmp_path: Path) -> None:
    shutil.copytree(DEFAULT_ROOT, tmp_path / "forms")
    path = tmp_path / "forms" / "birth_registration" / "return_result.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["properties"]["post_province"] = {"title": "Tỉnh, thành phố nhận bưu gửi", "type": "string"}
    schema["properties"]["post_commune"] = {"title": "Xã, phường nhận bưu gửi", "type": "string"}
    schema["x-ui"]["widgets"].update({"post_province": "province-select", "post_commune": "commune-select"})
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    spec = build_form(FormRegistry(tmp_path / "forms"), "birth_registration", "return_result")
    province, commune = spec.field("post_province"), spec.field("post_commune")
    assert province is not None and len(province.options) == 34
    assert ("Thành phố Hà Nội", "Thành phố Hà Nội") in province.options
    assert commune is not None and ("00070", "Phường Hoàn Kiếm, Thành phố Hà Nội") in commune.options
    assert len(commune.options) > 3000


def test_widgets_follow_the_schema_and_x_ui() -> None:
    spec = build_form(FORMS, "birth_registration", "submission")
    widgets = {f.path: f.widget for f in spec.fields}
    assert widgets["child.birth_date"] == "date"
    assert widgets["child.ethnicity"] == "ethnicity-select"
    assert widgets["child.sex"] == "radio"
    assert widgets["requester.relationship"] == "select"
    assert widgets["copies"] == "number"
    assert widgets["authorization_attached"] == "checkbox"
    sex = spec.field("child.sex")
    assert sex is not None and sex.options == [("male", "Nam"), ("female", "Nữ")]
    ethnicity = spec.field("child.ethnicity")
    assert ethnicity is not None and len(ethnicity.options) == 54
    assert [g.title for g in spec.groups][:3] == ["Người yêu cầu", "Người được khai sinh", "Mẹ"]
    check = build_form(FORMS, "birth_registration", "reception_check")
    missing = check.field("missing")
    assert missing is not None and missing.widget == "checkboxes" and "Giấy chứng sinh" in missing.suggestions


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("20/02/2026", date(2026, 2, 20)),
        ("1/3/2026", date(2026, 3, 1)),
        ("01.03.2026", date(2026, 3, 1)),
        ("01-03-2026", date(2026, 3, 1)),
        ("20022026", date(2026, 2, 20)),
        ("2026-02-20", date(2026, 2, 20)),
        ("31/02/2026", None),
        ("2/20/2026", None),
        ("hôm qua", None),
        ("", None),
    ],
)
def test_dates_are_typed_day_month_year(typed: str, expected: date | None) -> None:
    assert parse_date(typed) == expected


def test_date_times_are_hanoi_time() -> None:
    moment = parse_datetime("20/02/2026 14:30")
    assert moment is not None and moment.astimezone(UTC) == datetime(2026, 2, 20, 7, 30, tzinfo=UTC)
    assert parse_datetime("20/02/2026") is None and parse_datetime("25:00 20/02/2026") is None


def test_reading_a_posted_form() -> None:
    spec = build_form(FORMS, "birth_registration", "submission")
    posted = MultiDict(
        {
            "child.full_name": "  Nguyễn Thị Ánh Dương ",
            "child.birth_date": "20/02/2026",
            "copies": "x",
            "mother.personal_id": "001196023456",
            "father.full_name": "",
            "requester.relationship": "father",
            "authorization_attached": "true",  # hidden: the requester is not "authorized"
        }
    )
    got = read_submission(spec, posted)
    assert got.data["child"] == {"full_name": "Nguyễn Thị Ánh Dương", "birth_date": "2026-02-20"}
    assert got.data["mother"] == {"personal_id": "001196023456"} and "father" not in got.data
    assert "authorization_attached" not in got.data
    assert got.errors == {"copies": "«Số bản sao Giấy khai sinh đề nghị cấp» phải là số nguyên."}
    assert got.raw["child.birth_date"] == "20/02/2026" and got.raw["copies"] == "x"


def test_lists_from_ticked_suggestions_and_typed_lines() -> None:
    spec = build_form(FORMS, "birth_registration", "reception_check")
    posted = MultiDict(
        [
            ("decision", "supplement"),
            ("missing", "Giấy chứng sinh"),
            ("missing:other", "Bản sao sổ hộ khẩu\n\n  Giấy chứng sinh  \n"),
        ]
    )
    got = read_submission(spec, posted)
    assert got.data == {"decision": "supplement", "missing": ["Giấy chứng sinh", "Bản sao sổ hộ khẩu"]}
    hidden = read_submission(spec, MultiDict([("decision", "accept"), ("missing", "Giấy chứng sinh")]))
    assert hidden.data == {"decision": "accept"}  # "missing" is only shown for a supplement request


def test_visibility_and_initial_values() -> None:
    spec = build_form(FORMS, "birth_registration", "submission")
    shown = visibility(spec, {"requester.relationship": "authorized"})
    assert shown["authorization_attached"] is True and shown["witness_or_undertaking_attached"] is True
    shown = visibility(spec, {"birth_certificate.number": "BV-1"})
    assert shown["authorization_attached"] is False and shown["witness_or_undertaking_attached"] is False
    values = initial_values(spec, {"child": {"birth_date": "2026-02-20"}})
    assert values["child.birth_date"] == "20/02/2026" and values["child.nationality"] == "Việt Nam"
    assert values["mother.nationality"] == ""  # no default inside an optional block
    mother = {
        "full_name": "Trần Thị Bích Ngọc",
        "birth_date": "1996-09-03",
        "residence_commune_code": "00070",
    }
    prefilled = initial_values(
        spec,
        None,
        {"mother": {"personal_id": "001196023456"}},
        {"mother": mother},
        {"00070": "Phường Hoàn Kiếm"},
    )
    assert prefilled["mother.full_name"] == "Trần Thị Bích Ngọc"
    assert prefilled["mother.birth_year"] == "1996" and prefilled["mother.birth_date"] == "03/09/1996"
    assert prefilled["mother.residence"] == "Phường Hoàn Kiếm"
    assert prefilled["mother.personal_id"] == ""  # no prefill source, no current value: the form starts empty


def test_prefill_sources() -> None:
    lookups = {
        "mother": {
            "full_name": "Trần Thị Bích Ngọc",
            "birth_date": "1996-09-03",
            "residence_commune_code": "00070",
        }
    }
    assert resolve_prefill("registry:mother.full_name", {}, lookups, {}) == "Trần Thị Bích Ngọc"
    assert resolve_prefill("registry:mother.birth_date|year", {}, lookups, {}) == "1996"
    names = {"00070": "Phường Hoàn Kiếm"}
    assert resolve_prefill("registry:mother.residence_commune_code|commune_name", {}, lookups, names) == (
        "Phường Hoàn Kiếm"
    )
    assert resolve_prefill("child.full_name", {"child": {"full_name": "A"}}, {}, {}) == "A"
    assert resolve_prefill("registry:father.full_name", {}, lookups, {}) is None


def test_service_errors_are_placed_at_their_fields() -> None:
    spec = build_form(FORMS, "birth_registration", "reception_check")
    at, general = place_errors(spec, {"missing.0": "Mục 1 sai", "decision": "Bắt buộc", "other": "Lỗi chung"})
    assert at == {"missing": "Mục 1 sai", "decision": "Bắt buộc"} and general == ["Lỗi chung"]
    spec = build_form(FORMS, "birth_registration", "submission")
    at, general = place_errors(spec, {"mother": "Cần khai «Số định danh cá nhân»"})
    assert at == {"mother.personal_id": "Cần khai «Số định danh cá nhân»"} and general == []
