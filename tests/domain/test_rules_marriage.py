import copy
from datetime import date
from typing import Any

import pytest

from app.domain.findings import Finding, blocking
from app.domain.kinship import FunctionKinshipGraph
from app.domain.personal_id import generate
from app.domain.rules import RuleContext, evaluate_handover, evaluate_marriage
from app.domain.rules.marriage import check_registered_marriage

BRIDE_ID = generate("001", "female", 2000, 111111)
GROOM_ID = generate("001", "male", 1998, 222222)
OTHER_ID = generate("001", "female", 1999, 333333)
GROOM_FATHER_ID = generate("001", "male", 1970, 444444)
SHARED_MOTHER_ID = generate("001", "female", 1950, 555555)
REGISTERED_ON = date(2026, 3, 10)


def record(pid: str, name: str, born: str, sex: str, commune: str, **extra: Any) -> dict[str, Any]:
    return {
        "personal_id": pid,
        "full_name": name,
        "birth_date": born,
        "sex": sex,
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "residence_commune_code": commune,
        "marital_status": "single",
        "spouse_personal_id": None,
        "deceased_on": None,
        **extra,
    }


BRIDE = record(BRIDE_ID, "Lê Thu Hà", "2000-05-20", "female", "00070")
GROOM = record(GROOM_ID, "Phạm Quốc Huy", "1998-11-02", "male", "00004")


def marriage_data() -> dict[str, Any]:
    return {
        "bride": {
            "personal_id": BRIDE_ID,
            "full_name": "Lê Thu Hà",
            "birth_date": "2000-05-20",
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
            "residence": "phường Hoàn Kiếm, Hà Nội",
            "marriage_count": 1,
        },
        "groom": {
            "personal_id": GROOM_ID,
            "full_name": "Phạm Quốc Huy",
            "birth_date": "1998-11-02",
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
            "residence": "phường Ba Đình, Hà Nội",
            "marriage_count": 1,
        },
        "requester": {"full_name": "Lê Thu Hà", "personal_id": BRIDE_ID, "relationship": "bride"},
        "copies": 0,
    }


def context(bride: Any = BRIDE, groom: Any = GROOM, **changes: Any) -> RuleContext:
    values: dict[str, Any] = {
        "registration_date": REGISTERED_ON,
        "commune_code": "00070",
        "lookups": {"bride": bride, "groom": groom, "requester": bride},
    }
    values.update(changes)
    return RuleContext(**values)


def rules(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.rule, f.severity) for f in findings}


def test_valid_dossier_has_no_findings() -> None:
    assert evaluate_marriage(marriage_data(), context()) == []


@pytest.mark.parametrize(
    ("role", "born", "registered", "allowed"),
    [
        ("bride", "2008-03-10", date(2026, 3, 10), True),  # 18th birthday itself
        ("bride", "2008-03-11", date(2026, 3, 10), False),  # the day before the 18th birthday
        ("groom", "2006-03-10", date(2026, 3, 10), True),  # 20th birthday itself
        ("groom", "2006-03-11", date(2026, 3, 10), False),
        ("groom", "2007-03-10", date(2026, 3, 10), False),  # a man of 19 years
        ("bride", "2008-02-29", date(2026, 2, 28), False),  # born 29 Feb: not yet 18 on 28 Feb
        ("bride", "2008-02-29", date(2026, 3, 1), True),
    ],
)
def test_kh01_age_boundaries(role: str, born: str, registered: date, allowed: bool) -> None:
    data = marriage_data()
    data[role]["birth_date"] = born
    bride = {**BRIDE, "birth_date": born} if role == "bride" else BRIDE
    groom = {**GROOM, "birth_date": born} if role == "groom" else GROOM
    findings = evaluate_marriage(data, context(bride, groom, registration_date=registered))
    assert (("KH-01", "block") in rules(findings)) is not allowed
    assert all(f.field == f"{role}.birth_date" for f in findings if f.rule == "KH-01")
    assert (findings == []) is allowed


def test_kh01_registry_birth_date_prevails() -> None:
    data = marriage_data()
    data["bride"]["birth_date"] = "2000-05-20"
    findings = evaluate_marriage(data, context(bride={**BRIDE, "birth_date": "2010-01-01"}))
    assert ("KH-01", "block") in rules(findings)
    assert ("C11", "warn") in rules(findings)  # typed birth date differs from the registry


def test_kh04_marriage_registered_since_the_lookup_blocks() -> None:
    # the civil-status DB holds a marriage of the bride with another man, registered after this dossier's
    # registry lookup (which still said "single"): she is married, whatever the stale lookup says
    registered = (
        {"code": "00070-260310-0001", "bride_personal_id": BRIDE_ID, "groom_personal_id": OTHER_ID},
    )
    findings = evaluate_marriage(marriage_data(), context(existing_marriages=registered))
    assert [(f.rule, f.severity, f.field) for f in findings] == [("KH-04", "block", "bride.personal_id")]
    assert "00070-260310-0001" in findings[0].message


def test_kh04_registered_marriage_ended_by_divorce_does_not_block() -> None:
    # the registry shows that marriage ended (the husband is a former spouse): the bride may marry again
    registered = (
        {"code": "00070-250101-0001", "bride_personal_id": BRIDE_ID, "groom_personal_id": OTHER_ID},
    )
    bride = {**BRIDE, "marital_status": "divorced", "former_spouse_personal_ids": [OTHER_ID]}
    data = marriage_data()
    data["bride"]["marriage_count"] = 2
    assert evaluate_marriage(data, context(bride, existing_marriages=registered)) == []


CASES: list[tuple[str, dict[str, Any], dict[str, Any], str, str, str]] = [
    (
        "KH-01 missing birth date",
        {"bride.birth_date": None},
        {"bride": None},
        "KH-01",
        "block",
        "bride.birth_date",
    ),
    (
        "KH-03 deceased",
        {},
        {"groom": {**GROOM, "deceased_on": "2026-01-01"}},
        "KH-03",
        "block",
        "groom.personal_id",
    ),
    (
        "KH-03 lost capacity",
        {},
        {"bride": {**BRIDE, "legal_capacity_lost": True}},
        "KH-03",
        "block",
        "bride.personal_id",
    ),
    (
        "KH-04 married to someone else",
        {},
        {"groom": {**GROOM, "marital_status": "married", "spouse_personal_id": OTHER_ID}},
        "KH-04",
        "block",
        "groom.personal_id",
    ),
    (
        "KH-04 already married to each other",
        {},
        {
            "bride": {**BRIDE, "marital_status": "married", "spouse_personal_id": GROOM_ID},
            "groom": {**GROOM, "marital_status": "married", "spouse_personal_id": BRIDE_ID},
        },
        "KH-04",
        "block",
        "bride.personal_id",
    ),
    ("KH-04 not found → verify", {}, {"bride": None}, "KH-04", "route", "bride.personal_id"),
    ("KH-04 no personal id → verify", {"groom.personal_id": None}, {}, "KH-04", "route", "groom.personal_id"),
    (
        "KH-04 status unknown → verify",
        {},
        {"groom": {**GROOM, "marital_status": None}},
        "KH-04",
        "route",
        "groom.personal_id",
    ),
    ("KH-07 same sex", {}, {"bride": {**BRIDE, "sex": "male"}}, "KH-07", "block", "bride.personal_id"),
    (
        "KH-07 parties swapped",
        {},
        {"bride": {**BRIDE, "sex": "male"}, "groom": {**GROOM, "sex": "female"}},
        "KH-07",
        "block",
        "bride.personal_id",
    ),
    ("KH-08 neither resides here", {}, {"commune_code": "00100"}, "KH-08", "route", "bride.residence"),
    ("KH-09 foreign groom", {"groom.nationality": "Hoa Kỳ"}, {}, "KH-09", "route", "groom.nationality"),
    (
        "KH-10 foreign divorce",
        {"bride.foreign_divorce_recorded": False},
        {},
        "KH-10",
        "block",
        "bride.foreign_divorce_recorded",
    ),
    (
        "KH-11 representative",
        {"requester.relationship": "authorized"},
        {},
        "KH-11",
        "block",
        "requester.relationship",
    ),
    (
        "KH-11 requester not the party",
        {"requester.personal_id": OTHER_ID},
        {},
        "KH-11",
        "block",
        "requester.personal_id",
    ),
    (
        "KH-12 officer is the groom's father",
        {},
        {
            "officer_personal_id": GROOM_FATHER_ID,
            "kinship": FunctionKinshipGraph(
                parents=lambda p: (None, GROOM_FATHER_ID) if p == GROOM_ID else (None, None)
            ),
        },
        "KH-12",
        "block",
        "groom.personal_id",
    ),
    (
        "KH-12 officer is the bride",
        {},
        {"officer_personal_id": BRIDE_ID},
        "KH-12",
        "block",
        "bride.personal_id",
    ),
    (
        "KH-14 first marriage but divorced",
        {},
        {"bride": {**BRIDE, "marital_status": "divorced"}},
        "KH-14",
        "warn",
        "bride.marriage_count",
    ),
    (
        "KH-14 second marriage but single",
        {"groom.marriage_count": 2},
        {},
        "KH-14",
        "warn",
        "groom.marriage_count",
    ),
    ("C10 marriage count", {"groom.marriage_count": 0}, {}, "C10", "block", "groom.marriage_count"),
    ("C10 missing party", {"groom": None}, {"groom": None}, "C10", "block", "groom"),
    (
        "C11 name differs from registry",
        {"groom.full_name": "Phạm Quốc Hùng"},
        {},
        "C11",
        "warn",
        "groom.full_name",
    ),
    ("C11 not in registry", {}, {"bride": None}, "C11", "warn", "bride.personal_id"),
    ("C2 bad id format", {"bride.personal_id": "0012001111111"}, {}, "C2", "block", "bride.personal_id"),
]


def apply(data: dict[str, Any], changes: dict[str, Any]) -> None:
    for path, value in changes.items():
        *parents, last = path.split(".")
        target = data
        for key in parents:
            target = target[key]
        target[last] = value


@pytest.mark.parametrize(
    ("changes", "ctx_changes", "rule", "severity", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule_fires(
    changes: dict[str, Any], ctx_changes: dict[str, Any], rule: str, severity: str, field: str
) -> None:
    data = marriage_data()
    apply(data, changes)
    findings = evaluate_marriage(data, context(**ctx_changes))
    assert (rule, severity) in rules(findings)
    assert field in {f.field for f in findings if f.rule == rule}


def kin_graph(relation: str) -> FunctionKinshipGraph:
    """Bride and groom related as `relation`."""
    parents: dict[str, tuple[str | None, str | None]] = {}
    spouses: dict[str, list[str]] = {}
    adoptive: dict[str, list[str]] = {}
    if relation == "siblings":
        parents = {BRIDE_ID: (SHARED_MOTHER_ID, None), GROOM_ID: (SHARED_MOTHER_ID, None)}
    elif relation == "first_cousins":
        parents = {
            BRIDE_ID: ("A", None),
            GROOM_ID: ("B", None),
            "A": (SHARED_MOTHER_ID, None),
            "B": (SHARED_MOTHER_ID, None),
        }
    elif relation == "second_cousins":
        parents = {
            BRIDE_ID: ("A", None),
            GROOM_ID: ("B", None),
            "A": ("C", None),
            "B": ("D", None),
            "C": (SHARED_MOTHER_ID, None),
            "D": (SHARED_MOTHER_ID, None),
        }
    elif relation == "step_parent":  # the groom was married to the bride's mother... (stepfather)
        parents = {BRIDE_ID: (SHARED_MOTHER_ID, None)}
        spouses = {GROOM_ID: [SHARED_MOTHER_ID], SHARED_MOTHER_ID: [GROOM_ID]}
    elif relation == "adoptive":
        adoptive = {BRIDE_ID: [GROOM_ID]}
    elif relation == "former_spouses":
        spouses = {GROOM_ID: [BRIDE_ID], BRIDE_ID: [GROOM_ID]}
    return FunctionKinshipGraph(
        parents=lambda p: parents.get(p, (None, None)),
        adoptive_parents=lambda p: adoptive.get(p, []),
        spouses=lambda p: spouses.get(p, []),
    )


@pytest.mark.parametrize(
    ("relation", "barred"),
    [
        ("siblings", True),
        ("first_cousins", True),
        ("step_parent", True),
        ("adoptive", True),
        ("second_cousins", False),
        ("former_spouses", False),
        ("unrelated", False),
    ],
)
def test_kh05_prohibited_kinship(relation: str, barred: bool) -> None:
    findings = evaluate_marriage(marriage_data(), context(kinship=kin_graph(relation)))
    assert (("KH-05", "block") in rules(findings)) is barred
    assert (findings == []) is not barred


@pytest.mark.parametrize(
    ("handover", "expected"),
    [
        ({"bride_present": True, "groom_present": True, "voluntary_confirmed": True}, set()),
        ({"bride_present": True, "groom_present": False, "voluntary_confirmed": True}, {"KH-11"}),
        ({"bride_present": True, "groom_present": True, "voluntary_confirmed": False}, {"KH-02"}),
        ({}, {"KH-02", "KH-11"}),
    ],
)
def test_handover(handover: dict[str, Any], expected: set[str]) -> None:
    findings = evaluate_handover(handover)
    assert {f.rule for f in findings} == expected
    assert all(f.severity == "block" for f in findings)


def test_kh13_registry_after_registration() -> None:
    bride = {**BRIDE, "marital_status": "married", "spouse_personal_id": GROOM_ID}
    groom = {**GROOM, "marital_status": "married", "spouse_personal_id": BRIDE_ID}
    assert check_registered_marriage(bride, groom) == []
    findings = check_registered_marriage(bride, GROOM, date(2026, 3, 10))
    assert [(f.rule, f.severity, f.field) for f in findings] == [("KH-13", "block", "groom.personal_id")]


def test_remarriage_after_divorce_is_fine() -> None:
    data = marriage_data()
    data["groom"]["marriage_count"] = 2
    assert evaluate_marriage(data, context(groom={**GROOM, "marital_status": "divorced"})) == []


def test_groom_may_submit() -> None:
    data = marriage_data()
    data["requester"] = {"full_name": "Phạm Quốc Huy", "personal_id": GROOM_ID, "relationship": "groom"}
    assert (
        evaluate_marriage(data, context(lookups={"bride": BRIDE, "groom": GROOM, "requester": GROOM})) == []
    )


@pytest.mark.parametrize(
    "garbage",
    [
        {},
        {"bride": "x", "groom": 3, "requester": []},
        {"bride": {"personal_id": ["x"], "marriage_count": "many"}, "requester": {"relationship": ["bride"]}},
    ],
)
def test_garbled_data_gives_findings_not_exceptions(garbage: dict[str, Any]) -> None:
    findings = evaluate_marriage(garbage, context(lookups={"bride": {"sex": ["f"], "marital_status": {}}}))
    assert blocking(findings)
    assert all(f.field for f in findings)


def test_data_is_not_mutated() -> None:
    data = marriage_data()
    before = copy.deepcopy(data)
    evaluate_marriage(data, context())
    assert data == before
