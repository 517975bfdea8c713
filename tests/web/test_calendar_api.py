"""api.md § Calendar, issue 8 §4: the official day-off swaps and admin corrections, applied to dossiers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.domain.fees import FeeSchedule
from tests.api_client import Api
from tests.services.procedures import OFFICER, RECEPTION, accept, death_submission, dossier, rule_ids, submit

ADMIN = "admin"


def put_day(api: Api, user: str, body: Any) -> Any:
    return api.call("PUT", user, "/calendar/days", json=body)


def test_year_lists_the_2026_new_year_swap(client: Any) -> None:
    api = Api(client)
    resp = api.get(RECEPTION, "/calendar/2026")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["year"] == 2026
    off = {d["date"]: d["name"] for d in body["non_working_days"]}
    assert "2026-01-01" in off and "2026-01-02" in off and "2026-02-17" in off
    assert "2026-01-10" not in off
    assert {"date": "2026-01-10", "name": "Làm bù cho thứ Sáu 2/1/2026"} in body["working_weekend_days"]
    assert all(d["date"].startswith("2026-") for d in body["non_working_days"])


@pytest.mark.parametrize(
    ("received_at", "due_at"),
    [
        ("2025-12-31T15:30:00+07:00", "2026-01-05T10:00:00+00:00"),  # Mon 5/1 17:00, not Fri 2/1
        ("2026-03-10T15:00:00+07:00", "2026-03-10T10:00:00+00:00"),  # 15:00:00 is before the cut-off
        ("2026-03-10T15:00:01+07:00", "2026-03-11T10:00:00+00:00"),  # 15:00:01 is after
        ("2026-03-10T08:00:01Z", "2026-03-11T10:00:00+00:00"),
    ],
)
def test_due_is_the_dossiers_computation(client: Any, received_at: str, due_at: str) -> None:
    api = Api(client)
    resp = api.get("portal", "/calendar/due", query_string={"received_at": received_at, "working_days": "1"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"due_at": due_at}


def test_due_with_an_unencoded_plus_offset(client: Any) -> None:
    api = Api(client)
    resp = api.get("analyst", "/calendar/due?received_at=2025-12-31T15:30:00+07:00&working_days=1")
    assert resp.get_json() == {"due_at": "2026-01-05T10:00:00+00:00"}


@pytest.mark.parametrize(
    "query",
    [
        "",
        "working_days=1",
        "received_at=2026-03-10T10:00:00%2B07:00",
        "received_at=2026-03-10T10:00:00&working_days=1",  # no offset
        "received_at=yesterday&working_days=1",
        "received_at=2026-03-10T10:00:00%2B07:00&working_days=0",
        "received_at=2026-03-10T10:00:00%2B07:00&working_days=-1",
        "received_at=2026-03-10T10:00:00%2B07:00&working_days=abc",
        "received_at=2026-03-10T10:00:00%2B07:00&working_days=99999999999999999999",
        "received_at=2026-03-10T10:00:00%2B07:00&working_days=%D9%A3",  # Arabic-Indic digit
        "received_at=9999-12-31T23:59:59%2B07:00&working_days=5",
    ],
)
def test_due_bad_params_are_400_in_the_error_shape(client: Any, query: str) -> None:
    resp = Api(client).get(RECEPTION, f"/calendar/due?{query}")
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "bad_request" and error["message"] and error["fields"]


@pytest.mark.parametrize("year", ["abc", "0", "1900", "2100", "99999999999999999999", "2026.5", "-1"])
def test_year_bad_params_are_400(client: Any, year: str) -> None:
    resp = Api(client).get(RECEPTION, f"/calendar/{year}")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["fields"]["year"]


def test_calendar_needs_a_token(client: Any) -> None:
    assert Api(client).get(None, "/calendar/2026").status_code == 401
    assert Api(client).get(None, "/calendar/due?received_at=x&working_days=1").status_code == 401


def test_admin_correction_applies_to_the_calendar_and_due_dates(client: Any) -> None:
    api = Api(client)
    q = {"received_at": "2026-03-09T16:00:00+07:00", "working_days": "1"}

    def due(query: dict[str, str]) -> str:
        value: str = api.get(RECEPTION, "/calendar/due", query_string=query).get_json()["due_at"]
        return value

    assert due(q) == "2026-03-10T10:00:00+00:00"
    resp = put_day(
        api,
        ADMIN,
        {"date": "2026-03-10", "kind": "non_working", "name": "Nghỉ bão", "source": "QĐ 9/QĐ-UBND"},
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["changed_by"] == "admin"
    assert due(q) == "2026-03-11T10:00:00+00:00"
    year = api.get(RECEPTION, "/calendar/2026").get_json()
    off = {d["date"]: d["name"] for d in year["non_working_days"]}
    assert off["2026-03-10"] == "Nghỉ bão"
    # a working Saturday
    resp = put_day(api, ADMIN, {"date": "2026-03-14", "kind": "working", "name": "Làm bù"})
    assert resp.status_code == 200
    weekend = api.get(RECEPTION, "/calendar/2026").get_json()["working_weekend_days"]
    assert {"date": "2026-03-14", "name": "Làm bù"} in weekend
    corrections = api.get(ADMIN, "/calendar/days").get_json()
    assert [d["date"] for d in corrections] == ["2026-03-14", "2026-03-10"]
    # correcting a shipped swap: Fri 2/1/2026 back to a working day
    assert put_day(api, ADMIN, {"date": "2026-01-02", "kind": "working", "name": "Sửa"}).status_code == 200
    q2 = {"received_at": "2025-12-31T15:30:00+07:00", "working_days": "1"}
    assert due(q2) == "2026-01-02T10:00:00+00:00"
    # removing the correction restores the official calendar
    assert api.call("DELETE", ADMIN, "/calendar/days/2026-03-10").status_code == 200
    assert due(q) == "2026-03-10T10:00:00+00:00"
    assert api.call("DELETE", ADMIN, "/calendar/days/2026-03-10").status_code == 404
    assert api.call("DELETE", ADMIN, "/calendar/days/garbage").status_code == 400


@pytest.mark.parametrize("user", [RECEPTION, OFFICER, "chairman.hoankiem", "analyst", "auditor", "portal"])
def test_only_admin_changes_the_calendar(client: Any, user: str) -> None:
    api = Api(client)
    resp = put_day(api, user, {"date": "2026-03-10", "kind": "non_working", "name": "X"})
    assert resp.status_code == 403
    assert api.call("DELETE", user, "/calendar/days/2026-03-10").status_code == 403
    year = api.get(user, "/calendar/2026").get_json()
    assert "2026-03-10" not in {d["date"] for d in year["non_working_days"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "working", "name": "X"}, "date"),
        ({"date": "10/03/2026", "kind": "working", "name": "X"}, "date"),
        ({"date": "2026-03-10", "kind": "holiday", "name": "X"}, "kind"),
        ({"date": "2026-03-10", "kind": "working", "name": "  "}, "name"),
        ({"date": "2026-03-10", "kind": "working", "name": "X" * 201}, "name"),
        ({"date": "2026-03-10", "kind": "working", "name": "X", "source": 5}, "source"),
        ({"date": 20260310, "kind": "working", "name": "X"}, "date"),
    ],
)
def test_invalid_correction_names_the_field_in_vietnamese(client: Any, body: Any, field: str) -> None:
    resp = put_day(Api(client), ADMIN, body)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["fields"][field]


def test_correction_body_not_an_object(client: Any) -> None:
    assert put_day(Api(client), ADMIN, ["2026-03-10"]).status_code == 422


@pytest.mark.parametrize(("registered", "late"), [("2026-01-05", False), ("2026-01-06", True)])
def test_death_on_18_december_2025_registered_5_january_is_not_late_nor_charged(
    app: Any, client: Any, clock: Any, registered: str, late: bool
) -> None:
    app.extensions["hotich"].fees = FeeSchedule(amounts={"late_death": 50_000}, copy=8_000)
    clock.at = datetime.fromisoformat(f"{registered}T09:00:00+07:00").astimezone(UTC)
    api = Api(client)
    code = submit(api, app, death_submission(died_at="2025-12-18T07:00:00+07:00"))
    accept(api, code)
    d = dossier(api, code)
    assert d["late"] is late and ("KT-03" in rule_ids(d, "flag")) is late
    fee = d["result"]["fee"]
    assert fee["amount"] == (50_000 if late else 0) + 2 * 8_000
    assert fee["exempt_reason"] == (None if late else "on_time")


def test_dossier_received_31_december_after_cutoff_is_due_5_january(
    app: Any, client: Any, clock: Any
) -> None:
    clock.at = datetime(2025, 12, 31, 8, 30, tzinfo=UTC)  # 15:30 in Hà Nội
    api = Api(client)
    code = submit(api, app, death_submission(died_at="2025-12-30T07:00:00+07:00"))
    accept(api, code)
    d = dossier(api, code)
    assert d["due_at"] == "2026-01-05T10:00:00+00:00"
    tasks = api.get(OFFICER, f"/tasks?dossier={code}").get_json()
    assert tasks and all(t["due_at"] == d["due_at"] for t in tasks)
