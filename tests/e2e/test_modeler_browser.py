"""The analysts' workshop in a real browser (issue 9 §8): open the birth process in the modeler, add a task in
the officer's lane with a form chosen in the panel, the lint flags the missing condition, fix it, test-run,
deploy; a new dossier takes the new path while an older one finishes on its version.

Screenshots (11-… to 17-…) go where tests/e2e/test_browser.py puts them (HOTICH_SCREENSHOTS)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Dossier, RegisterEntry
from app.services.jobs import run_pending
from tests.api_client import Api, birth_submission
from tests.e2e.test_browser import (  # noqa: F401 - fixtures
    browser,
    login,
    new_page,
    server,
    shots,
    wait_until,
)

pytestmark = pytest.mark.browser
BUNDLE = Path("app/web/static/vendor/modeler/modeler.js")
SOURCES = Path("app/web/static/js/modeler")


@pytest.fixture(scope="module", autouse=True)
def modeler_bundle() -> None:
    """The page's bundle as `make setup` builds it (rebuilt when a source is newer)."""
    newest = max(p.stat().st_mtime for p in SOURCES.rglob("*") if p.is_file())
    if not BUNDLE.exists() or BUNDLE.stat().st_mtime < newest:
        if not Path("node_modules/.bin/esbuild").exists():
            pytest.skip("node_modules missing (make setup)")
        subprocess.run(["make", "-s", "app/web/static/vendor/.installed"], check=True)


# a free spot of the officer's lane: a task-sized box over nothing but the lane (no shape, no flow), on the
# canvas, away from the palette
FREE_SPOT = """() => {
  const canvas = document.getElementById('canvas').getBoundingClientRect();
  const palette = document.querySelector('.djs-palette').getBoundingClientRect();
  const box = id => document.querySelector(`.djs-element[data-element-id="${id}"]`).getBoundingClientRect();
  const lane = box('lane_officer');
  const task = box('officer_examine');
  const w = task.width * 1.3, h = task.height * 1.3;
  const free = (x, y) => {
    for (let dx = -w / 2; dx <= w / 2; dx += w / 6) {
      for (let dy = -h / 2; dy <= h / 2; dy += h / 6) {
        const hits = document.elementsFromPoint(x + dx, y + dy).map(e => e.closest('.djs-element'));
        const other = e => e && e.dataset.elementId !== 'lane_officer'
          && !e.dataset.elementId.startsWith('Participant');
        if (hits.some(other)) {
          return false;
        }
      }
    }
    return true;
  };
  for (let y = lane.top + h; y < lane.bottom - h / 2; y += h / 3) {
    const right = Math.min(lane.right, canvas.right) - w;
    for (let x = Math.max(lane.left, palette.right) + w; x < right; x += w / 3) {
      if (free(x, y)) { return [x, y]; }
    }
  }
  return null;
}"""


def _center(page: Any, element_id: str) -> tuple[float, float]:
    box = page.locator(f".djs-element[data-element-id='{element_id}'] .djs-hit").first.bounding_box()
    assert box, element_id
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _select(page: Any, element_id: str) -> None:
    selected = page.locator(f".djs-element.selected[data-element-id='{element_id}']")
    for _ in range(5):  # a click right after another canvas action may be taken as its end; click again
        page.mouse.click(*_center(page, element_id))
        try:
            selected.wait_for(timeout=1_000)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: try once more
            page.wait_for_timeout(300)
    selected.wait_for()


def _click_empty_canvas(page: Any) -> None:
    box = page.locator("#canvas").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + 25)


def _connect(page: Any, source: str, target: str) -> str:
    """Draw a sequence flow from the context pad; its id."""
    before = set(page.eval_on_selector_all(".djs-connection", "els => els.map(e => e.dataset.elementId)"))
    _select(page, source)
    page.locator(".djs-context-pad .entry[data-action='connect']").click()
    page.mouse.click(*_center(page, target))
    wait_until(page, f"document.querySelectorAll('.djs-connection').length > {len(before)}")
    after = set(page.eval_on_selector_all(".djs-connection", "els => els.map(e => e.dataset.elementId)"))
    (flow,) = after - before
    return str(flow)


def _open_group(page: Any, group: str) -> None:
    header = page.locator(f"[data-group-id='group-{group}'] .bio-properties-panel-group-header")
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def _jobs(app: Any) -> None:
    with app.app_context():
        run_pending()
        db.session.remove()


def _walk(api: Api, app: Any, code: str, steps: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """Complete the dossier's tasks in order; returns the task keys that were open on the way."""
    seen = []
    for user, key, form in steps:
        deadline = time.monotonic() + 20  # the server's job runner may be doing the registry call right now
        while True:
            _jobs(app)
            open_tasks = [t["task"] for t in api.get(user, f"/tasks?dossier={code}").get_json()]
            if key in open_tasks or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        seen += open_tasks
        resp = api.complete(user, code, key, form)
        assert resp.status_code == 200, resp.get_json()
    _jobs(app)
    return seen


def test_analyst_changes_the_birth_process_in_the_browser(
    app: Any,
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    shots: Path,  # noqa: F811
    client: Any,
) -> None:
    api = Api(client)
    # a dossier already running on version 1, at the officer's examination
    older = api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    _walk(api, app, older, [("reception.hoankiem", "reception_check", {"decision": "accept"})])

    page = new_page(browser)
    failures: list[str] = []
    page.on("pageerror", lambda e: failures.append(str(e)))
    page.on("response", lambda r: failures.append(r.url) if r.status >= 500 else None)
    login(page, server, "analyst")
    page.goto(f"{server}/processes")
    with page.expect_navigation():
        page.get_by_role("link", name="Soạn thảo, chạy thử và triển khai").first.click()
    page.locator("#modeler[data-ready='1']").wait_for()
    assert page.locator("#findings-count").inner_text() == "Không có lỗi"
    page.screenshot(path=shots / "11-modeler-open.png")

    # what the engine reads is shown in the panels, not as XML: a service task's operation, a lane's role
    _select(page, "register_entry")
    _open_group(page, "hotich-service")
    assert page.get_by_label("Thao tác", exact=True).input_value() == "register/enter"
    assert page.get_by_label("Biến nhận kết quả").input_value() == "register_entry"
    page.screenshot(path=shots / "12a-modeler-service-task-panel.png")
    lane = page.locator(".djs-element[data-element-id='lane_officer'] .djs-hit").first.bounding_box()
    selected_lane = page.locator(".djs-element.selected[data-element-id='lane_officer']")
    page.mouse.click(lane["x"] + 12, lane["y"] + lane["height"] / 2)  # the lane's title strip
    selected_lane.wait_for()
    _open_group(page, "hotich-lane")
    assert page.get_by_label("Vai trò của làn").input_value() == "officer"
    # a timer's deadline is in the standard Timer group (a Python string: "P1D")
    _select(page, "confirmation_timeout")
    _open_group(page, "timer")
    timer = page.locator("[data-group-id='group-timer'] input, [data-group-id='group-timer'] textarea")
    assert '"P1D"' in [timer.nth(i).input_value() for i in range(timer.count())]
    _click_empty_canvas(page)

    # a new task in the officer's lane, from the palette, named as it is created
    spot = page.evaluate(FREE_SPOT)
    assert spot, "no free spot in the officer's lane"
    page.locator(".djs-palette .entry[data-action='create.task']").click()
    page.mouse.move(spot[0] - 5, spot[1] - 5)
    page.mouse.click(spot[0], spot[1])
    task_id = page.locator(".djs-element.selected").get_attribute("data-element-id")
    assert task_id and task_id.startswith("Activity_")
    page.keyboard.type("Kiểm tra lại hồ sơ")
    _click_empty_canvas(page)  # ends the name's editing, keeping it
    # it becomes a user task (context pad → change type) and gets its form in the panel
    _select(page, task_id)
    page.locator(".djs-context-pad .entry[data-action='replace']").click()
    page.locator(".djs-popup [data-id='replace-with-user-task']").click()
    _select(page, task_id)
    _open_group(page, "hotich-user-task")
    page.get_by_label("Biểu mẫu", exact=True).select_option("officer_examine.json")
    page.get_by_label("Trạng thái hồ sơ khi mở nhiệm vụ").select_option("processing")
    page.screenshot(path=shots / "12-modeler-new-task-form.png", full_page=True)
    lanes = page.evaluate(
        """id => { const r = document.querySelector('.djs-element[data-element-id="lane_officer"]')
          .getBoundingClientRect(); const t = document.querySelector(`.djs-element[data-element-id="${id}"]`)
          .getBoundingClientRect(); return t.top >= r.top && t.bottom <= r.bottom; }""",
        task_id,
    )
    assert lanes, "the new task lies in the officer's lane"

    # after an approving examination: gateway → new task → channel gateway; the lint wants a condition
    flow_in = _connect(page, "gw_examine", task_id)
    _connect(page, task_id, "gw_channel")
    finding = page.locator(f"#findings li[data-code='condition_missing'][data-element-id='{flow_in}']")
    finding.wait_for()
    assert "không phải luồng mặc định nên phải có điều kiện" in finding.inner_text()
    page.screenshot(path=shots / "13-modeler-lint-missing-condition.png", full_page=True)

    # the finding selects the flow; the condition is written in the panel
    finding.get_by_role("button").click()
    page.locator(f".djs-element.selected[data-element-id='{flow_in}']").wait_for()
    _open_group(page, "hotich-condition")
    page.get_by_label("Điều kiện (biểu thức Python)").fill('officer_examine["decision"] == "approve"')
    finding.wait_for(state="detached")
    assert page.locator("#findings li[data-code='condition_missing']").count() == 0

    # saved on the server, which agrees (the authority)
    page.get_by_role("button", name="Lưu bản nháp").click()
    wait_until(
        page, "document.getElementById('modeler-status').textContent.includes('Máy chủ: sơ đồ hợp lệ')"
    )
    assert page.locator("#modeler").get_attribute("data-draft-version") == "1"
    page.screenshot(path=shots / "14-modeler-saved-valid.png")

    # test-run with the sample dossier: approve everywhere; nothing real is touched
    with app.app_context():
        real = (
            db.session.scalar(select(func.count()).select_from(Dossier)),
            db.session.scalar(select(func.count()).select_from(RegisterEntry)),
        )
        db.session.remove()
    page.get_by_role("button", name="Cập nhật danh sách nhiệm vụ").click()
    page.locator(f".test-run__task[data-task-id='{task_id}']").wait_for()
    assert page.locator(f"#tr-decision-{task_id}").input_value() == "approve"
    page.get_by_role("button", name="Chạy thử", exact=True).click()
    page.locator("#modeler[data-test-run-status]").wait_for(timeout=60_000)
    status = page.locator("#modeler-status").inner_text()
    assert page.locator("#modeler").get_attribute("data-test-run-status") == "completed", status
    assert page.locator(f".test-run__step[data-element-id='{task_id}']").count() == 1
    assert page.locator(f".djs-element.hotich-done[data-element-id='{task_id}']").count() == 1
    page.locator(f".test-run__step[data-element-id='{task_id}'] button").click()
    assert '"officer_examine"' in page.locator("#test-run-data").inner_text()
    page.screenshot(path=shots / "15-modeler-test-run.png", full_page=True)
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Dossier)),
            db.session.scalar(select(func.count()).select_from(RegisterEntry)),
        ) == real
        db.session.remove()

    # deploy: version 2
    page.get_by_role("button", name="Triển khai").click()
    wait_until(
        page, "document.getElementById('modeler-status').textContent.includes('Đã triển khai phiên bản 2')"
    )
    page.screenshot(path=shots / "16-modeler-deployed.png")
    with page.expect_navigation():
        page.locator("#deployed-link").click()
    page.locator("#diagram[data-rendered='1']").wait_for()
    assert page.locator(f"#diagram .djs-element[data-element-id='{task_id}']").count() == 1
    page.screenshot(path=shots / "17-version-2.png")
    assert failures == []

    # a new dossier takes the new path; the older one finishes on version 1 without it
    other_family = birth_submission(
        requester={"full_name": "Lê Hoàng Nam", "personal_id": "001092034567", "relationship": "father"},
        mother={"personal_id": "001193045678"},
        father={"personal_id": "001092034567"},
    )
    other_family["data"]["child"].update(full_name="Lê Minh Khang", sex="male", birth_date="2026-02-25")
    other_family["data"]["birth_certificate"].update(number="BV-2026-00456", issued_on="2026-02-26")
    newer = api.post("reception.hoankiem", "/dossiers", json=other_family).get_json()["code"]
    officer, approve = "officer.hoankiem", {"decision": "approve"}
    tail = [
        ("chairman.hoankiem", "chairman_sign", {"decision": "sign", "signer_title": "chu_tich"}),
        ("reception.hoankiem", "return_result", {"delivered_via": "counter"}),
    ]
    seen_new = _walk(
        api,
        app,
        newer,
        [
            ("reception.hoankiem", "reception_check", {"decision": "accept"}),
            (officer, "officer_examine", approve),
        ]
        + [(officer, task_id, approve)]
        + tail,
    )
    seen_old = _walk(api, app, older, [(officer, "officer_examine", approve)] + tail)
    assert task_id in seen_new and task_id not in seen_old
    for code, version in ((newer, 2), (older, 1)):
        dossier = api.get(officer, f"/dossiers/{code}").get_json()
        assert dossier["status"] == "completed" and dossier["process"]["version"] == version
        assert dossier["result"]["register"]["number"] >= 1


def test_an_auditor_reads_the_modeler_without_writing(browser: Any, server: str) -> None:  # noqa: F811
    page = new_page(browser)
    failures: list[str] = []
    page.on("pageerror", lambda e: failures.append(str(e)))
    login(page, server, "auditor")
    page.goto(f"{server}/processes/birth_registration/modeler")
    page.locator("#modeler[data-ready='1']").wait_for()
    assert page.get_by_role("button", name="Lưu bản nháp").count() == 0
    assert page.get_by_role("button", name="Triển khai").count() == 0
    page.get_by_role("button", name="Kiểm tra trên máy chủ").click()
    wait_until(
        page, "document.getElementById('modeler-status').textContent.includes('Máy chủ: sơ đồ hợp lệ')"
    )
    assert failures == []
