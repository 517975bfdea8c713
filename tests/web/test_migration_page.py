"""The analysts' migration page: dry run, then the move, each with a per-dossier report (issue 9 §7)."""

from __future__ import annotations

import re
from typing import Any

from tests.api_client import Api
from tests.page_client import Pages
from tests.services.test_process_migration import at_officer, deploy, v2_xml

URL = "/processes/birth_registration/migrations"


def rows(html: str) -> list[list[str]]:
    table = html[html.index('id="migration-report"') :]
    table = table[: table.index("</table>")]
    cells = [
        re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in row] for row in cells if row]


def test_dry_run_then_move_from_the_page(app: Any, client: Any) -> None:
    api = Api(client)
    code = at_officer(app, api)
    v2 = deploy(api, v2_xml())
    pages = Pages(app)
    pages.login("analyst")
    assert "Chuyển hồ sơ đang xử lý sang phiên bản khác" in pages.text("/processes")
    overview = pages.text(URL)
    assert "Hồ sơ đang xử lý theo phiên bản" in overview

    dry = pages.post(URL, {"to_version": str(v2), "dossiers": f"{code}\nKS-KHONG-CO", "action": "dry_run"})
    html = dry.get_data(as_text=True)
    assert dry.status_code == 200 and "Kết quả chạy thử" in html
    assert rows(html) == [
        [code, "1", str(v2), "Chuyển được", ""],
        ["KS-KHONG-CO", "", str(v2), "Không chuyển được", "Không tìm thấy hồ sơ «KS-KHONG-CO»."],
    ]
    assert api.get("officer.hoankiem", f"/dossiers/{code}").get_json()["process"]["version"] == 1

    moved = pages.post(URL, {"to_version": str(v2), "dossiers": "", "action": "migrate"})
    html = moved.get_data(as_text=True)
    assert "Kết quả chuyển" in html and [code, "1", str(v2), "Đã chuyển", ""] in rows(html)
    assert api.get("officer.hoankiem", f"/dossiers/{code}").get_json()["process"]["version"] == v2
    # the dossier's history says it in words
    page = Pages(app)
    page.login("officer.hoankiem")
    assert f"Phiên bản 1 → {v2}" in page.text(f"/dossiers/{code}")


def test_only_analysts_open_the_page_and_csrf_is_required(app: Any, client: Any) -> None:
    for user in ("officer.hoankiem", "admin", "auditor"):
        pages = Pages(app)
        pages.login(user)
        assert pages.get(URL).status_code == 403
    pages = Pages(app)
    pages.login("analyst")
    assert pages.post(URL, {"to_version": "1", "action": "migrate"}, csrf=False).status_code == 400
    assert pages.get("/processes/khong_co/migrations").status_code == 404
