"""KT rules through the API, boundary dates (day 15/16 after the death, a due date across Tết 2026), fees,
and a death the registry does not know."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.domain.fees import FeeSchedule
from app.extensions import db
from app.models import User
from tests.api_client import Api
from tests.services.procedures import (
    BINH,
    CHAIRMAN,
    HANH,
    OFFICER,
    RECEPTION,
    SIGN,
    THANH,
    accept,
    attachment,
    blocked_rules,
    complete,
    death_submission,
    dossier,
    jobs,
    pdf,
    rule_ids,
    submit,
    verified,
)


def prepared(api: Api, app: Any, payload: dict[str, Any], attachments: list[Any] | None = None) -> str:
    if attachments:
        payload["attachments"] = attachments
    code = submit(api, app, payload)
    accept(api, code)
    return code


def with_data(**changes: Any) -> dict[str, Any]:
    payload = death_submission()
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = payload["data"]
        for key in parents:
            target = target[key]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return payload


@pytest.mark.parametrize(
    ("payload", "rule"),
    [
        pytest.param(
            lambda: with_data(death__at="1944-01-01T08:00:00+07:00", death_notice__issued_on="1944-01-02"),
            "KT-02",
            id="KT-02 died before birth",
        ),
        pytest.param(lambda: with_data(death_notice=None), "KT-04", id="KT-04 no death notice"),
        pytest.param(
            lambda: death_submission({"personal_id": THANH[0]}), "KT-06", id="KT-06 already dead (locked)"
        ),
        pytest.param(
            lambda: with_data(requester__relationship="authorized"),
            "KT-07",
            id="KT-07 agent without authorisation",
        ),
        pytest.param(
            lambda: with_data(deceased__full_name="Trần Văn Bính"),
            "KT-08",
            id="KT-08 name differs from the registry",
        ),
        pytest.param(lambda: with_data(deceased__nationality="Lào"), "KT-10", id="KT-10 foreigner (route)"),
        pytest.param(lambda: with_data(death__calendar="lunar"), "KT-11", id="KT-11 lunar date"),
    ],
)
def test_block_and_route_rules_stop_approval(app: Any, client: Any, payload: Any, rule: str) -> None:
    api = Api(client)
    code = prepared(api, app, payload())
    assert rule in blocked_rules(api, code)
    assert rule in rule_ids(dossier(api, code))


def test_kt01_last_residence_in_another_commune_routes(app: Any, client: Any) -> None:
    api = Api(client)
    payload = death_submission({"personal_id": "001047012345"}, commune="00070")  # Mai Văn Lộc, Ba Đình
    payload["data"]["requester"].update(full_name="Võ Thị Sen", personal_id="001150011234")
    code = prepared(api, app, payload)
    assert "KT-01" in blocked_rules(api, code)


def test_kt07_authorisation_attached_is_enough(app: Any, client: Any) -> None:
    api = Api(client)
    payload = with_data(requester__relationship="authorized")
    code = prepared(api, app, payload, [attachment("authorization")])
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})


def test_kt12_official_is_the_spouse(app: Any, client: Any) -> None:
    with app.app_context():
        db.session.query(User).filter_by(username=OFFICER).one().personal_id = HANH[0]
        db.session.commit()
        db.session.remove()
    api = Api(client)
    code = prepared(api, app, death_submission())
    assert blocked_rules(api, code) == ["KT-12"]


def test_requester_recorded_dead_cannot_register(app: Any, client: Any) -> None:
    api = Api(client)
    payload = death_submission()
    payload["data"]["requester"].update(full_name=THANH[1], personal_id=THANH[0], relationship="relative")
    code = prepared(api, app, payload)
    assert "KT-07" in blocked_rules(api, code)


@pytest.mark.parametrize(("died", "late"), [("2026-02-23", False), ("2026-02-22", True)])
def test_kt03_day_15_is_on_time_day_16_is_late_and_pays(app: Any, client: Any, died: str, late: bool) -> None:
    app.extensions["hotich"].fees = FeeSchedule(amounts={"late_death": 50_000}, copy=8_000)
    api = Api(client)
    code = prepared(api, app, death_submission(died_at=f"{died}T07:00:00+07:00"))
    d = dossier(api, code)
    assert d["late"] is late and ("KT-03" in rule_ids(d, "flag")) is late
    fee = d["result"]["fee"]
    assert fee["amount"] == (50_000 if late else 0) + 2 * 8_000
    assert fee["exempt_reason"] == (None if late else "on_time")
    pdf(api, code, "phieu_hen")  # the appointment slip states the fee
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})  # a flag never blocks
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    jobs(app)
    entries = api.get(OFFICER, "/register-books/death/2026").get_json()["entries"]
    assert entries[0]["classification"] == ("qua_han" if late else "dung_han")


def test_late_fee_exemption_for_a_poor_household(app: Any, client: Any) -> None:
    app.extensions["hotich"].fees = FeeSchedule(amounts={"late_death": 50_000}, copy=8_000)
    api = Api(client)
    payload = death_submission(died_at="2026-01-05T07:00:00+07:00", fee_exemption="poor_household")
    payload["data"]["copies"] = 0
    code = prepared(api, app, payload)
    fee = dossier(api, code)["result"]["fee"]
    assert fee == {"amount": 0, "exempt_reason": "poor_household", "lines": []}


def test_fee_amounts_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from app import create_app

    monkeypatch.setenv("HOTICH_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("HOTICH_FEE_LATE_DEATH", "60000")
    monkeypatch.setenv("HOTICH_FEE_COPY", "10000")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fees.db'}", "TESTING": True})
    fees = app.extensions["hotich"].fees
    assert (fees.amount("late_birth"), fees.amount("late_death"), fees.copy) == (0, 60_000, 10_000)
    with app.app_context():
        db.engine.dispose()


def test_due_date_across_tet_2026(app: Any, client: Any, clock: Any) -> None:
    # received Friday 13/02/2026 at 16:00 (after 15:00); 16–20/02 are the Tết holidays, 21–22 a weekend
    clock.at = datetime(2026, 2, 13, 9, 0, tzinfo=UTC)
    api = Api(client)
    code = prepared(api, app, death_submission(died_at="2026-02-10T07:00:00+07:00"))
    d = dossier(api, code)
    assert d["due_at"] == "2026-02-23T10:00:00+00:00"  # Monday 23/02 17:00
    [task] = api.get(OFFICER, f"/tasks?dossier={code}").get_json()
    assert task["due_at"] == d["due_at"] and task["overdue"] is False


def test_deceased_unknown_to_the_registry_is_registered_without_a_crash(app: Any, client: Any) -> None:
    api = Api(client)
    deceased = {
        "full_name": "Hà Văn Vô Danh",
        "sex": "male",
        "birth_year": 1950,
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "last_residence": "Phường Hoàn Kiếm, Thành phố Hà Nội",
    }
    payload = death_submission(deceased)
    payload["data"]["requester"]["relationship"] = "organization"
    code = prepared(api, app, payload)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    jobs(app)
    d = dossier(api, code)
    assert d["status"] == "result_ready" and d["result"]["registry"]["recorded"] is False
    pdf(api, code, "trich_luc_khai_tu")  # year of birth only
    pdf(api, code, "trich_luc_khai_tu_ban_sao_1")
    complete(api, RECEPTION, code, "return_result", {"delivered_via": "counter"})
    verified(api, code)


def test_a_second_death_registration_of_the_same_person_is_blocked(app: Any, client: Any) -> None:
    api = Api(client)
    first = prepared(api, app, death_submission())
    complete(api, OFFICER, first, "officer_examine", {"decision": "approve"})
    complete(api, CHAIRMAN, first, "chairman_sign", SIGN)
    jobs(app)
    second = prepared(api, app, death_submission())
    assert "KT-06" in blocked_rules(api, second)
    # the locked record also blocks a marriage naming the deceased (KH-03)
    from tests.services.procedures import MAI, marriage_submission

    body = marriage_submission(MAI, BINH)
    code = prepared(api, app, body)
    assert "KH-03" in blocked_rules(api, code)


def test_registry_records_the_local_date_of_a_death_given_in_utc(app: Any, client: Any) -> None:
    # 17:30 UTC on 7 March is 00:30 on 8 March in Hà Nội: the day the extract and the register show
    api = Api(client)
    payload = death_submission(died_at="2026-03-07T17:30:00Z")
    payload["data"]["death_notice"]["issued_on"] = "2026-03-08"
    code = prepared(api, app, payload)
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    complete(api, CHAIRMAN, code, "chairman_sign", SIGN)
    jobs(app)
    assert dossier(api, code)["result"]["registry"]["recorded"] is True
    assert api.get(OFFICER, f"/registry/persons/{BINH[0]}").get_json()["deceased_on"] == "2026-03-08"


@pytest.mark.parametrize(
    ("died_at", "accepted"),
    [
        ("2026-03-10T08:59:00+07:00", True),  # a minute before the submission (09:00 in Hà Nội)
        ("2026-03-10T23:00:00+07:00", False),  # KT-02: later today, not yet happened
        ("2026-03-10T20:00:00-05:00", False),  # 08:00 tomorrow in Hà Nội, though the text says 10 March
    ],
)
def test_kt02_a_death_later_than_now_is_refused_at_submission(
    app: Any, client: Any, died_at: str, accepted: bool
) -> None:
    api = Api(client)
    payload = death_submission(died_at=died_at)
    resp = api.post(RECEPTION, "/dossiers", json=payload)
    assert resp.status_code == (201 if accepted else 422), resp.get_json()
    if not accepted:
        assert "data.death.at" in resp.get_json()["error"]["fields"]
