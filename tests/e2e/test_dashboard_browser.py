"""The department's tools in a real browser: this month's indicators for every commune, the drill-down, the
Ministry report downloaded and read back, and a citizen's feedback read (masked), categorised and linked to a
process change whose go-live date then shows on it."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Feedback, ProcessVersion
from tests.department.test_statistics import figures  # noqa: F401  (the hand-computed March dossiers)
from tests.e2e.test_browser import browser, login, new_page, server, shots  # noqa: F401

pytestmark = pytest.mark.browser


def test_department_dashboard_report_and_feedback(
    app: Any,
    figures: None,  # noqa: F811
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    from pypdf import PdfReader

    # a citizen sends feedback from the commune's public page, without logging in
    citizen = new_page(browser)
    citizen.goto(f"{server}/feedback/00070")
    citizen.select_option("#procedure", "birth")
    citizen.locator("#rating-2").check()
    citizen.fill("#text", "Tôi là Nguyễn Văn An, số 0912345678. Chờ ký giấy khai sinh quá lâu.")
    with citizen.expect_navigation():
        citizen.get_by_role("button", name="Gửi phản ánh").click()
    assert "/feedback/00070/thanks" in citizen.url
    assert citizen.get_by_role("heading", name="Cảm ơn bạn đã góp ý").is_visible()

    page = new_page(browser)
    login(page, server, "department")
    assert page.url.endswith("/statistics/")
    # this month (the clock stands at 10/03/2026): both communes of the province, with their figures
    assert "Từ 01/03/2026 đến 10/03/2026" in page.locator(".page-head__meta").inner_text()
    hk, bd = page.locator('tr[data-commune="00070"]'), page.locator('tr[data-commune="00004"]')
    assert hk.locator('td[data-measure="received"]').inner_text() == "3"  # S1, S2, S3 by 10/03
    assert hk.locator('td[data-measure="resolved"]').inner_text() == "3"  # S1, S2, S6
    assert hk.locator('td[data-measure="carried_over"]').inner_text() == "1"  # S6
    assert bd.locator('td[data-measure="received"]').inner_text() == "1"  # S9
    assert page.locator("svg.chart__svg").first.is_visible()
    page.screenshot(path=shots / "20-department-dashboard.png", full_page=True)

    # drill-down: the dossiers behind Hoàn Kiếm's "resolved" — codes only for the department
    with page.expect_navigation():
        hk.locator('td[data-measure="resolved"] a').click()
    rows = page.locator("#drilldown tbody tr")
    assert rows.count() == 3 and page.locator("#drilldown a").count() == 0
    assert sorted(rows.locator("td.code").all_inner_texts()) == ["S1", "S2", "S6"]
    page.go_back()

    # the Ministry report for this month, as PDF
    with page.expect_download() as download_info:
        page.locator(".report-links a", has_text="PDF").first.click()
    pdf_path = download_info.value.path()
    text = " ".join(
        " ".join(
            p.extract_text() or "" for p in PdfReader(BytesIO(Path(pdf_path).read_bytes())).pages
        ).split()
    )
    assert "Tháng 03/2026" in text and "Kính gửi: Ủy ban nhân dân Thành phố Hà Nội; Bộ Tư pháp" in text
    assert "Phường Hoàn Kiếm (00070)" in text and "Phường Ba Đình (00004)" in text

    # the feedback, masked; categorised, then backing a proposal linked to the deployed birth process
    with page.expect_navigation():
        page.get_by_role("link", name="Phản ánh, kiến nghị").click()
    row = page.locator("#feedback-items tbody tr").first
    text_cell = row.locator(".feedback-text").inner_text()
    assert "Nguyễn Văn An" not in text_cell and "0912345678" not in text_cell
    assert "[họ tên]" in text_cell and "[số điện thoại]" in text_cell
    row.locator("select[name=category]").select_option("processing_time")
    with page.expect_navigation():
        row.get_by_role("button", name="Lưu").click()
    assert page.locator(".notice--success").is_visible()
    row = page.locator("#feedback-items tbody tr").first
    assert row.locator("select[name=category]").input_value() == "processing_time"
    assert page.locator("#by-category").inner_text().count("Thời gian giải quyết") == 1

    with app.app_context():
        version = db.session.scalars(
            select(ProcessVersion).where(ProcessVersion.key == "birth_registration")
        ).first()
        assert version is not None
        version_id, deployed = str(version.id), version.deployed_at
        db.session.remove()
    row.locator("input[name=feedback_ids]").check()
    page.select_option("#p-procedure", "birth")
    page.fill("#p-title", "Rút ngắn thời gian chờ ký")
    page.select_option("#p-version", version_id)
    with page.expect_navigation():
        page.get_by_role("button", name="Lập đề xuất").click()
    assert "Đã lập đề xuất điều chỉnh quy trình" in page.locator(".notice--success").inner_text()
    from app.domain.calendar import LOCAL_TZ

    live = deployed.astimezone(LOCAL_TZ).strftime("%d/%m/%Y")
    row = page.locator("#feedback-items tbody tr").first
    assert "Rút ngắn thời gian chờ ký" in row.inner_text() and f"Đã áp dụng từ {live}" in row.inner_text()
    page.screenshot(path=shots / "21-department-feedback.png", full_page=True)
    with app.app_context():
        stored = db.session.scalars(select(Feedback)).one()
        assert stored.category == "processing_time" and stored.proposal is not None
        assert stored.proposal.process_version_id == int(version_id)


def test_analyst_sees_feedback_on_the_diagram(
    app: Any,
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    """Feedback about one step shows as a badge on that step of the diagram, linking to the (masked) items."""
    client = app.test_client()
    body = {"procedure": "birth", "commune_code": "00070", "rating": 2, "element_id": "reception_check"}
    for n, text in enumerate(("Chị Hoa ở quầy tiếp nhận hướng dẫn chưa rõ.", "Chờ tiếp nhận lâu.")):
        resp = client.post(
            "/api/v1/feedback", json={**body, "text": text}, environ_base={"REMOTE_ADDR": f"9.9.9.{n}"}
        )
        assert resp.status_code == 201
    with app.app_context():
        version = db.session.scalars(
            select(ProcessVersion.version).where(ProcessVersion.key == "birth_registration")
        ).first()
        db.session.remove()
    page = new_page(browser)
    login(page, server, "analyst")
    page.goto(f"{server}/processes/birth_registration/{version}")
    page.wait_for_selector("#diagram[data-rendered='1']")
    badge = page.locator(".hotich-feedback-badge")
    assert badge.count() == 1 and badge.inner_text() == "2"
    page.screenshot(path=shots / "22-analyst-diagram-feedback.png", full_page=True)
    with page.expect_navigation():
        badge.click()
    assert "element_id=reception_check" in page.url
    items = page.locator("#feedback-items li")
    assert items.count() == 2
    assert "Chị Hoa" not in items.all_inner_texts()[0] + items.all_inner_texts()[1]
