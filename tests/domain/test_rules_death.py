import copy
from datetime import date
from typing import Any

import pytest

from app.domain.findings import Finding, blocking
from app.domain.kinship import FunctionKinshipGraph
from app.domain.personal_id import generate
from app.domain.rules import RuleContext, evaluate_death

DECEASED_ID = generate("001", "male", 1940, 333333)
CHILD_ID = generate("001", "female", 1970, 444444)
BABY_ID = generate("001", "female", 2026, 555555)
REGISTERED_ON = date(2026, 3, 10)

DECEASED = {
    "personal_id": DECEASED_ID,
    "full_name": "Hoàng Văn Tư",
    "birth_date": "1940-01-15",
    "sex": "male",
    "ethnicity": "Kinh",
    "nationality": "Việt Nam",
    "residence_commune_code": "00070",
    "marital_status": "married",
    "deceased_on": None,
    "civil_status_locked": False,
}
REQUESTER = {
    "personal_id": CHILD_ID,
    "full_name": "Hoàng Thị Lan",
    "birth_date": "1970-06-01",
    "sex": "female",
}


NOT_LOOKED_UP: dict[str, Any] = {"lookups": {"requester": REQUESTER}}


def death_data(died: str = "2026-03-01T08:30:00+07:00", issued: str = "2026-03-01") -> dict[str, Any]:
    return {
        "deceased": {
            "personal_id": DECEASED_ID,
            "full_name": "Hoàng Văn Tư",
            "sex": "male",
            "birth_date": "1940-01-15",
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
            "last_residence": "phường Hoàn Kiếm, Hà Nội",
        },
        "death": {"at": died, "place": "Bệnh viện Bạch Mai, Hà Nội", "cause": "Bệnh già"},
        "death_notice": {
            "number": "45/GBT",
            "issuer_type": "health_facility",
            "issuer": "Bệnh viện Bạch Mai",
            "issued_on": issued,
        },
        "requester": {"full_name": "Hoàng Thị Lan", "personal_id": CHILD_ID, "relationship": "child"},
        "copies": 2,
    }


def context(**changes: Any) -> RuleContext:
    values: dict[str, Any] = {
        "registration_date": REGISTERED_ON,
        "commune_code": "00070",
        "lookups": {"deceased": DECEASED, "requester": REQUESTER},
    }
    values.update(changes)
    return RuleContext(**values)


def rules(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.rule, f.severity) for f in findings}


def test_valid_dossier_has_no_findings() -> None:
    assert evaluate_death(death_data(), context()) == []


@pytest.mark.parametrize(
    ("died", "registered", "late"),
    [
        ("2026-02-23", date(2026, 3, 10), False),  # day 15
        ("2026-02-23", date(2026, 3, 11), True),  # day 16
        ("2026-02-23T23:59:00+07:00", date(2026, 3, 10), False),
        ("2026-02-22T17:30:00Z", date(2026, 3, 10), False),  # 00:30 on 23 Feb in Hà Nội
        ("2026-02-05", date(2026, 2, 23), False),  # day 15 = 20 Feb (Tết) → Monday 23 Feb
        ("2026-02-05", date(2026, 2, 24), True),
    ],
)
def test_kt03_late_flag_boundaries(died: str, registered: date, late: bool) -> None:
    findings = evaluate_death(death_data(died, registered.isoformat()), context(registration_date=registered))
    assert (("KT-03", "flag") in rules(findings)) is late
    assert blocking(findings) == []


def test_kt03_counts_to_the_day_the_dossier_was_received() -> None:
    # died 23 Feb, received on day 15 (10 Mar), examined on day 16: registered in time (LHT Art. 33(1))
    data = death_data("2026-02-23T07:00:00+07:00", "2026-02-23")
    ctx = context(registration_date=date(2026, 3, 11), received_on=date(2026, 3, 10))
    assert "KT-03" not in {f.rule for f in evaluate_death(data, ctx)}
    ctx = context(registration_date=date(2026, 3, 12), received_on=date(2026, 3, 11))
    assert ("KT-03", "flag") in rules(evaluate_death(data, ctx))


CASES: list[tuple[str, dict[str, Any], dict[str, Any], str, str, str]] = [
    ("KT-01 other commune", {}, {"commune_code": "00004"}, "KT-01", "route", "deceased.last_residence"),
    ("KT-02 missing", {"death.at": None}, {}, "KT-02", "block", "death.at"),
    ("KT-02 garbled", {"death.at": "hôm qua"}, {}, "KT-02", "block", "death.at"),
    (
        "KT-02 after registration",
        {"death.at": "2026-03-11", "death_notice.issued_on": "2026-03-11"},
        {},
        "KT-02",
        "block",
        "death.at",
    ),
    (
        "KT-02 before birth",
        {"death.at": "1939-12-31", "death_notice.issued_on": "1940-01-02"},
        {},
        "KT-02",
        "block",
        "death.at",
    ),
    (
        "KT-02 before birth year",
        {"deceased.personal_id": None, "deceased.birth_date": None, "deceased.birth_year": 2027},
        {},
        "KT-02",
        "block",
        "death.at",
    ),
    ("KT-04 no notice", {"death_notice": None}, {}, "KT-04", "block", "death_notice"),
    (
        "KT-04 notice before death",
        {"death_notice.issued_on": "2026-02-28"},
        {},
        "KT-04",
        "block",
        "death_notice.issued_on",
    ),
    ("KT-04 notice number", {"death_notice.number": ""}, {}, "KT-04", "block", "death_notice.number"),
    ("KT-04 place", {"death.place": None}, {}, "KT-04", "block", "death.place"),
    ("KT-04 cause", {"death.cause": " "}, {}, "KT-04", "block", "death.cause"),
    (
        "KT-05 issuer type",
        {"death_notice.issuer_type": "hospital"},
        {},
        "KT-05",
        "block",
        "death_notice.issuer_type",
    ),
    (
        "KT-06 already registered",
        {},
        {"existing_deaths": [{"number": "7", "registered_on": "2026-03-02"}]},
        "KT-06",
        "block",
        "deceased.personal_id",
    ),
    (
        "KT-06 registry says deceased",
        {},
        {"lookups": {"deceased": {**DECEASED, "deceased_on": "2026-03-01"}}},
        "KT-06",
        "block",
        "deceased.personal_id",
    ),
    (
        "KT-06 record locked",
        {},
        {"lookups": {"deceased": {**DECEASED, "civil_status_locked": True}}},
        "KT-06",
        "block",
        "deceased.personal_id",
    ),
    ("KT-07 missing", {"requester.relationship": None}, {}, "KT-07", "block", "requester.relationship"),
    ("KT-07 invalid", {"requester.relationship": "friend"}, {}, "KT-07", "block", "requester.relationship"),
    (
        "KT-07 agent without authorisation",
        {"requester.relationship": "authorized"},
        {},
        "KT-07",
        "block",
        "authorization_attached",
    ),
    (
        "KT-07 requester is the deceased",
        {"requester.personal_id": DECEASED_ID, "requester.full_name": "Hoàng Văn Tư"},
        {"lookups": {"deceased": DECEASED, "requester": DECEASED}},
        "KT-07",
        "block",
        "requester.personal_id",
    ),
    (
        "KT-08 13 digits",
        {"deceased.personal_id": "0010403333331"},
        {},
        "KT-08",
        "block",
        "deceased.personal_id",
    ),
    ("KT-08 not found", {}, {"lookups": {"deceased": None}}, "KT-08", "block", "deceased.personal_id"),
    (
        "KT-08 name differs",
        {"deceased.full_name": "Hoàng Văn Tứ"},
        {},
        "KT-08",
        "block",
        "deceased.full_name",
    ),
    ("KT-08 sex differs", {"deceased.sex": "female"}, {}, "KT-08", "block", "deceased.sex"),
    (
        "KT-08 birth date differs",
        {"deceased.birth_date": "1941-01-15"},
        {},
        "KT-08",
        "block",
        "deceased.birth_date",
    ),
    (
        "KT-08 id structure",
        {},
        {"lookups": {"deceased": {**DECEASED, "birth_date": "1941-01-15"}}},
        "KT-08",
        "warn",
        "deceased.personal_id",
    ),
    ("KT-10 foreigner", {"deceased.nationality": "Nhật Bản"}, {}, "KT-10", "route", "deceased.nationality"),
    ("KT-11 lunar date", {"death.calendar": "lunar"}, {}, "KT-11", "block", "death.at"),
    (
        "KT-12 officer is the deceased's child",
        {},
        {
            "officer_personal_id": CHILD_ID,
            "kinship": FunctionKinshipGraph(
                parents=lambda p: (None, DECEASED_ID) if p == CHILD_ID else (None, None)
            ),
        },
        "KT-12",
        "block",
        "deceased.personal_id",
    ),
    (
        "C11 requester not found",
        {},
        {"lookups": {"deceased": DECEASED, "requester": None}},
        "C11",
        "warn",
        "requester.personal_id",
    ),
    # not in the registry either (what the registry holds needs not be typed)
    ("C10 sex", {"deceased.sex": None}, NOT_LOOKED_UP, "C10", "block", "deceased.sex"),
    (
        "C10 no birth date or year",
        {"deceased.birth_date": None},
        NOT_LOOKED_UP,
        "C10",
        "block",
        "deceased.birth_date",
    ),
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
    data = death_data()
    apply(data, changes)
    findings = evaluate_death(data, context(**ctx_changes))
    assert (rule, severity) in rules(findings)
    assert field in {f.field for f in findings if f.rule == rule}


def newborn(born: str, died: str) -> dict[str, Any]:
    data = death_data(died, died[:10])
    data["deceased"] = {
        "full_name": "Nguyễn Thị Bé",
        "sex": "female",
        "birth_date": born,
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "last_residence": "phường Hoàn Kiếm",
    }
    data["requester"]["relationship"] = "parent"
    return data


@pytest.mark.parametrize(
    ("born", "died", "registered", "expected"),
    [
        ("2026-03-01", "2026-03-05", False, ("KT-09", "block")),  # lived days, no birth registration
        ("2026-03-01", "2026-03-05", True, None),
        ("2026-03-01", "2026-03-05", None, ("KT-09", "warn")),
        ("2026-03-01", "2026-03-02", False, ("KT-09", "warn")),  # maybe under 24 h: check the hours
        ("2026-03-01", "2026-03-01T20:00:00+07:00", None, ("KT-09", "info")),  # died on the day of birth
        ("2024-03-01", "2026-03-05", False, None),  # not a newborn
    ],
)
def test_kt09_newborn(
    born: str, died: str, registered: bool | None, expected: tuple[str, str] | None
) -> None:
    ctx = context(lookups={"requester": REQUESTER}, registry_birth_registered=registered)
    found = {(f.rule, f.severity) for f in evaluate_death(newborn(born, died), ctx) if f.rule == "KT-09"}
    assert found == ({expected} if expected else set())


def test_kt09_registry_record_means_birth_was_registered() -> None:
    data = newborn("2026-03-01", "2026-03-05")
    data["deceased"]["personal_id"] = BABY_ID
    baby = {
        "personal_id": BABY_ID,
        "full_name": "Nguyễn Thị Bé",
        "birth_date": "2026-03-01",
        "sex": "female",
        "nationality": "Việt Nam",
        "residence_commune_code": "00070",
    }
    assert evaluate_death(data, context(lookups={"deceased": baby, "requester": REQUESTER})) == []


def test_without_personal_id_needs_no_registry() -> None:
    data = death_data()
    data["deceased"]["personal_id"] = None
    data["deceased"]["birth_date"] = None
    data["deceased"]["birth_year"] = 1940
    assert evaluate_death(data, context(lookups={"requester": REQUESTER})) == []


@pytest.mark.parametrize(
    "issuer_type", ["health_facility", "execution_council", "court", "police", "commune"]
)
def test_kt05_accepts_every_issuer_of_nd123_art4(issuer_type: str) -> None:
    data = death_data()
    data["death_notice"]["issuer_type"] = issuer_type
    assert evaluate_death(data, context()) == []


@pytest.mark.parametrize(
    "garbage",
    [
        {},
        {"deceased": "x", "death": 5, "death_notice": [], "requester": None},
        {
            "deceased": {"personal_id": 123, "sex": ["m"]},
            "death": {"at": 20260301},
            "requester": {"relationship": {}},
        },
    ],
)
def test_garbled_data_gives_findings_not_exceptions(garbage: dict[str, Any]) -> None:
    findings = evaluate_death(garbage, context())
    assert blocking(findings)
    assert all(f.field for f in findings)


def test_data_is_not_mutated() -> None:
    data = death_data()
    before = copy.deepcopy(data)
    evaluate_death(data, context())
    assert data == before
