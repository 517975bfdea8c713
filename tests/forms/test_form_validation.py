"""FormRegistry.validate: valid payloads pass; bad input gives its field path and a Vietnamese message."""

from __future__ import annotations

import copy
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from form_examples import PROCEDURE_TASKS, SUBMISSIONS, TASKS, sample
from jsonschema import FormatChecker

from app.forms import FormRegistry, default_registry
from app.forms.schema import DEFAULT_ROOT


def _set(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[part]
    node[last] = value
    return data


def _drop(data: dict[str, Any], path: str) -> dict[str, Any]:
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[part]
    del node[last]
    return data


# -- valid input --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("procedure", sorted(SUBMISSIONS))
def test_api_shaped_submission_is_valid(registry: FormRegistry, procedure: str) -> None:
    assert registry.validate(procedure, "submission", sample(procedure)) == {}


@pytest.mark.parametrize(
    ("procedure", "change"),
    [
        ("birth_registration", {"father": None}),
        ("birth_registration", {"father": None, "mother": None, "special_case": "abandoned"}),
        (
            "birth_registration",
            {"mother": {"personal_id": "001195012345"}, "father": {"personal_id": "001093012345"}},
        ),
        (
            "birth_registration",
            {"father": None, "special_case": "father_unknown", "authorization_attached": True},
        ),
        ("marriage_registration", {"bride": {"personal_id": "001198005678"}}),
        ("death_registration", {"deceased": {"personal_id": "001050001234"}}),
    ],
)
def test_optional_and_lookup_only_variants_are_valid(
    registry: FormRegistry, procedure: str, change: dict[str, Any]
) -> None:
    data = sample(procedure) | change
    assert registry.validate(procedure, "submission", data) == {}


def test_birth_without_certificate_but_with_witness_statement_is_valid(registry: FormRegistry) -> None:
    data = _drop(sample("birth_registration"), "birth_certificate")
    data["witness_or_undertaking_attached"] = True
    assert registry.validate("birth_registration", "submission", data) == {}


def test_deceased_with_full_birth_date_instead_of_year_is_valid(registry: FormRegistry) -> None:
    data = _drop(sample("death_registration"), "deceased.birth_year")
    data["deceased"]["birth_date"] = "1950-02-01"
    assert registry.validate("death_registration", "submission", data) == {}


@pytest.mark.parametrize(
    ("procedure", "task"), [(p, t) for p, tasks in PROCEDURE_TASKS.items() for t in tasks]
)
def test_task_payloads_of_the_contract_are_valid(registry: FormRegistry, procedure: str, task: str) -> None:
    assert registry.validate(procedure, task, TASKS[task]) == {}


@pytest.mark.parametrize(
    "data",
    [
        {"decision": "accept"},
        {"decision": "accept", "missing": [], "note": ""},
        {"decision": "refuse_receipt", "note": "Không thuộc thẩm quyền"},
    ],
)
def test_reception_check_without_missing_is_valid_unless_supplement(
    registry: FormRegistry, data: dict[str, Any]
) -> None:
    assert registry.validate("birth_registration", "reception_check", data) == {}


def test_nfd_input_validates_like_nfc(registry: FormRegistry) -> None:
    data = sample("birth_registration")
    data["child"]["ethnicity"] = "Tày"
    nfd = json.loads(unicodedata.normalize("NFD", json.dumps(data, ensure_ascii=False)))
    assert nfd["child"]["ethnicity"] != "Tày"  # really decomposed
    assert registry.validate("birth_registration", "submission", nfd) == {}


def test_validate_does_not_change_the_input(registry: FormRegistry) -> None:
    data = sample("birth_registration")
    data["child"]["full_name"] = unicodedata.normalize("NFD", " Nguyễn Minh Khang ")
    before = copy.deepcopy(data)
    registry.validate("birth_registration", "submission", data)
    assert data == before


# -- bad input: path and message -------------------------------------------------------------------------

CASES = [
    # (id, procedure, form, build data, path, message)
    (
        "missing child.full_name",
        "birth_registration",
        "submission",
        lambda: _drop(sample("birth_registration"), "child.full_name"),
        "child.full_name",
        "Trường «Họ, chữ đệm, tên của người được khai sinh» là bắt buộc.",
    ),
    (
        "blank child.full_name",
        "birth_registration",
        "submission",
        lambda: _set(sample("birth_registration"), "child.full_name", "   "),
        "child.full_name",
        "Trường «Họ, chữ đệm, tên của người được khai sinh» là bắt buộc.",
    ),
    (
        "impossible birth_date",
        "birth_registration",
        "submission",
        lambda: _set(sample("birth_registration"), "child.birth_date", "2024-13-40"),
        "child.birth_date",
        "«Ngày, tháng, năm sinh của người được khai sinh» không đúng định dạng ngày (YYYY-MM-DD).",
    ),
    (
        "dd/mm/yyyy birth_date",
        "birth_registration",
        "submission",
        lambda: _set(sample("birth_registration"), "child.birth_date", "15/03/2025"),
        "child.birth_date",
        "«Ngày, tháng, năm sinh của người được khai sinh» không đúng định dạng ngày (YYYY-MM-DD).",
    ),
    (
        "personal_id with a letter",
        "birth_registration",
        "submission",
        lambda: _set(sample("birth_registration"), "requester.personal_id", "00109301234a"),
        "requester.personal_id",
        "«Số định danh cá nhân của người yêu cầu» phải gồm đúng 12 chữ số.",
    ),
    (
        "personal_id of 11 digits",
        "marriage_registration",
        "submission",
        lambda: _set(sample("marriage_registration"), "groom.personal_id", "00109600432"),
        "groom.personal_id",
        "«Số định danh cá nhân của bên nam» phải gồm đúng 12 chữ số.",
    ),
    (
        "personal_id with a trailing newline",
        "birth_registration",
        "submission",
        lambda: _set(sample("birth_registration"), "mother.personal_id", "001195012345\n"),
        None,  # stripped before validation, like the HTTP boundary does: valid
        None,
    ),
    (
        "copies as text",
        "birth_registration",
        "submission",
        lambda: _set(sample("birth_registration"), "copies", "two"),
        "copies",
        "«Số bản sao Giấy khai sinh đề nghị cấp» phải là số nguyên.",
    ),
    (
        "unknown ethnicity",
        "birth_registration",
        "submission",
        lambda: _set(sample("birth_registration"), "child.ethnicity", "Mèo"),
        "child.ethnicity",
        "«Dân tộc của người được khai sinh» phải là một trong các giá trị cho phép.",
    ),
    (
        "sex not in enum",
        "death_registration",
        "submission",
        lambda: _set(sample("death_registration"), "deceased.sex", "nam"),
        "deceased.sex",
        "«Giới tính của người đã chết» phải là một trong các giá trị cho phép: «Nam», «Nữ».",
    ),
    (
        "marriage without personal_id",
        "marriage_registration",
        "submission",
        lambda: _set(sample("marriage_registration"), "groom", {"full_name": "Hoàng Văn Dũng"}),
        "groom.personal_id",
        "Trường «Số định danh cá nhân của bên nam» là bắt buộc.",
    ),
    (
        "parent without personal_id or year",
        "birth_registration",
        "submission",
        lambda: _drop(sample("birth_registration"), "father.birth_year"),
        "father.birth_year",
        "Trường «Năm sinh của cha» là bắt buộc.",
    ),
    (
        "deceased without birth date or year",
        "death_registration",
        "submission",
        lambda: _drop(sample("death_registration"), "deceased.birth_year"),
        "deceased.birth_date",
        "Cần khai «Ngày, tháng, năm sinh của người đã chết» hoặc «Năm sinh của người đã chết».",
    ),
    (
        "time of death without offset",
        "death_registration",
        "submission",
        lambda: _set(sample("death_registration"), "death.at", "2025-03-01 14:30"),
        "death.at",
        "«Đã chết vào lúc» không đúng định dạng ngày giờ (YYYY-MM-DDTHH:MM:SS+07:00).",
    ),
    (
        "death notice issuer type",
        "death_registration",
        "submission",
        lambda: _set(sample("death_registration"), "death_notice.issuer_type", "hospital"),
        "death_notice.issuer_type",
        "«Loại cơ quan cấp của giấy báo tử hoặc giấy tờ thay thế» phải là một trong các giá trị cho phép: "
        "«Cơ sở y tế (người chết tại cơ sở y tế)», «Hội đồng thi hành án tử hình», "
        "«Tòa án (bản án, quyết định tuyên bố một người đã chết)», "
        "«Cơ quan công an hoặc tổ chức giám định pháp y», «Ủy ban nhân dân cấp xã nơi người đó chết».",
    ),
    (
        "requester relationship of another procedure",
        "marriage_registration",
        "submission",
        lambda: _set(sample("marriage_registration"), "requester.relationship", "father"),
        "requester.relationship",
        "«Người yêu cầu là» phải là một trong các giá trị cho phép: «Bên nữ», «Bên nam».",
    ),
    (
        "bad phone",
        "birth_registration",
        "submission",
        lambda: _set(sample("birth_registration"), "requester.phone", "12345"),
        "requester.phone",
        "«Số điện thoại của người yêu cầu» không đúng định dạng số điện thoại.",
    ),
    (
        "unknown top-level key",
        "birth_registration",
        "submission",
        lambda: _set(sample("birth_registration"), "notes", "x"),
        "notes",
        "Trường «notes» không có trong biểu mẫu.",
    ),
    (
        "misspelt nested key",
        "birth_registration",
        "submission",
        lambda: _set(sample("birth_registration"), "child.birth_dat", "2025-03-15"),
        "child.birth_dat",
        "Trường «birth_dat» không có trong biểu mẫu.",
    ),
    (
        "typename nested in data",
        "birth_registration",
        "submission",
        lambda: _set(sample("birth_registration"), "child.typename", "BpmnWorkflow"),
        "child.typename",
        "Tên trường «typename» là tên dành riêng của hệ thống.",
    ),
    (
        "key starting with an underscore",
        "death_registration",
        "submission",
        lambda: _set(sample("death_registration"), "death._hidden", 1),
        "death._hidden",
        "Tên trường «_hidden» không được bắt đầu bằng dấu gạch dưới.",
    ),
    (
        "decision not in enum",
        "birth_registration",
        "reception_check",
        lambda: {"decision": "approve"},
        "decision",
        "«Kết quả kiểm tra» phải là một trong các giá trị cho phép: "
        "«Tiếp nhận», «Yêu cầu bổ sung, hoàn thiện», «Từ chối tiếp nhận».",
    ),
    (
        "missing decision",
        "death_registration",
        "officer_examine",
        lambda: {"note": "x"},
        "decision",
        "Trường «Kết quả thẩm tra» là bắt buộc.",
    ),
    (
        "supplement without missing",
        "birth_registration",
        "reception_check",
        lambda: {"decision": "supplement"},
        "missing",
        "Trường «Giấy tờ, nội dung cần bổ sung» là bắt buộc.",
    ),
    (
        "supplement with an empty missing list",
        "marriage_registration",
        "reception_check",
        lambda: {"decision": "supplement", "missing": []},
        "missing",
        "«Giấy tờ, nội dung cần bổ sung» phải có ít nhất 1 mục.",
    ),
    (
        "refuse without reasons",
        "birth_registration",
        "officer_examine",
        lambda: {"decision": "refuse", "note": "x"},
        "reasons",
        "Trường «Lý do từ chối» là bắt buộc.",
    ),
    (
        "refuse with an empty reasons list",
        "death_registration",
        "officer_examine",
        lambda: {"decision": "refuse", "reasons": []},
        "reasons",
        "«Lý do từ chối» phải có ít nhất 1 mục.",
    ),
    (
        "refuse with a blank reason",
        "death_registration",
        "officer_examine",
        lambda: {"decision": "refuse", "reasons": ["  "]},
        "reasons.0",
        "Trường «Lý do từ chối» là bắt buộc.",
    ),
    (
        "sign without signer title",
        "birth_registration",
        "chairman_sign",
        lambda: {"decision": "sign"},
        "signer_title",
        "Trường «Chức danh người ký» là bắt buộc.",
    ),
    (
        "voluntariness not confirmed",
        "marriage_registration",
        "marriage_handover",
        lambda: {"bride_present": True, "groom_present": True, "voluntary_confirmed": False},
        "voluntary_confirmed",
        "Phải xác nhận «Hai bên tự nguyện kết hôn».",
    ),
    (
        "groom absent",
        "marriage_registration",
        "marriage_handover",
        lambda: {"bride_present": True, "voluntary_confirmed": True},
        "groom_present",
        "Trường «Bên nam có mặt, đã kiểm tra giấy tờ tùy thân» là bắt buộc.",
    ),
    (
        "unknown property on a task form",
        "death_registration",
        "return_result",
        lambda: {"delivered_via": "post", "tracking": "EMS123"},
        "tracking",
        "Trường «tracking» không có trong biểu mẫu.",
    ),
    (
        "typename in task data",
        "birth_registration",
        "chairman_sign",
        lambda: {"decision": "sign", "signer_title": "chu_tich", "typename": "Task"},
        "typename",
        "Tên trường «typename» là tên dành riêng của hệ thống.",
    ),
    (
        "task data not an object",
        "birth_registration",
        "return_result",
        lambda: ["counter"],
        "",
        "«Trả kết quả đăng ký khai sinh» phải là nhóm thông tin (đối tượng JSON).",
    ),
]


@pytest.mark.parametrize(
    ("procedure", "form", "build", "path", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_gives_field_path_and_vietnamese_message(
    registry: FormRegistry, procedure: str, form: str, build: Any, path: str | None, message: str | None
) -> None:
    errors = registry.validate(procedure, form, build())
    if path is None:
        assert errors == {}
    else:
        assert errors.get(path) == message, errors


def test_all_errors_are_collected_one_per_field(registry: FormRegistry) -> None:
    data = sample("birth_registration")
    _drop(data, "child.full_name")
    _set(data, "child.birth_date", "2024-13-40")
    _set(data, "requester.personal_id", "12345678901")
    _set(data, "copies", "two")
    _set(data, "father.typename", "x")
    errors = registry.validate("birth_registration", "submission", data)
    assert set(errors) == {
        "child.full_name",
        "child.birth_date",
        "requester.personal_id",
        "copies",
        "father.typename",
    }


def test_typename_inside_a_list_is_found(registry: FormRegistry) -> None:
    errors = registry.validate(
        "common", "attachments", [{"kind": "other", "filename": "a.pdf", "typename": "x"}]
    )
    assert errors["0.typename"] == "Tên trường «typename» là tên dành riêng của hệ thống."
    assert errors["0.content_base64"] == "Trường «Nội dung tệp (base64)» là bắt buộc."


def test_prefix_is_put_before_every_path(registry: FormRegistry) -> None:
    errors = registry.validate(
        "common",
        "attachments",
        [{"kind": "passport", "filename": "a.pdf", "content_base64": "AA=="}],
        prefix="attachments",
    )
    assert errors == {"attachments.0.kind": "«Loại giấy tờ» phải là một trong các giá trị cho phép."}


def test_date_format_is_really_enforced_by_the_format_checker() -> None:
    checker = FormatChecker()
    assert "date" in checker.checkers
    assert not checker.conforms("2024-13-40", "date")
    assert not checker.conforms("20240101", "date")
    assert checker.conforms("2024-02-29", "date")


# -- the registry ---------------------------------------------------------------------------------------


def test_unknown_or_unsafe_form_names(registry: FormRegistry) -> None:
    with pytest.raises(KeyError):
        registry.schema("birth_registration", "no_such_task")
    with pytest.raises(KeyError):
        registry.validate("birth_registration", "../common/defs", {})
    assert not registry.exists("birth_registration", "no_such_task")
    assert not registry.exists("..", "README")
    assert registry.form_names("no_such_process") == []


def test_schema_ui_and_labels_are_copies(registry: FormRegistry) -> None:
    registry.schema("birth_registration", "submission")["properties"].clear()
    registry.ui("birth_registration", "submission")["order"].clear()
    registry.labels("birth_registration", "submission").clear()
    assert registry.schema("birth_registration", "submission")["properties"]
    assert registry.ui("birth_registration", "submission")["order"]
    assert registry.labels("birth_registration", "submission")["child.full_name"] == "Họ, chữ đệm, tên"


def test_ui_carries_widgets_and_registry_prefill(registry: FormRegistry) -> None:
    ui = registry.ui("birth_registration", "submission")
    assert ui["widgets"]["child.birth_date"] == "date"
    assert ui["widgets"]["child.ethnicity"] == "ethnicity-select"
    assert ui["prefill"]["mother.full_name"] == "registry:mother.full_name"
    assert ui["order"].index("child.full_name") < ui["order"].index("mother.personal_id")


def test_default_registry_uses_hotich_forms_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "demo").mkdir()
    form = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"when": {"title": "Ngày hẹn", "type": "string", "format": "date"}},
        "x-ui": {"order": ["when"]},
    }
    (tmp_path / "demo" / "slip.json").write_text(json.dumps(form), encoding="utf-8")
    monkeypatch.setenv("HOTICH_FORMS_DIR", str(tmp_path))
    registry = default_registry()
    assert registry.root == tmp_path.resolve()
    assert registry.validate("demo", "slip", {"when": "2025-02-30"}) == {
        "when": "«Ngày hẹn» không đúng định dạng ngày (YYYY-MM-DD)."
    }
    monkeypatch.delenv("HOTICH_FORMS_DIR")
    assert default_registry().root == DEFAULT_ROOT


def test_a_broken_form_file_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "bad.json").write_text('{"type": "objekt"}', encoding="utf-8")
    with pytest.raises(Exception, match="objekt"):
        FormRegistry(tmp_path).validate("demo", "bad", {})
