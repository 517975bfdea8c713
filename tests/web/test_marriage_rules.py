"""KH rules through the API: each `block` (and `route`) rule stops approval with its id in the 422 error.

The domain tests (tests/domain/test_rules_marriage.py) cover every branch; here a representative dossier per
rule goes submission → lookup job → reception → officer approve, so the data path (registry lookups, family
three generations, the officer's own personal id) is proved end to end. Boundary dates: the 18th and 20th
birthday itself (2026-03-10, the fixed clock's date).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Dossier, DossierParty, User
from app.services.operations.rules import subject_lock_ids
from tests.api_client import Api
from tests.services.procedures import (
    AN,
    ANH_BADINH,
    CHAIRMAN,
    DUC_ANH,
    DUNG,
    HANDOVER,
    HANH,
    HOA,
    MAI,
    OFFICER,
    RECEPTION,
    SIGN,
    THANH,
    TOAN_BADINH,
    TRANG,
    TUNG,
    accept,
    blocked_rules,
    complete,
    dossier,
    jobs,
    marriage_submission,
    new_person,
    rule_ids,
    submit,
    verified,
)


def prepared(api: Api, app: Any, payload: dict[str, Any]) -> str:
    code = submit(api, app, payload)
    accept(api, code)
    return code


@pytest.mark.parametrize(
    ("payload", "rule"),
    [
        pytest.param(lambda: marriage_submission(MAI, THANH), "KH-03", id="KH-03 groom died (record locked)"),
        pytest.param(lambda: marriage_submission(MAI, AN), "KH-04", id="KH-04 groom is married"),
        pytest.param(lambda: marriage_submission(HOA, TUNG), "KH-05", id="KH-05 brother and sister"),
        pytest.param(lambda: marriage_submission(MAI, TRANG), "KH-07", id="KH-07 two women"),
        pytest.param(
            lambda: marriage_submission(ANH_BADINH, TOAN_BADINH),
            "KH-08",
            id="KH-08 neither lives here (route)",
        ),
        pytest.param(
            lambda: marriage_submission(bride_nationality="Hàn Quốc"),
            "KH-09",
            id="KH-09 foreign party (route)",
        ),
        pytest.param(
            lambda: marriage_submission(bride_divorce_abroad=True),
            "KH-10",
            id="KH-10 divorce abroad not recorded",
        ),
        pytest.param(
            lambda: marriage_submission(requester_id=DUNG[0]), "KH-11", id="KH-11 someone else submits"
        ),
    ],
)
def test_block_and_route_rules_stop_approval(app: Any, client: Any, payload: Any, rule: str) -> None:
    api = Api(client)
    body = payload()
    data = body["data"]
    if data.pop("bride_nationality", None):
        data["bride"]["nationality"] = "Hàn Quốc"
    if data.pop("bride_divorce_abroad", None):
        data["bride"]["foreign_divorce_recorded"] = False
    if requester_id := data.pop("requester_id", None):
        data["requester"]["personal_id"] = requester_id
    code = prepared(api, app, body)
    assert rule in blocked_rules(api, code)
    assert dossier(api, code)["status"] == "processing"  # nothing moved
    assert rule in rule_ids(dossier(api, code))


@pytest.mark.parametrize(
    ("bride_born", "groom_born", "blocked"),
    [
        ("2008-03-10", "2006-03-10", False),  # 18th and 20th birthdays today: old enough ("từ đủ")
        ("2008-03-11", "2006-03-10", True),  # the bride is 18 tomorrow
        ("2008-03-10", "2006-03-11", True),  # the groom is 20 tomorrow
    ],
)
def test_kh01_age_on_the_birthday_itself(
    app: Any, client: Any, bride_born: str, groom_born: str, blocked: bool
) -> None:
    api = Api(client)
    bride = new_person(api, full_name="Lý Thị Xuân", birth_date=bride_born, sex="female")
    groom = new_person(api, full_name="Tạ Văn Hạ", birth_date=groom_born, sex="male")
    code = prepared(api, app, marriage_submission((bride, "Lý Thị Xuân"), (groom, "Tạ Văn Hạ")))
    if blocked:
        assert blocked_rules(api, code) == ["KH-01"]
    else:
        complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
        jobs(app)  # entered in the register, the registry updated, the certificate printed
        assert dossier(api, code)["status"] == "awaiting_signature"


def test_kh12_official_related_to_a_party(app: Any, client: Any) -> None:
    with app.app_context():
        officer = db.session.query(User).filter_by(username=OFFICER).one()
        officer.personal_id = HANH[0]  # the officer is Tùng's mother
        db.session.commit()
        db.session.remove()
    api = Api(client)
    code = prepared(api, app, marriage_submission(MAI, TUNG))
    assert blocked_rules(api, code) == ["KH-12"]


def test_warnings_do_not_block_typed_name_differs_and_marriage_count(app: Any, client: Any) -> None:
    api = Api(client)
    body = marriage_submission()
    body["data"]["bride"]["full_name"] = "Đặng Thị Mây"  # the registry says Đặng Thị Mai
    body["data"]["groom"]["marriage_count"] = 2  # the registry shows no earlier marriage
    code = prepared(api, app, body)
    findings = {(f["rule"], f["severity"]) for f in dossier(api, code)["findings"]}
    assert {("C11", "warn"), ("KH-14", "warn")} <= findings
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    verified(api, code)


def test_party_unknown_to_the_registry_is_a_finding_not_a_crash(app: Any, client: Any) -> None:
    api = Api(client)
    body = marriage_submission(("079199012345", "Người Lạ"), DUC_ANH)
    code = submit(api, app, body)
    d = dossier(api, code)
    assert d["status"] == "submitted" and {"C11", "KH-04"} <= rule_ids(d)
    verified(api, code)


def test_kh04_bride_married_meanwhile_in_another_dossier_cannot_marry_again(app: Any, client: Any) -> None:
    # two dossiers naming the same bride are received the same day; both lookups say she is single. Once
    # the first marriage is registered, the second may not be approved (HN&GĐ Art. 5(2)(c): no bigamy)
    api = Api(client)
    first = prepared(api, app, marriage_submission(MAI, DUC_ANH))
    second = prepared(api, app, marriage_submission(MAI, DUNG))
    complete(api, OFFICER, first, "officer_examine", {"decision": "approve"})
    complete(api, CHAIRMAN, first, "chairman_sign", SIGN)
    jobs(app)
    complete(api, OFFICER, first, "marriage_handover", HANDOVER)
    jobs(app)
    assert dossier(api, first)["status"] == "completed"
    assert blocked_rules(api, second) == ["KH-04"]


def test_kh04_a_marriage_entered_in_the_register_blocks_the_other_before_signature(
    app: Any, client: Any
) -> None:
    # the first marriage is entered in the book at its approval (awaiting signature, not yet handed over):
    # registered is entered (LHT Art. 5(4)), so the bride cannot be approved to marry another man meanwhile
    api = Api(client)
    first = prepared(api, app, marriage_submission(MAI, DUC_ANH))
    second = prepared(api, app, marriage_submission(MAI, DUNG))
    complete(api, OFFICER, first, "officer_examine", {"decision": "approve"})
    assert dossier(api, first)["result"]["register"]["number"] == 1
    assert blocked_rules(api, second) == ["KH-04"]


def test_a_supplement_that_names_another_groom_moves_the_party_index(app: Any, client: Any) -> None:
    # the once-only check finds earlier marriages by the parties' ids (dossier_party): a supplement that
    # corrects the groom's id must leave the new groom there, not the old one
    api = Api(client)
    code = prepared(api, app, marriage_submission(MAI, DUC_ANH))
    complete(api, OFFICER, code, "officer_examine", {"decision": "supplement", "note": "Sai số định danh"})
    groom = {"personal_id": DUNG[0], "full_name": DUNG[1]}
    resp = api.post(RECEPTION, f"/dossiers/{code}/supplement", json={"data": {"groom": groom}})
    assert resp.status_code == 200, resp.get_json()
    with app.app_context():
        ids = db.session.scalars(
            select(DossierParty.personal_id)
            .join(Dossier, Dossier.id == DossierParty.dossier_id)
            .where(Dossier.code == code)
        ).all()
        db.session.remove()
    assert sorted(ids) == sorted([MAI[0], DUNG[0]])


def test_kh04_two_marriages_of_one_bride_approved_at_the_same_moment_enter_one(
    app: Any, client: Any, backend: str
) -> None:
    # each command locks only its own dossier; on PostgreSQL two approvals of the same bride running at once
    # could both pass the check and both be entered. The entry takes a lock per party: the second waits for
    # the first to commit, sees its entry, and is refused (SQLite runs one write transaction at a time)
    if backend != "postgres":
        pytest.skip("SQLite serialises the two write transactions by itself")
    api = Api(client)
    first = prepared(api, app, marriage_submission(MAI, DUC_ANH))
    second = prepared(api, app, marriage_submission(MAI, DUNG))
    with app.app_context():
        found = db.session.scalars(select(Dossier).where(Dossier.code.in_([first, second])))
        rows = {d.code: d for d in found}
        (bride_lock,) = set(subject_lock_ids(rows[first])) & set(subject_lock_ids(rows[second]))
        db.session.remove()
    held = psycopg.connect(app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg", ""), autocommit=True)
    held.execute("SELECT pg_advisory_lock(%s)", (bride_lock,))  # both entries will wait on the bride
    answers: dict[str, Any] = {}

    def approve(code: str) -> None:
        resp = Api(app.test_client()).complete(OFFICER, code, "officer_examine", {"decision": "approve"})
        answers[code] = (resp.status_code, resp.get_json())

    workers = [threading.Thread(target=approve, args=(code,)) for code in (first, second)]
    for w in workers:
        w.start()
    time.sleep(1.0)
    assert all(w.is_alive() for w in workers) and not answers  # both passed the approval's check, and wait
    held.execute("SELECT pg_advisory_unlock(%s)", (bride_lock,))
    held.close()
    for w in workers:
        w.join(30)
    statuses = sorted(status for status, _ in answers.values())
    assert statuses == [200, 422], answers
    refused = next(body for status, body in answers.values() if status == 422)
    assert refused["error"]["rules"] == ["KH-04"]
    entered = [dossier(api, code)["result"].get("register") for code in (first, second)]
    assert sum(1 for e in entered if e) == 1


def test_kh04_entry_after_the_online_draft_is_refused_when_the_party_married_meanwhile(
    app: Any, client: Any
) -> None:
    # approved online, the draft waits for the parties' confirmation (no entry yet); meanwhile the bride's
    # marriage to another man is entered at the counter: confirming the draft may not enter a second one
    api = Api(client)
    online = prepared(api, app, marriage_submission(MAI, DUNG, channel="online"))
    complete(api, OFFICER, online, "officer_examine", {"decision": "approve"})
    assert dossier(api, online)["status"] == "awaiting_confirmation"
    counter = prepared(api, app, marriage_submission(MAI, DUC_ANH))
    complete(api, OFFICER, counter, "officer_examine", {"decision": "approve"})
    resp = api.post("portal", f"/dossiers/{online}/confirm-draft", json={"confirmed": True})
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["error"]["rules"] == ["KH-04"]
    d = dossier(api, online)
    assert d["status"] == "awaiting_confirmation" and "register" not in d["result"]
