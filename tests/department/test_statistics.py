"""Statistics against a hand-computed fixture: nine dossiers in two communes, March 2026."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Dossier, ProcessVersion
from tests.api_client import Api


def _at(day: str, hour: int = 2) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=UTC)


def _iso(day: str, hour: int) -> str:
    return _at(day, hour).isoformat()


# (code, procedure, commune, channel, received, due, resolved, late, data, extra result)
FIXTURE: list[tuple[Any, ...]] = [
    (
        "S1",
        "birth",
        "00070",
        "counter",
        _at("2026-03-02"),
        _iso("2026-03-03", 10),
        _iso("2026-03-02", 8),
        False,
        {"child": {"sex": "male", "ethnicity": "Kinh"}},
        {},
    ),
    (
        "S2",
        "birth",
        "00070",
        "online",
        _at("2026-03-05"),
        _iso("2026-03-05", 10),
        _iso("2026-03-05", 9),
        True,
        {"child": {"sex": "female", "ethnicity": "Tày"}},
        {},
    ),
    (
        "S3",
        "death",
        "00070",
        "counter",
        _at("2026-03-10"),
        _iso("2026-03-11", 10),
        _iso("2026-03-12", 3),
        False,
        {
            "deceased": {"sex": "male", "birth_date": "2025-12-01"},
            "death": {"at": "2026-03-08T01:00:00+00:00"},
        },
        {"apology": {"issued_at": _iso("2026-03-11", 9), "new_due_at": _iso("2026-03-12", 10)}},
    ),
    (
        "S4",
        "marriage",
        "00070",
        "online",
        _at("2026-03-16"),
        _iso("2026-03-20", 10),
        _iso("2026-03-18", 4),
        False,
        {
            "groom": {"birth_date": "1996-05-01", "marriage_count": 1},
            "bride": {"birth_date": "2000-01-10", "marriage_count": 1},
        },
        {"fee": {"amount": 0, "exempt_reason": "hộ nghèo", "lines": []}},
    ),
    (
        "S5",
        "birth",
        "00070",
        "counter",
        _at("2026-03-20"),
        _iso("2026-03-21", 10),
        _iso("2026-03-20", 6),
        False,
        {"child": {"sex": "male", "ethnicity": "Kinh"}},
        {"refused": True, "reasons": ["KS-02"]},
    ),
    (
        "S6",
        "birth",
        "00070",
        "counter",
        _at("2026-02-25"),
        _iso("2026-03-02", 10),
        _iso("2026-03-02", 9),
        False,
        {"child": {"sex": "male", "ethnicity": "Kinh"}},
        {},
    ),
    ("S7", "birth", "00070", "counter", _at("2026-03-25"), _iso("2026-03-26", 10), None, False, {}, {}),
    (
        "S8",
        "marriage",
        "00070",
        "counter",
        _at("2026-04-01"),
        _iso("2026-04-02", 10),
        _iso("2026-04-01", 5),
        False,
        {},
        {},
    ),
    (
        "S9",
        "death",
        "00004",
        "online",
        _at("2026-03-03"),
        _iso("2026-03-04", 10),
        _iso("2026-03-03", 5),
        True,
        {"deceased": {"sex": "female", "birth_year": 1950}, "death": {"at": "2026-03-01T01:00:00+00:00"}},
        {},
    ),
]


@pytest.fixture
def figures(app: Any) -> None:
    with app.app_context():
        version = db.session.scalars(select(ProcessVersion.id)).first()
        for code, proc, commune, channel, received, due, resolved, late, data, extra in FIXTURE:
            result: dict[str, Any] = {"original_due_at": due, **extra}
            if resolved:
                result["resolved_at"] = resolved
            db.session.add(
                Dossier(
                    code=code,
                    procedure=proc,
                    commune_code=commune,
                    channel=channel,
                    status="completed" if resolved else "processing",
                    data=data,
                    findings=[],
                    result=result,
                    late=late,
                    received_at=received,
                    process_version_id=version,
                    state="",
                    submitted_by="fixture",
                )
            )
        db.session.commit()
        db.session.remove()


MARCH = "/statistics?from=2026-03-01&to=2026-03-31"


def test_commune_figures_match_hand_count(client: Any, figures: None) -> None:
    body = Api(client).get("officer.hoankiem", MARCH).get_json()
    assert set(body) == {
        "from",
        "to",
        "communes",
        "received",
        "resolved",
        "resolved_early",
        "resolved_on_time",
        "resolved_late",
        "on_time_rate",
        "online_received",
        "by_procedure",
    }
    assert body["communes"] == ["00070"]
    assert (body["received"], body["online_received"], body["resolved"]) == (6, 2, 6)
    assert (body["resolved_early"], body["resolved_on_time"], body["resolved_late"]) == (3, 2, 1)
    assert body["on_time_rate"] == 83.3
    assert set(body["by_procedure"]) == {"birth", "marriage", "death"}
    birth = body["by_procedure"]["birth"]
    assert (birth["received"], birth["online_received"], birth["resolved"]) == (4, 1, 4)
    assert (birth["resolved_early"], birth["resolved_on_time"], birth["resolved_late"]) == (2, 2, 0)
    assert birth["on_time_rate"] == 100.0
    assert body["by_procedure"]["death"]["resolved_late"] == 1
    assert body["by_procedure"]["death"]["on_time_rate"] == 0.0


def test_department_sees_every_commune_of_the_province(client: Any, figures: None) -> None:
    body = Api(client).get("department", MARCH).get_json()
    assert body["communes"] == ["00004", "00070"]
    assert (body["received"], body["online_received"], body["resolved"]) == (7, 3, 7)
    assert (body["resolved_early"], body["resolved_on_time"], body["resolved_late"]) == (4, 2, 1)
    assert body["on_time_rate"] == 85.7
    one = Api(client).get("department", MARCH + "&commune_code=00004").get_json()
    assert (
        one["communes"] == ["00004"]
        and one["received"] == 1
        and one["by_procedure"]["death"]["resolved"] == 1
    )
    assert Api(client).get("auditor", MARCH).get_json()["received"] == 7


def test_report_has_moj_statistics_and_766_extras(app: Any, figures: None) -> None:
    from app.models import User
    from app.services.statistics import report

    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "department")).one()
        rep = report(user, None, "2026-03-01", "2026-03-31")
    hk = next(c for c in rep["communes"] if c["code"] == "00070")
    assert (hk["apologies"], hk["refused"], hk["fee_exempted"]) == (1, 1, 1)
    births = hk["civil_status"]["birth"]
    assert births == {
        "total": 3,
        "male": 2,
        "female": 1,
        "kinh": 2,
        "other_ethnicity": 1,
        "on_time": 2,
        "late": 1,
    }
    deaths = rep["total"]["civil_status"]["death"]
    assert (deaths["total"], deaths["male"], deaths["female"], deaths["on_time"], deaths["late"]) == (
        2,
        1,
        1,
        1,
        1,
    )
    assert deaths["age_groups"] == {"under_1": 1, "1_to_4": 0, "5_and_over": 1, "unknown": 0}
    marriages = rep["total"]["civil_status"]["marriage"]
    assert marriages == {
        "total": 1,
        "first_marriages": 1,
        "mean_age_first_marriage_male": 29.0,
        "mean_age_first_marriage_female": 26.0,
    }
    assert rep["total"]["received"] == 7


@pytest.mark.parametrize(
    ("user", "query", "status"),
    [
        ("officer.hoankiem", "?commune_code=00004", 404),
        ("reception.badinh", "?commune_code=00070", 404),
        ("analyst", "", 403),
        ("portal", "", 403),
        ("admin", "", 403),
        (None, "", 401),
        ("department", "?from=2026-13-01", 400),
        ("department", "?from=01/03/2026", 400),
        ("department", "?from=2026-03-31&to=2026-03-01", 400),
        ("department", "?commune_code=abc", 400),
        ("department", "?commune_code=99999", 404),
        ("chairman.badinh", "", 200),
    ],
)
def test_statistics_access_and_bad_params(client: Any, user: str | None, query: str, status: int) -> None:
    resp = Api(client).get(user, "/statistics" + query)
    assert resp.status_code == status, resp.get_json()
    if status == 400:
        err = resp.get_json()["error"]
        assert err["code"] == "validation_failed" and err["fields"] and err["message"]


def test_department_never_reads_or_writes_dossiers(client: Any, figures: None) -> None:
    from tests.api_client import birth_submission

    api = Api(client)
    assert api.get("department", "/dossiers").status_code == 403
    assert api.get("department", "/dossiers/S1").status_code == 403
    assert api.get("department", "/dossiers/S1/events").status_code == 403
    assert api.post("department", "/dossiers", json=birth_submission()).status_code == 403
    assert (
        api.get("department", "/tasks").get_json() in ([], None)
        or api.get("department", "/tasks").status_code == 403
    )


def test_real_birth_counts_once_resolved(app: Any, client: Any) -> None:
    """End to end: a birth registered through the API shows up as received and resolved today."""
    from app.services.jobs import run_pending
    from tests.api_client import birth_submission

    api = Api(client)
    code = api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    with app.app_context():
        run_pending()
        db.session.remove()
    api.complete("reception.hoankiem", code, "reception_check", {"decision": "accept"})
    api.complete("officer.hoankiem", code, "officer_examine", {"decision": "approve"})
    api.complete("chairman.hoankiem", code, "chairman_sign", {"decision": "sign", "signer_title": "chu_tich"})
    with app.app_context():
        run_pending()
        db.session.remove()
    body = api.get("department", "/statistics").get_json()
    assert body["from"] == "2026-03-01" and body["to"] == "2026-03-10"
    assert body["received"] == 1 and body["resolved"] == 1
    assert body["resolved_late"] == 0 and body["on_time_rate"] == 100.0
    assert body["by_procedure"]["birth"]["resolved"] == 1
