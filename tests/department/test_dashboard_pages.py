"""The statistics dashboard as each role sees it: the communes of its scope, every number a link to the
dossiers behind it (the department gets codes only), the report downloads, and no inline script (CSP)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api_client import Api, birth_submission
from tests.department.test_statistics import figures  # noqa: F401  (the fixture)
from tests.page_client import Pages

MARCH = "from=2026-03-01&to=2026-03-31"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=", re.IGNORECASE)


def _row(page: str, commune: str) -> str:
    found = re.search(rf'<tr data-commune="{commune}">(.*?)</tr>', page, re.S)
    assert found, commune
    return found.group(1)


def _cell(row: str, measure: str) -> str:
    found = re.search(rf'<td data-measure="{measure}">(.*?)</td>', row, re.S)
    assert found, measure
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_department_lands_on_the_dashboard_with_every_commune(app: Any, figures: None) -> None:  # noqa: F811
    pages = Pages(app)
    resp = pages.login("department")
    assert resp.headers["Location"].endswith("/statistics/")
    page = pages.text(f"/statistics/?{MARCH}")
    hk, bd = _row(page, "00070"), _row(page, "00004")
    assert (_cell(hk, "received"), _cell(hk, "resolved"), _cell(hk, "resolved_late")) == ("6", "6", "1")
    assert (_cell(hk, "on_time_rate"), _cell(hk, "carried_over"), _cell(hk, "apologies")) == (
        "83,3",
        "1",
        "1",
    )
    assert (_cell(bd, "received"), _cell(bd, "resolved_early")) == ("1", "1")
    assert "<svg" in page and "Kết quả giải quyết theo xã/phường" in page
    channel = re.search(r'href="(/statistics/drilldown\?[^"]*measure=received_counter[^"]*)"', page)
    assert channel and "procedure=birth" in channel.group(1)  # the channel chart's bars, per procedure
    link = re.search(
        r'href="(/statistics/drilldown\?[^"]*measure=resolved_late[^"]*commune_code=00070[^"]*)"', page
    )
    assert link, "the late figure links to its dossiers"
    drill = pages.text(link.group(1).replace("&amp;", "&"))
    assert "S3" in drill and "/dossiers/S3" not in drill  # a code, never a way into the dossier
    assert "thông tin cá nhân" in drill
    assert 'id="report-pdf"' in page and 'id="report-xlsx"' in page
    pdf = pages.get(f"/statistics/report.pdf?{MARCH}")
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"
    assert not INLINE_SCRIPT.search(page) and not INLINE_SCRIPT.search(drill)


def test_official_sees_own_commune_and_opens_the_dossiers(app: Any, client: Any) -> None:
    from app.extensions import db
    from app.services.jobs import run_pending

    code = Api(client).post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    with app.app_context():
        run_pending()
        db.session.remove()
    pages = Pages(app)
    pages.login("officer.hoankiem")
    page = pages.text("/statistics/")
    assert 'data-commune="00070"' in page and 'data-commune="00004"' not in page
    assert 'id="commune_code"' not in page  # nothing to choose
    drill = pages.text("/statistics/drilldown?measure=received")
    assert f'href="/dossiers/{code}"' in drill
    assert "Nguyễn Thị Ánh Dương" not in drill  # the drill-down lists codes and dates, not names
    assert pages.get("/statistics/?commune_code=00004").status_code == 404


@pytest.mark.parametrize(
    ("user", "status"),
    [("auditor", 200), ("chairman.badinh", 200), ("analyst", 403), ("admin", 403), ("portal", 403)],
)
def test_dashboard_roles(app: Any, user: str, status: int) -> None:
    pages = Pages(app)
    pages.login(user)
    assert pages.get("/statistics/").status_code == status
    assert pages.get("/statistics/report.xlsx?period=2026-03").status_code == status


def test_anonymous_goes_to_login(app: Any) -> None:
    resp = Pages(app).get("/statistics/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_bad_filters_show_a_vietnamese_error(app: Any) -> None:
    pages = Pages(app)
    pages.login("department")
    resp = pages.get("/statistics/?from=2026-03-31&to=2026-03-01")
    assert resp.status_code == 400 and "Tham số thống kê không hợp lệ." in resp.get_data(as_text=True)
    assert pages.get("/statistics/drilldown?measure=nothing").status_code == 400
    assert pages.get("/statistics/report.doc?period=2026-03").status_code == 400


def test_feedback_pages_have_no_inline_script(app: Any) -> None:
    pages = Pages(app)
    assert not INLINE_SCRIPT.search(pages.text("/feedback/00070"))
    pages.login("department")
    assert not INLINE_SCRIPT.search(pages.text("/department/feedback"))


def test_dates_are_typed_and_shown_dd_mm_yyyy(app: Any, figures: None) -> None:  # noqa: F811
    pages = Pages(app)
    pages.login("department")
    page = pages.text("/statistics/?from=01/03/2026&to=31/03/2026")
    assert 'value="01/03/2026"' in page and 'value="31/03/2026"' in page
    assert _cell(_row(page, "00070"), "received") == "6"
    assert pages.get("/statistics/?from=31/02/2026").status_code == 400
    feedback = pages.text("/department/feedback?from=01/03/2026&to=31/03/2026")
    assert 'value="01/03/2026"' in feedback
