"""Birth special cases (domain.md §4.4): father not identified, abandoned child (7-day posting), surrogacy,
no birth certificate, a foreign child routed away, a newborn who died."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Document
from tests.api_client import Api, birth_submission
from tests.services.procedures import (
    CHAIRMAN,
    OFFICER,
    RECEPTION,
    SIGN,
    accept,
    advance,
    attachment,
    blocked_rules,
    complete,
    documents,
    dossier,
    jobs,
    rule_ids,
    submit,
    verified,
)

MOTHER = {"full_name": "Trần Thị Bích Ngọc", "personal_id": "001196023456", "relationship": "mother"}


def father_unknown(child_name: str) -> dict[str, Any]:
    payload = birth_submission(father=None, special_case="father_unknown", requester=MOTHER)
    payload["data"]["child"]["full_name"] = child_name
    return payload


def certificate_context(app: Any, code: str) -> dict[str, Any]:
    from app.models import Dossier

    with app.app_context():
        dossier_id = db.session.scalars(select(Dossier.id).where(Dossier.code == code)).one()
        ctx: dict[str, Any] = db.session.scalars(
            select(Document.context).where(
                Document.dossier_id == dossier_id, Document.name == "giay_khai_sinh"
            )
        ).one()
        db.session.remove()
    return ctx


def register(api: Api, app: Any, code: str) -> dict[str, Any]:
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    jobs(app)
    d = dossier(api, code)
    assert d["status"] == "result_ready", d
    return d


def test_father_not_identified_follows_the_mother_and_leaves_the_father_block_empty(
    app: Any, client: Any
) -> None:
    api = Api(client)
    code = submit(api, app, father_unknown("Trần Thị Thu An"))
    accept(api, code)
    register(api, app, code)
    ctx = certificate_context(app, code)
    assert ctx["father"] is None and ctx["mother"]["full_name"] == "Trần Thị Bích Ngọc"
    assert ctx["child"]["full_name"] == "Trần Thị Thu An"
    verified(api, code)


def test_father_not_identified_surname_must_follow_the_mother(app: Any, client: Any) -> None:
    api = Api(client)
    code = submit(api, app, father_unknown("Nguyễn Thị Thu An"))
    accept(api, code)
    assert blocked_rules(api, code) == ["KS-06"]


def test_blank_father_without_the_special_case_is_blocked(app: Any, client: Any) -> None:
    api = Api(client)
    payload = birth_submission(father=None, requester=MOTHER)
    payload["data"]["child"]["full_name"] = "Trần Thị Thu An"
    code = submit(api, app, payload)
    accept(api, code)
    assert "KS-04" in blocked_rules(api, code)


def abandoned(with_record: bool) -> dict[str, Any]:
    carer = {"full_name": "Nguyễn Thị Lụa", "personal_id": "001160090123", "relationship": "carer"}
    payload = birth_submission(mother=None, father=None, special_case="abandoned", requester=carer)
    payload["data"].pop("birth_certificate")
    payload["data"]["child"].update(full_name="Lụa Minh Phúc", home_town="Phường Hoàn Kiếm, Thành phố Hà Nội")
    if with_record:
        payload["attachments"] = [attachment("abandoned_child_record", "bien_ban.pdf")]
    return payload


def test_abandoned_child_is_posted_7_days_then_registered_by_the_carer(
    app: Any, client: Any, clock: Any
) -> None:
    api = Api(client)
    code = submit(api, app, abandoned(with_record=True))
    accept(api, code)
    d = dossier(api, code)
    assert d["status"] == "processing" and d["result"]["posting"]["days"] == 7
    assert api.get(OFFICER, f"/tasks?dossier={code}").get_json() == []  # the notice is posted
    advance(clock, api, app, days=6)
    assert api.get(OFFICER, f"/tasks?dossier={code}").get_json() == []
    advance(clock, api, app, days=1, minutes=1)  # Tue 17/03 09:01: 7 days over, no parent came
    d = dossier(api, code)
    # the processing time runs from the end of the posting: the same day, 17:00
    assert d["due_at"] == "2026-03-17T10:00:00+00:00"  # Tue 17/03 17:00
    assert "phieu_hen" in documents(api, code)
    d = register(api, app, code)
    assert d["result"]["classification"] == "tre_bi_bo_roi"
    complete(api, RECEPTION, code, "return_result", {"delivered_via": "counter"})
    assert certificate_context(app, code)["mother"] is None
    entries = api.get(OFFICER, "/register-books/birth/2026").get_json()["entries"]
    assert entries[0]["classification"] == "tre_bi_bo_roi" and entries[0]["summary"]["personal_id"]
    verified(api, code)


def test_abandoned_child_needs_the_record(app: Any, client: Any, clock: Any) -> None:
    api = Api(client)
    code = submit(api, app, abandoned(with_record=False))
    assert "C10" in rule_ids(dossier(api, code), "block")
    accept(api, code)
    advance(clock, api, app, days=7, minutes=1)
    assert blocked_rules(api, code) == ["C10"]


def test_surrogacy_needs_the_health_facility_confirmation(app: Any, client: Any) -> None:
    api = Api(client)
    code = submit(api, app, birth_submission(special_case="surrogacy"))
    accept(api, code)
    assert blocked_rules(api, code) == ["C10"]
    payload = birth_submission(special_case="surrogacy")
    payload["data"]["child"]["full_name"] = "Nguyễn Minh Đức"
    payload["attachments"] = [attachment("surrogacy_confirmation")]
    code = submit(api, app, payload)
    accept(api, code)
    register(api, app, code)


def test_no_birth_certificate_needs_a_witness_statement_or_undertaking(app: Any, client: Any) -> None:
    api = Api(client)
    payload = birth_submission()
    payload["data"].pop("birth_certificate")
    code = submit(api, app, payload)
    accept(api, code)
    assert blocked_rules(api, code) == ["C10"]
    # the supplement brings the undertaking: the dossier goes round again and can be approved
    complete(api, OFFICER, code, "officer_examine", {"decision": "supplement", "note": "Nộp giấy cam đoan"})
    resp = api.post(
        RECEPTION,
        f"/dossiers/{code}/supplement",
        json={"data": {}, "attachments": [attachment("birth_undertaking")]},
    )
    assert resp.status_code == 200, resp.get_json()
    jobs(app)
    accept(api, code)
    register(api, app, code)
    verified(api, code)


def test_foreign_nationality_is_routed_away_and_refused_in_writing(app: Any, client: Any) -> None:
    api = Api(client)
    payload = birth_submission()
    payload["data"]["child"]["nationality"] = "Hàn Quốc"
    code = submit(api, app, payload)
    accept(api, code)
    assert blocked_rules(api, code) == ["KS-13"]
    reasons = ["Trẻ có quốc tịch nước ngoài: đăng ký theo thủ tục có yếu tố nước ngoài (2.000528)"]
    complete(api, OFFICER, code, "officer_examine", {"decision": "refuse", "reasons": reasons})
    complete(api, CHAIRMAN, code, "chairman_sign_refusal", SIGN)
    d = dossier(api, code)
    assert d["status"] == "refused" and d["result"]["reasons"] == reasons
    assert "van_ban_tu_choi" in documents(api, code)
    verified(api, code)


def test_newborn_who_died_is_registered_with_an_info_finding(app: Any, client: Any) -> None:
    api = Api(client)
    payload = birth_submission()
    payload["data"]["child"]["died_at"] = "2026-02-25T06:00:00+07:00"
    code = submit(api, app, payload)
    assert "KS-16" in rule_ids(dossier(api, code), "info")
    accept(api, code)
    register(api, app, code)


def test_requester_recorded_dead_cannot_register_a_birth(app: Any, client: Any) -> None:
    api = Api(client)
    payload = birth_submission(father=None, special_case="father_unknown")
    payload["data"]["requester"] = {
        "full_name": "Phạm Văn Thành",
        "personal_id": "001052004567",
        "relationship": "relative",
    }
    payload["data"]["child"]["full_name"] = "Trần Thị Thu An"
    code = submit(api, app, payload)
    accept(api, code)
    assert "KS-08" in blocked_rules(api, code)
