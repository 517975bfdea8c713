"""The admin's calendar page (issue 8 §4): lists the official swaps, adds and removes corrections."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api_client import Api
from tests.page_client import Pages


def test_admin_sees_the_2026_swap_and_adds_a_day_off(app: Any, client: Any) -> None:
    pages = Pages(app)
    pages.login("admin")
    html = pages.text("/admin/calendar?year=2026")
    assert "02/01/2026" in html and "Nghỉ hoán đổi dịp Tết Dương lịch 2026" in html
    assert "10/01/2026" in html and "Làm bù cho thứ Sáu 2/1/2026" in html
    resp = pages.post(
        "/admin/calendar",
        {"date": "2026-03-10", "kind": "non_working", "name": "Nghỉ bão", "source": "QĐ 9/QĐ-UBND"},
    )
    assert resp.status_code == 303
    html = pages.text("/admin/calendar?year=2026")
    assert "10/03/2026" in html and "Nghỉ bão" in html and "QĐ 9/QĐ-UBND" in html
    due = Api(client).get(
        "reception.hoankiem",
        "/calendar/due",
        query_string={"received_at": "2026-03-09T16:00:00+07:00", "working_days": "1"},
    )
    assert due.get_json()["due_at"] == "2026-03-11T10:00:00+00:00"
    assert pages.post("/admin/calendar/2026-03-10/delete").status_code == 303
    assert "Nghỉ bão" not in pages.text("/admin/calendar?year=2026")


def test_invalid_day_is_shown_in_vietnamese_next_to_the_field(app: Any) -> None:
    pages = Pages(app)
    pages.login("admin")
    resp = pages.post("/admin/calendar", {"date": "", "kind": "non_working", "name": ""})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'id="date-error"' in html and "Ngày phải có dạng YYYY-MM-DD." in html
    assert 'id="name-error"' in html and "Tên (lý do) của ngày là bắt buộc." in html


def test_bad_year_does_not_crash(app: Any) -> None:
    pages = Pages(app)
    pages.login("admin")
    assert pages.get("/admin/calendar?year=abc").status_code == 200


@pytest.mark.parametrize("user", ["reception.hoankiem", "officer.hoankiem", "analyst", "auditor"])
def test_only_admin_opens_the_calendar_page(app: Any, user: str) -> None:
    pages = Pages(app)
    pages.login(user)
    assert pages.get("/admin/calendar").status_code == 403
    resp = pages.post("/admin/calendar", {"date": "2026-03-10", "kind": "non_working", "name": "X"})
    assert resp.status_code == 403
