import copy
import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from app.domain.date_words import date_in_words
from app.domain.findings import Finding, blocking
from app.domain.kinship import FunctionKinshipGraph
from app.domain.personal_id import generate
from app.domain.rules import RuleContext, evaluate_birth

MOTHER_ID = generate("001", "female", 1995, 123456)
FATHER_ID = generate("001", "male", 1993, 654321)
UNCLE_ID = generate("001", "male", 1990, 111111)  # the mother's brother
GRANDMA_ID = generate("001", "female", 1965, 222222)
REGISTERED_ON = date(2026, 3, 10)
BORN = date(2026, 2, 20)

MOTHER = {
    "personal_id": MOTHER_ID,
    "full_name": "Trần Thị Bình",
    "birth_date": "1995-04-02",
    "sex": "female",
    "ethnicity": "Kinh",
    "nationality": "Việt Nam",
    "residence_commune_code": "00070",
    "marital_status": "married",
    "spouse_personal_id": FATHER_ID,
    "mother_personal_id": GRANDMA_ID,
}
FATHER = {
    "personal_id": FATHER_ID,
    "full_name": "Nguyễn Văn An",
    "birth_date": "1993-08-15",
    "sex": "male",
    "ethnicity": "Kinh",
    "nationality": "Việt Nam",
    "residence_commune_code": "00070",
    "marital_status": "married",
    "spouse_personal_id": MOTHER_ID,
}


def birth_data(born: date = BORN) -> dict[str, Any]:
    return {
        "child": {
            "full_name": "Nguyễn Minh Khôi",
            "birth_date": born.isoformat(),
            "sex": "male",
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
            "birth_place": "Bệnh viện Phụ sản Hà Nội, phường Láng, thành phố Hà Nội",
            "home_town": "xã Thanh Oai, thành phố Hà Nội",
            "birth_date_in_words": date_in_words(born),
        },
        "mother": {"personal_id": MOTHER_ID, "full_name": "Trần Thị Bình"},
        "father": {"personal_id": FATHER_ID, "full_name": "Nguyễn Văn An"},
        "requester": {"full_name": "Trần Thị Bình", "personal_id": MOTHER_ID, "relationship": "mother"},
        "parents_marriage": {"number": "12", "book": "01/2020", "date": "2020-05-01", "place": "UBND phường"},
        "birth_certificate": {
            "number": "123/GCS",
            "issuer": "Bệnh viện Phụ sản Hà Nội",
            "issued_on": born.isoformat(),
        },
        "special_case": None,
        "copies": 1,
    }


def context(**changes: Any) -> RuleContext:
    values: dict[str, Any] = {
        "registration_date": REGISTERED_ON,
        "commune_code": "00070",
        "lookups": {
            "mother": MOTHER,
            "father": FATHER,
            "requester": MOTHER,
            "parents_marriage": {"number": "12"},
        },
    }
    values.update(changes)
    return RuleContext(**values)


def rules(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.rule, f.severity) for f in findings}


def fields(findings: list[Finding], rule: str) -> set[str | None]:
    return {f.field for f in findings if f.rule == rule}


def test_valid_dossier_has_no_findings() -> None:
    assert evaluate_birth(birth_data(), context()) == []


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target = data
    for key in parents:
        target = target[key]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value


DELETE = object()

# (case id, data changes {path: value}, context changes, expected rule, severity, field)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str, str, str]] = [
    ("KS-01 other commune", {}, {"commune_code": "00004"}, "KS-01", "route", "mother.residence"),
    ("KS-02 missing", {"child.birth_date": None}, {}, "KS-02", "block", "child.birth_date"),
    ("KS-02 garbled", {"child.birth_date": "2026-02-30"}, {}, "KS-02", "block", "child.birth_date"),
    (
        "KS-02 future",
        {
            "child.birth_date": "2026-03-11",
            "child.birth_date_in_words": date_in_words(date(2026, 3, 11)),
            "birth_certificate.issued_on": "2026-03-11",
        },
        {},
        "KS-02",
        "block",
        "child.birth_date",
    ),
    (
        "KS-02 certificate before birth",
        {"birth_certificate.issued_on": "2026-02-19"},
        {},
        "KS-02",
        "block",
        "birth_certificate.issued_on",
    ),
    (
        "KS-04 no parents",
        {"mother": None, "father": None, "requester.relationship": "grandparent"},
        {},
        "KS-04",
        "block",
        "mother",
    ),
    ("KS-04 blank father", {"father": None}, {}, "KS-04", "block", "father"),
    ("KS-04 father_unknown with father", {"special_case": "father_unknown"}, {}, "KS-04", "block", "father"),
    (
        "KS-04 blank mother",
        {
            "mother": None,
            "requester.relationship": "father",
            "requester.personal_id": FATHER_ID,
            "requester.full_name": "Nguyễn Văn An",
        },
        {},
        "KS-04",
        "block",
        "mother",
    ),
    (
        "KS-05 mother born after child",
        {},
        {"lookups": {"mother": {**MOTHER, "birth_date": "2026-02-21"}, "father": FATHER}},
        "KS-05",
        "block",
        "mother.birth_year",
    ),
    (
        "KS-05 mother aged 11",
        {},
        {"lookups": {"mother": {**MOTHER, "birth_date": "2014-06-01"}, "father": FATHER}},
        "KS-05",
        "warn",
        "mother.birth_year",
    ),
    (
        "KS-06 father unknown, surname not mother's",
        {"father": None, "special_case": "father_unknown"},
        {},
        "KS-06",
        "block",
        "child.full_name",
    ),
    (
        "KS-06 surname follows neither",
        {"child.full_name": "Lý Minh Khôi"},
        {},
        "KS-06",
        "warn",
        "child.full_name",
    ),
    ("KS-06 ethnicity follows neither", {"child.ethnicity": "Tày"}, {}, "KS-06", "warn", "child.ethnicity"),
    ("KS-07 digits", {"child.full_name": "Nguyễn Minh Khôi 2"}, {}, "KS-07", "warn", "child.full_name"),
    (
        "KS-07 too long",
        {"child.full_name": "Nguyễn Trần Lê Phạm Hoàng Minh Khôi"},
        {},
        "KS-07",
        "warn",
        "child.full_name",
    ),
    ("KS-07 foreign script", {"child.full_name": "Nguyễn 明"}, {}, "KS-07", "warn", "child.full_name"),
    ("KS-08 missing", {"requester.relationship": None}, {}, "KS-08", "block", "requester.relationship"),
    (
        "KS-08 invalid",
        {"requester.relationship": "neighbour"},
        {},
        "KS-08",
        "block",
        "requester.relationship",
    ),
    (
        "KS-08 agent without authorisation",
        {"requester.relationship": "authorized"},
        {},
        "KS-08",
        "block",
        "authorization_attached",
    ),
    (
        "KS-08 'mother' is someone else",
        {"requester.personal_id": GRANDMA_ID, "requester.full_name": "Trần Thị Lụa"},
        {"lookups": {"mother": MOTHER, "father": FATHER}},
        "KS-08",
        "block",
        "requester.relationship",
    ),
    ("KS-09 13 digits", {"mother.personal_id": "0011951234567"}, {}, "KS-09", "block", "mother.personal_id"),
    ("KS-09 letters", {"father.personal_id": "00109365432a"}, {}, "KS-09", "block", "father.personal_id"),
    (
        "KS-09 not in registry",
        {},
        {"lookups": {"mother": None, "father": FATHER, "requester": None}},
        "KS-09",
        "warn",
        "mother.personal_id",
    ),
    ("KS-09 name differs", {"father.full_name": "Nguyễn Văn Ân"}, {}, "KS-09", "warn", "father.full_name"),
    (
        "KS-09 id contradicts sex",
        {},
        {"lookups": {"mother": MOTHER, "father": {**FATHER, "sex": "female"}}},
        "KS-09",
        "warn",
        "father.personal_id",
    ),
    (
        "KS-10 duplicate",
        {},
        {
            "existing_births": [
                {"full_name": "NGUYỄN MINH KHÔI", "birth_date": "2026-02-20", "mother_personal_id": MOTHER_ID}
            ]
        },
        "KS-10",
        "block",
        "child.full_name",
    ),
    (
        "KS-11 marriage not found",
        {},
        {"lookups": {"mother": MOTHER, "father": FATHER, "parents_marriage": None}},
        "KS-11",
        "warn",
        "parents_marriage.number",
    ),
    (
        "KS-11 garbled date",
        {"parents_marriage.date": "01/05/2020"},
        {},
        "KS-11",
        "warn",
        "parents_marriage.date",
    ),
    (
        "KS-12 words differ",
        {"child.birth_date_in_words": "Ngày hai mươi mốt, tháng hai, năm hai nghìn không trăm hai mươi sáu"},
        {},
        "KS-12",
        "block",
        "child.birth_date_in_words",
    ),
    ("KS-13 foreign child", {"child.nationality": "Hàn Quốc"}, {}, "KS-13", "route", "child.nationality"),
    (
        "KS-13 foreign father",
        {},
        {"lookups": {"mother": MOTHER, "father": {**FATHER, "nationality": "Trung Quốc"}}},
        "KS-13",
        "route",
        "father.nationality",
    ),
    (
        "KS-14 officer is the mother",
        {},
        {"officer_personal_id": MOTHER_ID},
        "KS-14",
        "block",
        "mother.personal_id",
    ),
    (
        "KS-14 officer is the mother's brother",
        {},
        {
            "officer_personal_id": UNCLE_ID,
            "kinship": FunctionKinshipGraph(
                parents=lambda pid: {MOTHER_ID: (GRANDMA_ID, None), UNCLE_ID: (GRANDMA_ID, None)}.get(
                    pid, (None, None)
                )
            ),
        },
        "KS-14",
        "block",
        "mother.personal_id",
    ),
    ("KS-15 missing place", {"child.birth_place": ""}, {}, "KS-15", "warn", "child.birth_place"),
    (
        "KS-15 old three-level place",
        {"child.birth_place": "Trạm y tế xã Tả Van, huyện Sa Pa"},
        {},
        "KS-15",
        "warn",
        "child.birth_place",
    ),
    (
        "KS-16 newborn lived and died",
        {"child.died_at": "2026-02-23T10:00:00+07:00"},
        {},
        "KS-16",
        "info",
        "child.died_at",
    ),
    (
        "C10 no birth certificate or witness",
        {"birth_certificate": None},
        {},
        "C10",
        "block",
        "birth_certificate",
    ),
    ("C10 sex", {"child.sex": "nam"}, {}, "C10", "block", "child.sex"),
    ("C10 copies", {"copies": -1}, {}, "C10", "block", "copies"),
    ("C10 special case", {"special_case": "twins"}, {}, "C10", "block", "special_case"),
    ("C10 home town", {"child.home_town": "  "}, {}, "C10", "block", "child.home_town"),
]


@pytest.mark.parametrize(
    ("changes", "ctx_changes", "rule", "severity", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule_fires(
    changes: dict[str, Any], ctx_changes: dict[str, Any], rule: str, severity: str, field: str
) -> None:
    data = birth_data()
    for path, value in changes.items():
        set_path(data, path, value)
    findings = evaluate_birth(data, context(**ctx_changes))
    assert (rule, severity) in rules(findings)
    assert field in fields(findings, rule)
    assert all(f.message and f.field for f in findings if f.rule == rule)


def test_every_block_rule_of_the_table_is_exercised() -> None:
    blocks = {c[3] for c in CASES if c[4] == "block"}
    assert {"KS-02", "KS-04", "KS-05", "KS-08", "KS-09", "KS-10", "KS-12", "KS-14"} <= blocks


@pytest.mark.parametrize(
    ("born", "registered", "late"),
    [
        (date(2026, 1, 5), date(2026, 3, 6), False),  # day 60 (a Friday)
        (date(2026, 1, 5), date(2026, 3, 7), True),  # day 61
        (date(2025, 12, 18), date(2026, 2, 23), False),  # day 60 = 16 Feb, Tết → moves to Monday 23 Feb
        (date(2025, 12, 18), date(2026, 2, 24), True),
    ],
)
def test_ks03_late_flag_boundaries(born: date, registered: date, late: bool) -> None:
    findings = evaluate_birth(birth_data(born), context(registration_date=registered))
    assert (("KS-03", "flag") in rules(findings)) is late
    assert blocking(findings) == []


def test_ks03_counts_to_the_day_the_dossier_was_received() -> None:
    # received on day 60, examined on day 61: the parents registered in time (LHT Art. 15(1))
    received = context(registration_date=date(2026, 3, 7), received_on=date(2026, 3, 6))
    assert "KS-03" not in {f.rule for f in evaluate_birth(birth_data(date(2026, 1, 5)), received)}
    late = context(registration_date=date(2026, 3, 9), received_on=date(2026, 3, 7))
    assert ("KS-03", "flag") in rules(evaluate_birth(birth_data(date(2026, 1, 5)), late))


def test_ks01_block_when_no_parent_residence_known() -> None:
    data = birth_data()
    data["mother"] = {
        "full_name": "Trần Thị Bình",
        "birth_year": 1995,
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
    }
    data["father"] = {
        "full_name": "Nguyễn Văn An",
        "birth_year": 1993,
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
    }
    data["requester"] = {"full_name": "Trần Thị Bình", "relationship": "mother"}
    findings = evaluate_birth(data, context(lookups={}))
    assert rules(findings) == {("KS-01", "block")}
    data["mother"]["residence"] = "phường Hoàn Kiếm, thành phố Hà Nội"
    assert evaluate_birth(data, context(lookups={})) == []


@pytest.mark.parametrize(("birth_year", "severity"), [(2026, "block"), (2015, "warn"), (2014, None)])
def test_ks05_typed_birth_year(birth_year: int, severity: str | None) -> None:
    data = birth_data()
    data["father"] = {
        "full_name": "Nguyễn Văn An",
        "birth_year": birth_year,
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "residence": "Hà Nội",
    }
    found = {f.severity for f in evaluate_birth(data, context()) if f.rule == "KS-05"}
    assert found == ({severity} if severity else set())


def test_father_unknown_path_is_clean() -> None:
    data = birth_data()
    data["father"] = None
    data["special_case"] = "father_unknown"
    data["child"]["full_name"] = "Trần Minh Khôi"
    assert evaluate_birth(data, context(lookups={"mother": MOTHER, "requester": MOTHER})) == []


def test_abandoned_child_needs_no_parents() -> None:
    data = birth_data()
    data.update(mother=None, father=None, special_case="abandoned", birth_certificate=None)
    data["requester"] = {"full_name": "Phạm Văn Cường", "relationship": "carer"}
    assert evaluate_birth(data, context(lookups={})) == []


def test_authorised_agent_with_document_and_witness_instead_of_certificate() -> None:
    data = birth_data()
    data["requester"] = {"full_name": "Phạm Văn Cường", "relationship": "authorized"}
    data["authorization_attached"] = True
    data["birth_certificate"] = None
    data["witness_or_undertaking_attached"] = True
    assert evaluate_birth(data, context()) == []


def test_accepted_date_word_variants_and_old_birth_place() -> None:
    born = date(2024, 3, 5)
    data = birth_data(born)
    data["child"]["birth_date_in_words"] = "ngày mồng năm tháng ba năm hai ngàn không trăm hai mươi bốn"
    data["child"]["birth_place"] = "Trạm y tế xã Tả Van, huyện Sa Pa, tỉnh Lào Cai"
    findings = evaluate_birth(data, context(registration_date=date(2024, 4, 1)))
    assert findings == []


def test_nfd_input_matches_registry_names() -> None:
    data = birth_data()
    data["mother"]["full_name"] = unicodedata.normalize("NFD", "Trần Thị Bình")
    data["child"]["full_name"] = unicodedata.normalize("NFD", " Nguyễn Minh Khôi ")
    assert evaluate_birth(data, context()) == []


def test_duplicate_with_another_mother_is_not_a_duplicate() -> None:
    other = [{"full_name": "Nguyễn Minh Khôi", "birth_date": "2026-02-20", "mother_personal_id": GRANDMA_ID}]
    assert evaluate_birth(birth_data(), context(existing_births=other)) == []


def test_unrelated_officer_is_fine() -> None:
    graph = FunctionKinshipGraph(parents=lambda pid: (None, None))
    assert evaluate_birth(birth_data(), context(officer_personal_id=UNCLE_ID, kinship=graph)) == []


@pytest.mark.parametrize(
    "garbage",
    [
        {},
        {
            "child": "garbage",
            "mother": 5,
            "father": [],
            "requester": None,
            "birth_certificate": "x",
            "copies": "2",
        },
        {"child": {"birth_date": 20260220, "full_name": None}, "mother": {"personal_id": 123}},
        {"child": {"birth_date": "2026-02-20"}, "parents_marriage": "yes", "special_case": ["x"]},
    ],
)
def test_garbled_data_gives_findings_not_exceptions(garbage: dict[str, Any]) -> None:
    findings = evaluate_birth(garbage, context())
    assert blocking(findings)
    assert all(f.field for f in blocking(findings))


def test_data_is_not_mutated() -> None:
    data = birth_data()
    before = copy.deepcopy(data)
    evaluate_birth(data, context())
    assert data == before


def test_to_dict_payload_for_api() -> None:
    data = birth_data()
    data["child"]["birth_date"] = None
    payload = [f.to_dict() for f in evaluate_birth(data, context())]
    assert {
        "rule": "KS-02",
        "severity": "block",
        "field": "child.birth_date",
        "message": "Thiếu ngày, tháng, năm sinh của trẻ.",
    } in payload


Mutation = Callable[[dict[str, Any]], None]


def test_ks13_declared_born_abroad_routes_law_rules() -> None:
    from datetime import date

    from app.domain.rules import RuleContext, evaluate_birth

    data = {"child": {"birth_place": "Seoul", "born_abroad": True, "nationality": "Việt Nam"}}
    ctx = RuleContext(registration_date=date(2026, 3, 10), commune_code="00070", lookups={})
    found = [f for f in evaluate_birth(data, ctx) if f.rule == "KS-13"]
    assert [f.severity for f in found] == ["route"] and "2.000528" in found[0].message
