"""Issue 8 §5: texts shown to people (rule messages on the pages, in API errors and on refusal letters) carry
no field paths such as "(child.birth_place)" and no ISO dates: dates read dd/mm/yyyy. The field a message
concerns travels in the finding's own `field`, never in its text."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from app.domain.rules import evaluate_birth, evaluate_death, evaluate_marriage
from tests.domain import test_rules_birth as birth
from tests.domain import test_rules_death as death
from tests.domain import test_rules_marriage as marriage

RULES_DIR = Path(__file__).resolve().parents[2] / "app" / "domain" / "rules"
FIELD_PATH = re.compile(r"\([a-z_]+(?:\.[a-z_*]+)*\)")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
FORMAT_JARGON = re.compile(r"YYYY|\bISO\b")


def _message_literals(path: Path) -> list[tuple[int, str]]:
    """Every string literal (f-string parts included) of a rules module but its docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


@pytest.mark.parametrize("module", sorted(p.name for p in RULES_DIR.glob("*.py")))
def test_rule_texts_name_no_field_path_and_no_date_format(module: str) -> None:
    bad = [
        (line, text)
        for line, text in _message_literals(RULES_DIR / module)
        if FIELD_PATH.search(text) or FORMAT_JARGON.search(text)
    ]
    assert bad == [], f"{module}: texts shown to people with a field path or ISO jargon: {bad}"


def test_the_static_check_can_fail() -> None:
    assert FIELD_PATH.search("Thiếu nơi sinh của trẻ (child.birth_place).")
    assert FIELD_PATH.search("Thiếu thông tin của bên nữ (bride).")
    assert not FIELD_PATH.search("Đã chết (số 12/2026).")


def test_death_already_recorded_reads_the_date_as_dd_mm_yyyy() -> None:
    """KT-06: 'chết ngày 2025-12-01' was printed; the registry's date is shown as 01/12/2025."""
    ctx = death.context(lookups={"deceased": {**death.DECEASED, "deceased_on": "2025-12-01"}})
    messages = [f.message for f in evaluate_death(death.death_data(), ctx) if f.rule == "KT-06"]
    assert messages and all("chết ngày 01/12/2025" in m for m in messages)
    assert not any(ISO_DATE.search(m) for m in messages)


def test_marriage_party_recorded_dead_reads_the_date_as_dd_mm_yyyy() -> None:
    ctx = marriage.context(groom={**marriage.GROOM, "deceased_on": "2026-01-01"})
    messages = [f.message for f in evaluate_marriage(marriage.marriage_data(), ctx) if f.rule == "KH-03"]
    assert messages and "đã chết ngày 01/01/2026" in messages[0]


@pytest.mark.parametrize(
    ("changes", "rule", "field"),
    [
        ({"child": {"birth_date": None}}, "KS-02", "child.birth_date"),
        ({"child": {"birth_date": "20/02/2026"}}, "KS-02", "child.birth_date"),
        ({"child": {"birth_place": ""}}, "KS-15", "child.birth_place"),
        ({"requester": {"relationship": None}}, "KS-08", "requester.relationship"),
    ],
)
def test_birth_messages_keep_the_field_out_of_the_text(changes: dict, rule: str, field: str) -> None:
    data = birth.birth_data()
    for block, values in changes.items():
        data[block] = {**data[block], **values}
    found = [f for f in evaluate_birth(data, birth.context()) if f.rule == rule]
    assert found and found[0].field == field
    assert not FIELD_PATH.search(found[0].message) and not FORMAT_JARGON.search(found[0].message)


def test_death_date_unreadable_message_is_plain() -> None:
    data = death.death_data()
    data["death"]["at"] = "hôm qua"
    found = [f for f in evaluate_death(data, death.context()) if f.rule == "KT-02"]
    assert found and found[0].message == "Không đọc được ngày, giờ chết." and found[0].field == "death.at"


def test_route_to_another_commune_names_the_communes_not_their_codes() -> None:
    """KT-01: the registry puts the deceased's last residence in Phường Ba Đình (00004)."""
    ctx = death.context(lookups={"deceased": {**death.DECEASED, "residence_commune_code": "00004"}})
    [found] = [f for f in evaluate_death(death.death_data(), ctx) if f.rule == "KT-01"]
    assert "Phường Ba Đình, Thành phố Hà Nội" in found.message
    assert "Phường Hoàn Kiếm, Thành phố Hà Nội" in found.message
    assert "00004" not in found.message and "00070" not in found.message
