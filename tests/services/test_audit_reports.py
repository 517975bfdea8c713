"""Across dossiers: the auditor search, its CSV, and the process heat map — against hand-computed fixtures
(dossiers and events written directly, times in Hà Nội, March 2026 has no holiday)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.extensions import db
from app.models import AuditEvent, Dossier
from app.services.processes import active_version_id
from tests.api_client import Api
from tests.page_client import Pages

A, B, C, D = "00070-260310-9001", "00070-260310-9002", "00004-260312-9003", "00070-260210-9004"
REASON = "Giấy chứng sinh không hợp lệ"


def local(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A Hà Nội wall-clock time in 2026 as an aware UTC datetime."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=7)


def _dossier(
    code: str, commune: str, received: datetime, status: str, result: dict[str, Any], **kw: Any
) -> Dossier:
    return Dossier(
        code=code,
        procedure="birth",
        commune_code=commune,
        channel="counter",
        status=status,
        data={"child": {"full_name": "Trẻ " + code}},
        findings=[],
        result=result,
        late=False,
        received_at=received,
        process_version_id=active_version_id("birth_registration"),
        state="{}",
        search_text=code,
        submitted_by="reception",
        **kw,
    )


def _events(d: Dossier, rows: list[tuple[str, str | None, str, datetime, dict[str, Any]]]) -> None:
    for seq, (type_, task, actor, at, data) in enumerate(rows, start=1):
        db.session.add(
            AuditEvent(
                dossier_id=d.id,
                seq=seq,
                at=at,
                type=type_,
                actor=actor,
                task=task,
                data=data,
                prev_hash="0" * 64,
                hash=f"{seq:064d}",
            )
        )


def _accept(due: datetime) -> dict[str, Any]:
    return {"operation": "dossier/accept", "result": {"due_at": due.isoformat()}}


@pytest.fixture
def fixtures(app: Any) -> None:
    with app.app_context():
        due_a, due_b = local(10, 17), local(11, 17)
        a = _dossier(
            A,
            "00070",
            local(10, 9),
            "completed",
            {"original_due_at": due_a.isoformat(), "resolved_at": local(11, 10).isoformat()},
            due_at=due_a,
            completed_at=local(11, 10),
        )
        b = _dossier(
            B,
            "00070",
            local(10, 14),
            "refused",
            {
                "original_due_at": due_b.isoformat(),
                "resolved_at": local(11, 9).isoformat(),
                "refused": True,
                "reasons": [REASON],
            },
            due_at=due_b,
            completed_at=local(11, 9),
        )
        c = _dossier(C, "00004", local(12, 8), "processing", {})
        d = _dossier(D, "00070", local(10, 9, month=2), "processing", {})
        db.session.add_all([a, b, c, d])
        db.session.flush()
        _events(
            a,
            [
                ("submitted", None, "reception.hoankiem", local(10, 9), {}),
                ("external_result", "lookup_parties", "system", local(10, 9, 30), {}),  # 30 min
                ("internal_result", "check_rules", "system", local(10, 9, 30), {}),  # 0
                (
                    "task_completed",
                    "reception_check",
                    "reception.hoankiem",
                    local(10, 11),
                    {"form": {}},
                ),  # 90, due 10/03 17:00
                ("internal_result", "accept_dossier", "system", local(10, 11), _accept(due_a)),
                # Tue 11:00 → Wed 10:00: 60 + 240 + 120 = 420 office minutes, after 10/03 17:00: late
                (
                    "task_completed",
                    "officer_examine",
                    "officer.hoankiem",
                    local(11, 10),
                    {"form": {"decision": "approve"}},
                ),
            ],
        )
        _events(
            b,
            [
                ("submitted", None, "reception.hoankiem", local(10, 14), {}),
                ("external_result", "lookup_parties", "system", local(10, 14), {}),  # 0
                (
                    "task_completed",
                    "reception_check",
                    "reception.hoankiem",
                    local(10, 16),
                    {"form": {}},
                ),  # 120
                ("internal_result", "accept_dossier", "system", local(10, 16), _accept(due_b)),
                # Tue 16:00 → Wed 09:00: 60 + 60 = 120, before 11/03 17:00: on time
                (
                    "task_completed",
                    "officer_examine",
                    "officer.hoankiem",
                    local(11, 9),
                    {"form": {"decision": "refuse", "reasons": [REASON]}},
                ),
            ],
        )
        _events(
            c,
            [
                ("submitted", None, "reception.badinh", local(12, 8), {}),
                ("external_result", "lookup_parties", "system", local(12, 8, 10), {}),  # 10
                (
                    "task_completed",
                    "reception_check",
                    "reception.badinh",
                    local(12, 8, 30),
                    {"form": {}},
                ),  # 20
            ],
        )
        _events(d, [("submitted", None, "reception.hoankiem", local(10, 9, month=2), {})])
        db.session.commit()
        db.session.remove()


def _codes(api: Api, query: str, user: str = "auditor") -> list[str]:
    resp = api.get(user, f"/audit/dossiers?from=2026-03-01&to=2026-03-31{query}")
    assert resp.status_code == 200, resp.get_json()
    return [r["code"] for r in resp.get_json()]


def test_auditor_search_filters(app: Any, client: Any, fixtures: None) -> None:
    api = Api(client)
    assert _codes(api, "") == [C, B, A]  # newest first, the February dossier out of the period
    assert _codes(api, "&commune=00004") == [C]
    assert _codes(api, "&procedure=death") == []
    assert _codes(api, "&official=officer.hoankiem") == [B, A]
    assert _codes(api, "&official=reception.badinh") == [C]
    assert _codes(api, "&timeliness=late") == [A]
    assert _codes(api, "&timeliness=on_time") == [B]
    assert _codes(api, "&refused=1") == [B]
    assert _codes(api, "&reason=chung sinh") == [B]  # words of the reason, without diacritics
    assert _codes(api, "&reason=khai tu") == []
    rows = api.get("auditor", "/audit/dossiers?from=2026-03-01&to=2026-03-31&refused=1").get_json()
    assert rows[0]["reasons"] == [REASON] and rows[0]["officials"] == [
        "reception.hoankiem",
        "officer.hoankiem",
    ]
    feb = api.get("auditor", "/audit/dossiers?from=2026-02-01&to=2026-02-28").get_json()
    assert [r["code"] for r in feb] == [D]


def test_auditor_search_bad_input_and_roles(app: Any, client: Any, fixtures: None) -> None:
    api = Api(client)
    for query, field in (
        ("commune=12", "commune"),
        ("timeliness=soon", "timeliness"),
        ("from=2026-13-01", "from"),
        ("procedure=adoption", "procedure"),
        ("from=2026-03-10&to=2026-03-01", "from"),
    ):
        resp = api.get("auditor", f"/audit/dossiers?{query}")
        assert resp.status_code == 400 and field in resp.get_json()["error"]["fields"], (
            query,
            resp.get_json(),
        )
    assert api.get("officer.hoankiem", "/audit/dossiers").status_code == 403
    assert api.get("analyst", "/audit/dossiers").status_code == 403


def test_auditor_scope(app: Any, client: Any, fixtures: None) -> None:
    from app.models import User

    with app.app_context():
        db.session.query(User).filter_by(username="auditor").update({"scope_csv": "00070"})
        db.session.commit()
        db.session.remove()
    api = Api(client)
    assert _codes(api, "") == [B, A]
    heat = api.get("auditor", "/processes/birth_registration/1/heat?from=2026-03-01&to=2026-03-31").get_json()
    assert heat["elements"]["reception_check"]["dossiers"] == 2


def test_csv_export_is_excel_readable_vietnamese(app: Any, client: Any, fixtures: None) -> None:
    pages = Pages(app)
    pages.login("auditor")
    resp = pages.get("/audit/search.csv?from=2026-03-01&to=2026-03-31&refused=1")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.data[:3] == b"\xef\xbb\xbf"  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Mã hồ sơ", "Thủ tục", "Xã/phường", "Tình trạng"]
    assert rows[1] == [
        B,
        "Đăng ký khai sinh",
        "Phường Hoàn Kiếm",
        "Từ chối đăng ký",
        "10/03/2026 14:00",
        "11/03/2026 17:00",
        "11/03/2026 09:00",
        "Đúng hạn",
        "reception.hoankiem; officer.hoankiem",
        REASON,
    ]
    assert len(rows) == 2
    html = pages.text("/audit/search?from=2026-03-01&to=2026-03-31&timeliness=late")
    assert A in html and B not in html and "Quá hạn" in html


def test_process_heat_map_counts_waits_and_late_share(app: Any, client: Any, fixtures: None) -> None:
    api = Api(client)
    resp = api.get("analyst", "/processes/birth_registration/1/heat?from=2026-03-01&to=2026-03-31")
    assert resp.status_code == 200, resp.get_json()
    heat = resp.get_json()["elements"]
    assert heat["reception_check"].pop("name") == "Kiểm tra, tiếp nhận hồ sơ"
    assert heat["start"].pop("name") == "Hồ sơ được nộp"
    assert all(h.pop("name") for h in heat.values() if "name" in h)
    assert heat["start"] == {
        "passes": 3,
        "dossiers": 3,
        "median_wait_minutes": 0.0,
        "late": 0,
        "late_share": None,
    }
    assert heat["lookup_parties"]["median_wait_minutes"] == 10.0  # waits 30, 0, 10
    assert heat["reception_check"] == {
        "passes": 3,
        "dossiers": 3,
        "median_wait_minutes": 90.0,
        "late": 0,
        "late_share": 0.0,
    }  # waits 90, 120, 20
    assert heat["officer_examine"] == {
        "passes": 2,
        "dossiers": 2,
        "median_wait_minutes": 270.0,
        "late": 1,
        "late_share": 0.5,
    }  # waits 420 (late), 120 (on time)
    assert heat["accept_dossier"]["passes"] == 2 and heat["check_rules"]["passes"] == 1
    only = api.get(
        "auditor", "/processes/birth_registration/1/heat?from=2026-03-01&to=2026-03-31&commune=00004"
    )
    assert set(only.get_json()["elements"]) == {"start", "lookup_parties", "reception_check"}
    assert api.get("reception.hoankiem", "/processes/birth_registration/1/heat").status_code == 403
    assert api.get("analyst", "/processes/birth_registration/99/heat").status_code == 404
    assert api.get("analyst", "/processes/birth_registration/1/heat?from=03/2026").status_code == 400

    pages = Pages(app)
    pages.login("analyst")
    html = pages.text("/processes/birth_registration/1/heat?from=2026-03-01&to=2026-03-31")
    row = html.split('data-element="officer_examine"')[1].split("</tr>")[0]
    assert "4 giờ 30 phút làm việc" in row and "50.0%" in row
    assert 'data-heat="' in html and "js/heatmap.js" in html


def test_a_receipt_refusal_is_found_by_the_words_of_its_note(app: Any, client: Any) -> None:
    from tests.api_client import birth_submission
    from tests.services.procedures import RECEPTION, complete, submit

    api = Api(client)
    code = submit(api, app, birth_submission())
    complete(
        api,
        RECEPTION,
        code,
        "reception_check",
        {"decision": "refuse_receipt", "note": "Không thuộc thẩm quyền"},
    )
    rows = api.get("auditor", "/audit/dossiers?reason=tham quyen").get_json()
    assert [(r["code"], r["status"], r["reasons"]) for r in rows] == [
        (code, "receipt_refused", ["Không thuộc thẩm quyền"])
    ]
