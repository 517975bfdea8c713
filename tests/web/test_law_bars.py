"""Issue 8 §2–3 through the API, where the official sees it: marriage bars of HN&GĐ Art. 5(2)(d) and 8(1)(c),
the parents' sex, who may declare a birth, the foreign element, and no relative of the signer deciding.

Persons are the demo registry's "law-rules" cases (app/services/seed.py DEMO_CASE_PERSONS, README). The fixed
clock's date is 2026-03-10.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.extensions import db
from app.models import User
from tests.api_client import Api, birth_submission
from tests.services.procedures import (
    AN,
    CHAIRMAN,
    DUNG,
    MAI,
    OFFICER,
    SIGN,
    accept,
    blocked_rules,
    complete,
    dossier,
    marriage_submission,
    new_person,
    rule_ids,
    submit,
)

THO = ("001055200001", "Phạm Văn Thọ")  # father of the late Tùng
XUAN = ("001182200003", "Nguyễn Thị Xuân")  # Tùng's widow
MAN = ("001162200004", "Đoàn Thị Mận")  # mother of Diệp
LONG = ("001085200006", "Trịnh Văn Long")  # divorced from Diệp
TAM = ("001065200007", "Cao Văn Tâm")  # widower of Quyên
GIANG = ("001300200009", "Hà Thu Giang")  # Quyên's daughter
BAO = ("001070200010", "Kiều Văn Bảo")  # adoptive father of Lam
LAM = ("001199200011", "Kiều Thị Lam")
KHANH = ("001090200012", "Mai Văn Khánh")  # lost civil act capacity
NGAN = ("001195200013", "Tạ Thị Ngân")  # limited capacity
HUY = ("001070100001", "Lê Quang Huy")  # chairman.hoankiem
HONG = ("001198100004", "Lê Thị Hồng")  # Huy's daughter
QUAN = ("001096100005", "Đinh Văn Quân")  # Hồng's husband
PHUC = ("001090100008", "Tô Văn Phúc")  # parents known, no relative of Hồng or Quân
THANH_WIFE = ("001172100003", "Nguyễn Thị Thanh")  # Huy's wife


def prepared(api: Api, app: Any, payload: dict[str, Any]) -> str:
    code = submit(api, app, payload)
    accept(api, code)
    return code


def kh05_message(api: Api, code: str) -> str:
    return next(f["message"] for f in dossier(api, code)["findings"] if f["rule"] == "KH-05")


@pytest.mark.parametrize(
    ("bride", "groom", "relation"),
    [
        pytest.param(
            XUAN, THO, "cha chồng với con dâu", id="father-in-law and widowed daughter-in-law (death)"
        ),
        pytest.param(MAN, LONG, "mẹ vợ với con rể", id="mother-in-law and former son-in-law (divorce)"),
        pytest.param(GIANG, TAM, "cha dượng", id="stepfather and late wife's daughter (death)"),
        pytest.param(LAM, BAO, "cha, mẹ nuôi với con nuôi", id="adoptive father and adopted daughter"),
    ],
)
def test_kh05_every_relation_blocks_approval(
    app: Any, client: Any, bride: tuple[str, str], groom: tuple[str, str], relation: str
) -> None:
    api = Api(client)
    code = prepared(api, app, marriage_submission(bride, groom, requester="bride"))
    assert "KH-05" in blocked_rules(api, code)
    assert relation in kh05_message(api, code)
    assert dossier(api, code)["status"] == "processing"


def test_marriage_lookup_records_the_family_in_the_audit_trail(app: Any, client: Any) -> None:
    api = Api(client)
    code = prepared(api, app, marriage_submission(XUAN, THO, requester="bride"))
    events = api.get("auditor", f"/dossiers/{code}/events").get_json()
    lookups = [
        e["data"]
        for e in events
        if "family" in str(e["data"]) and "001080200002" in str(e["data"])  # the late husband's record
    ]
    assert lookups, "the lookup result (with the late husband and his father) is in the audit trail"


def test_kh03_lost_capacity_blocks_limited_capacity_does_not(app: Any, client: Any) -> None:
    api = Api(client)
    lost = prepared(api, app, marriage_submission(MAI, KHANH))
    assert "KH-03" in blocked_rules(api, lost)
    limited = prepared(api, app, marriage_submission(NGAN, DUNG))
    complete(api, OFFICER, limited, "officer_examine", {"decision": "approve"})
    api.sign_register(OFFICER, limited)
    assert dossier(api, limited)["status"] == "awaiting_signature"


def test_registry_admin_stores_and_returns_the_new_fields(app: Any, client: Any) -> None:
    api = Api(client)
    pid = new_person(
        api,
        full_name="Lưu Văn Cường",
        birth_date="1990-01-01",
        sex="male",
        marital_status="divorced",
        former_spouse_personal_ids=[MAI[0]],
        adoptive_mother_personal_id=MAN[0],
        legal_capacity="limited",
    )
    record = api.get("admin", f"/registry/persons/{pid}").get_json()
    assert record["former_spouse_personal_ids"] == [MAI[0]]
    assert record["adoptive_mother_personal_id"] == MAN[0]
    assert record["adoptive_father_personal_id"] is None
    assert record["legal_capacity"] == "limited"
    bad = api.post(
        "admin",
        "/registry/persons",
        json={
            "full_name": "X Y",
            "birth_date": "1990-01-01",
            "sex": "male",
            "legal_capacity": "none",
            "former_spouse_personal_ids": ["123"],
        },
    )
    assert bad.status_code == 422
    fields = bad.get_json()["error"]["fields"]
    assert set(fields) == {
        "legal_capacity",
        "former_spouse_personal_ids.0",
    }  # the request schema names the item
    assert "12 chữ số" in fields["former_spouse_personal_ids.0"]


# --- birth ---


def birth_of(
    mother: tuple[str, str], father: tuple[str, str], requester: tuple[str, str], relation: str, **child: Any
) -> dict[str, Any]:
    body = birth_submission(
        mother={"personal_id": mother[0]},
        father={"personal_id": father[0]},
        requester={"full_name": requester[1], "personal_id": requester[0], "relationship": relation},
    )
    body["data"]["child"].update(child)
    return body


@pytest.mark.parametrize(
    ("mother", "father", "field"),
    [
        pytest.param(AN, AN, "mother.personal_id", id="a man declared as mother"),
        pytest.param(MAI, MAI, "father.personal_id", id="a woman declared as father"),
    ],
)
def test_ks04_parent_sex_from_the_registry(
    app: Any, client: Any, mother: tuple[str, str], father: tuple[str, str], field: str
) -> None:
    api = Api(client)
    real_mother, real_father = ("001196023456", "Trần Thị Bích Ngọc"), AN
    body = birth_of(
        mother if field.startswith("mother") else real_mother,
        father if field.startswith("father") else real_father,
        AN,
        "authorized",
    )
    body["data"]["authorization_attached"] = True
    code = prepared(api, app, body)
    assert "KS-04" in blocked_rules(api, code)
    assert field in {f["field"] for f in dossier(api, code)["findings"] if f["rule"] == "KS-04"}


@pytest.mark.parametrize(
    ("place", "extra"),
    [
        pytest.param("Bệnh viện Keio, Tokyo, Nhật Bản", {}, id="born in Japan"),
        pytest.param(
            "Bệnh viện Phụ sản Hà Nội, Thành phố Hà Nội", {"nationality": "Hoa Kỳ"}, id="foreign child"
        ),
    ],
)
def test_ks13_foreign_element_routes_to_2000528(
    app: Any, client: Any, place: str, extra: dict[str, Any]
) -> None:
    api = Api(client)
    body = birth_submission()
    body["data"]["child"].update({"birth_place": place, **extra})
    code = prepared(api, app, body)
    assert "KS-13" in blocked_rules(api, code)
    routes = [f for f in dossier(api, code)["findings"] if f["rule"] == "KS-13"]
    assert routes and all(f["severity"] == "route" and "2.000528" in f["message"] for f in routes)


@pytest.mark.parametrize(("born", "blocked"), [("2008-03-11", True), ("2008-03-10", False)])
def test_ks08_minor_requester_17y364d_vs_18(app: Any, client: Any, born: str, blocked: bool) -> None:
    api = Api(client)
    pid = new_person(api, full_name="Nguyễn Văn Út", birth_date=born, sex="male")
    body = birth_submission(
        requester={"full_name": "Nguyễn Văn Út", "personal_id": pid, "relationship": "carer"}
    )
    code = prepared(api, app, body)
    ks08 = [f for f in dossier(api, code)["findings"] if f["rule"] == "KS-08"]
    if blocked:
        assert "KS-08" in blocked_rules(api, code)
        assert "chưa đủ 18 tuổi" in ks08[0]["message"]
    else:
        assert ks08 == []
        complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
        api.sign_register(OFFICER, code)


def test_ks08_relative_contradicted_by_the_registry_blocks(app: Any, client: Any) -> None:
    api = Api(client)
    code = prepared(api, app, birth_of(HONG, QUAN, PHUC, "relative", full_name="Đinh Minh Khang"))
    assert "KS-08" in blocked_rules(api, code)
    assert any(
        f["rule"] == "KS-08" and f["severity"] == "block" and "không ghi nhận quan hệ" in f["message"]
        for f in dossier(api, code)["findings"]
    )


def test_ks08_grandparent_confirmed_shows_the_link(app: Any, client: Any) -> None:
    api = Api(client)
    code = prepared(api, app, birth_of(HONG, QUAN, HUY, "grandparent", full_name="Đinh Minh Khang"))
    warns = [f for f in dossier(api, code)["findings"] if f["rule"] == "KS-08"]
    assert [f["severity"] for f in warns] == ["warn"]
    assert "cha của mẹ trẻ" in warns[0]["message"]


def test_ks10_existing_birth_in_the_registry(app: Any, client: Any) -> None:
    api = Api(client)
    body = birth_submission()
    body["data"]["child"].update({"full_name": "Nguyễn Minh Khôi", "birth_date": "2010-10-10", "sex": "male"})
    code = prepared(api, app, body)
    assert "KS-10" in blocked_rules(api, code)
    assert "001203003456" in next(
        f["message"] for f in dossier(api, code)["findings"] if f["rule"] == "KS-10"
    )


@pytest.mark.parametrize(
    ("mother", "father", "warned"),
    [(("001196023456", "Trần Thị Bích Ngọc"), AN, False), (MAI, DUNG, True)],
)
def test_ks11_parents_marriage_looked_up(
    app: Any, client: Any, mother: tuple[str, str], father: tuple[str, str], warned: bool
) -> None:
    api = Api(client)
    body = birth_of(mother, father, father, "father")
    body["data"]["parents_marriage"] = {
        "number": "12",
        "book": "01/2020",
        "date": "2020-01-01",
        "place": "UBND Phường Hoàn Kiếm",
    }
    code = submit(api, app, body)
    assert ("KS-11" in rule_ids(dossier(api, code), "warn")) is warned


# --- the chairman who signs ---


def at_signature(api: Api, app: Any, body: dict[str, Any]) -> str:
    code = prepared(api, app, body)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    api.sign_register(OFFICER, code)
    assert dossier(api, code)["status"] == "awaiting_signature"
    return code


def test_ks14_chairman_father_of_the_mother_cannot_sign(app: Any, client: Any) -> None:
    api = Api(client)
    code = at_signature(api, app, birth_of(HONG, QUAN, QUAN, "father", full_name="Đinh Minh Khang"))
    resp = api.complete(CHAIRMAN, code, "chairman_sign", SIGN)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["rules"] == ["KS-14"]
    assert dossier(api, code)["status"] == "awaiting_signature"


def test_ks14_unrelated_chairman_signs(app: Any, client: Any) -> None:
    api = Api(client)
    code = at_signature(api, app, birth_submission())
    done = complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    assert "chairman_sign" not in {t["task"] for t in done["next_tasks"]}


def test_kt12_chairman_spouse_of_the_deceased_cannot_sign(app: Any, client: Any) -> None:
    from tests.services.procedures import death_submission

    api = Api(client)
    body = death_submission(
        {"personal_id": THANH_WIFE[0], "full_name": THANH_WIFE[1], "sex": "female"},
        requester={"full_name": HONG[1], "personal_id": HONG[0], "relationship": "child"},
    )
    code = at_signature(api, app, body)
    resp = api.complete(CHAIRMAN, code, "chairman_sign", SIGN)
    assert resp.status_code == 422 and resp.get_json()["error"]["rules"] == ["KT-12"]


def test_kh12_chairman_related_to_a_party_cannot_sign(app: Any, client: Any) -> None:
    with app.app_context():
        chairman = db.session.query(User).filter_by(username=CHAIRMAN).one()
        chairman.personal_id = "001045001234"  # Trần Văn Bình: father of Lê Thị Hoa (demo)
        db.session.commit()
        db.session.remove()
    api = Api(client)
    code = at_signature(api, app, marriage_submission(("001199014567", "Lê Thị Hoa"), DUNG))
    resp = api.complete(CHAIRMAN, code, "chairman_sign", SIGN)
    assert resp.status_code == 422 and resp.get_json()["error"]["rules"] == ["KH-12"]


def test_dossier_page_shows_the_registry_links_and_the_bar(app: Any, client: Any) -> None:
    from tests.page_client import Pages

    api = Api(client)
    code = prepared(api, app, marriage_submission(XUAN, THO, requester="bride"))
    lost = prepared(api, app, marriage_submission(MAI, KHANH))
    pages = Pages(app)
    pages.login(OFFICER)
    html = pages.text(f"/dossiers/{code}")
    assert "KH-05" in html and "cha chồng với con dâu" in html
    assert "Vợ/chồng (số định danh)" in html and "001080200002" in html  # the late husband
    assert "Mất năng lực hành vi dân sự" in pages.text(f"/dossiers/{lost}")


def test_a_child_declared_born_abroad_is_routed_to_2000528_through_the_api(app: Any, client: Any) -> None:
    """KS-13 (LHT Art. 35): the declaration says so; no country list has to recognise the place."""
    api = Api(client)
    body = birth_submission()
    body["data"]["child"]["born_abroad"] = True
    body["data"]["child"]["birth_place"] = "Bệnh viện Saint-Vincent, Lyon"
    resp = api.post("reception.hoankiem", "/dossiers", json=body)
    assert resp.status_code == 201, resp.get_json()
    code = resp.get_json()["code"]
    with app.app_context():
        from app.services.jobs import run_pending

        run_pending()
    findings = api.get("reception.hoankiem", f"/dossiers/{code}").get_json()["findings"]
    routed = [f for f in findings if f["rule"] == "KS-13"]
    assert routed and routed[0]["severity"] == "route" and "2.000528" in routed[0]["message"]
