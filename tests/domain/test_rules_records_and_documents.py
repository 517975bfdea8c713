"""Rule behaviour added for the flows: attached documents, a registered death locking the record, the other
commune's marital-status verification, and registry values that need not be typed."""

from __future__ import annotations

from typing import Any

from app.domain.findings import Finding
from app.domain.rules import evaluate_birth, evaluate_death, evaluate_marriage
from tests.domain import test_rules_birth as birth
from tests.domain import test_rules_death as death
from tests.domain import test_rules_marriage as marriage

DEAD = {"deceased_on": "2025-12-01", "civil_status_locked": True}


def rules(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.rule, f.severity) for f in findings}


def test_birth_special_documents_are_required_when_attachments_are_known() -> None:
    data = birth.birth_data()
    data["special_case"] = "surrogacy"
    assert ("C10", "block") in rules(evaluate_birth(data, birth.context(attachments=frozenset())))
    ok = evaluate_birth(data, birth.context(attachments=frozenset({"surrogacy_confirmation"})))
    assert ("C10", "block") not in rules(ok)
    assert ("C10", "block") not in rules(evaluate_birth(data, birth.context()))  # attachments unknown


def test_birth_witness_statement_attachment_replaces_the_certificate() -> None:
    data = birth.birth_data()
    data.pop("birth_certificate")
    data.pop("witness_or_undertaking_attached", None)
    assert ("C10", "block") in rules(evaluate_birth(data, birth.context(attachments=frozenset())))
    found = evaluate_birth(data, birth.context(attachments=frozenset({"witness_statement"})))
    assert ("C10", "block") not in rules(found)


def test_dead_requester_blocks_birth_and_death() -> None:
    ctx = birth.context()
    lookups: dict[str, Any] = {**ctx.lookups, "requester": {**(ctx.record("requester") or {}), **DEAD}}
    assert ("KS-08", "block") in rules(evaluate_birth(birth.birth_data(), birth.context(lookups=lookups)))
    dctx = death.context()
    lookups = {**dctx.lookups, "requester": {**(dctx.record("requester") or {}), **DEAD}}
    assert ("KT-07", "block") in rules(evaluate_death(death.death_data(), death.context(lookups=lookups)))


def test_locked_record_blocks_marriage_even_without_a_date() -> None:
    groom = {**marriage.GROOM, "civil_status_locked": True}
    ctx = marriage.context(lookups={"bride": marriage.BRIDE, "groom": groom})
    assert ("KH-03", "block") in rules(evaluate_marriage(marriage.marriage_data(), ctx))


def test_marital_status_verification_settles_kh04() -> None:
    lookups = {"bride": None, "groom": marriage.GROOM}
    data = marriage.marriage_data()
    assert ("KH-04", "route") in rules(evaluate_marriage(data, marriage.context(lookups=lookups)))
    confirmed = marriage.context(lookups=lookups, marital_verification={"confirmed_single": True})
    assert "KH-04" not in {f.rule for f in evaluate_marriage(data, confirmed)}
    reply = {"confirmed_single": False, "note": "CV 9"}
    denied = marriage.context(lookups=lookups, marital_verification=reply)
    assert ("KH-04", "block") in rules(evaluate_marriage(data, denied))


def test_registry_values_need_not_be_typed() -> None:
    data = marriage.marriage_data()
    data["bride"] = {"personal_id": marriage.BRIDE_ID, "marriage_count": 1}
    assert "C10" not in {f.rule for f in evaluate_marriage(data, marriage.context())}
    ddata = death.death_data()
    ddata["deceased"] = {"personal_id": death.DECEASED_ID}
    assert "C10" not in {f.rule for f in evaluate_death(ddata, death.context())}


def test_death_long_ago_without_notice_but_with_evidence_is_a_warning() -> None:
    data = death.death_data()
    data.pop("death_notice")
    assert ("KT-04", "block") in rules(evaluate_death(data, death.context(attachments=frozenset())))
    found = rules(evaluate_death(data, death.context(attachments=frozenset({"death_evidence"}))))
    assert ("KT-04", "warn") in found and ("KT-04", "block") not in found
