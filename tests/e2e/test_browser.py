"""The officials' interface in a real browser (Playwright driving Debian's chromium, never a downloaded one).

A real server runs the test app in a thread, with the job runner polling, so the pages wait for the registry
the way they do in production. Screenshots of the main pages go to a temporary directory, or to
test-results/ when HOTICH_SCREENSHOTS is set.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Dossier

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
pytestmark = pytest.mark.browser


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); browser tests skipped locally")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def server(app: Any) -> Iterator[str]:
    """The test app on 127.0.0.1:<free port>, with the job runner thread (registry calls, timers)."""
    from werkzeug.serving import make_server

    from app.services.jobs import BackgroundRunner

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=httpd.serve_forever, name="e2e-server", daemon=True)
    serving.start()
    runner = BackgroundRunner(app, interval=0.2)
    runner.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    runner.stopped.set()
    runner.join(timeout=10)
    httpd.shutdown()
    serving.join(timeout=10)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path("test-results/screenshots") if os.environ.get("HOTICH_SCREENSHOTS") else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


CSP_VIOLATIONS: list[str] = []


@pytest.fixture(autouse=True)
def no_csp_violations() -> Iterator[None]:
    """Every page of every browser test runs under the app's Content-Security-Policy without a violation."""
    CSP_VIOLATIONS.clear()
    yield
    assert CSP_VIOLATIONS == []


def wait_until(page: Any, expression: str, timeout: float = 20.0) -> None:
    """Poll a JS expression until it is truthy. Playwright's wait_for_function evaluates a string in the page,
    which the app's CSP (no 'unsafe-eval') refuses; page.evaluate goes through the DevTools protocol."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s: {expression}")
        page.wait_for_timeout(50)


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.on(
        "console",
        lambda msg: CSP_VIOLATIONS.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return page


def login(page: Any, base: str, username: str) -> None:
    """Log in with the keyboard only: the username field has the focus, Tab to the password, Enter."""
    page.goto(f"{base}/login")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type("demo12345")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url, page.url


def logout(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Đăng xuất").click()


def fill_birth_declaration(page: Any) -> None:
    """The paper declaration, typed field after field with Tab as an official does."""
    page.locator("#f-requester-full_name").focus()
    page.keyboard.type("Nguyễn Văn Ân")  # the registry says "Nguyễn Văn An": a KS-09 warning
    page.keyboard.press("Tab")
    page.keyboard.type("001095012345")
    page.keyboard.press("Tab")
    page.keyboard.type("Cha")  # type-ahead in the focused select
    page.keyboard.press("Tab")
    page.keyboard.type("0912345678")
    page.keyboard.press("Tab")
    page.keyboard.type("an@example.vn")
    page.keyboard.press("Tab")
    page.keyboard.type("Nguyễn Thị Ánh Dương")
    page.keyboard.press("Tab")
    page.keyboard.type("20022026")  # becomes 20/02/2026 on leaving the field
    page.keyboard.press("Tab")
    assert page.input_value("#f-child-birth_date") == "20/02/2026"
    page.locator("#f-child-sex-2").check()  # Nữ
    page.select_option("#f-child-ethnicity", "Kinh")
    page.fill("#f-child-birth_place", "Bệnh viện Phụ sản Hà Nội, Phường Láng, Thành phố Hà Nội")
    page.fill("#f-child-home_town", "Phường Hoàn Kiếm, Thành phố Hà Nội")
    page.fill("#f-mother-personal_id", "001196023456")
    page.fill("#f-father-personal_id", "001095012345")
    page.fill("#f-birth_certificate-number", "BV-2026-00123")
    page.fill("#f-birth_certificate-issuer", "Bệnh viện Phụ sản Hà Nội")
    page.fill("#f-birth_certificate-issued_on", "21/02/2026")
    page.fill("#f-copies", "1")
    assert page.locator("[data-field='witness_or_undertaking_attached']").is_hidden()


def open_my_task(page: Any, base: str, code: str, title: str, inbox: str = "/inbox") -> None:
    """Find the dossier's task in the inbox (reloading while the job runner finishes) and open it."""
    deadline = time.monotonic() + 20
    while True:
        page.goto(f"{base}{inbox}")
        row = page.locator("tr", has=page.locator(f"a.code:text-is('{code}')"))
        if row.count():
            break
        assert time.monotonic() < deadline, f"{title} for {code} never reached the inbox"
        page.wait_for_timeout(300)
    with page.expect_navigation():
        row.get_by_role("link", name=title).click()


def complete(page: Any) -> None:
    with page.expect_navigation():
        page.locator("form.task-form button[type=submit]").click()


def assert_pdf(page: Any, base: str, href: str) -> None:
    response = page.request.get(href if href.startswith("http") else base + href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")


def test_counter_to_certificate_in_the_browser(app: Any, browser: Any, server: str, shots: Path) -> None:
    page = new_page(browser)
    started = time.perf_counter()

    page.goto(f"{server}/login")
    page.screenshot(path=shots / "01-login.png")
    login(page, server, "reception.hoankiem")
    page.screenshot(path=shots / "02-inbox-reception.png", full_page=True)

    # the skip link is the first stop of the keyboard and lands in the main content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # counter intake: procedure, declaration, submit with Enter
    page.get_by_role("link", name="Tiếp nhận hồ sơ").first.click()
    with page.expect_navigation():
        page.get_by_role("link", name="Đăng ký khai sinh").click()
    fill_birth_declaration(page)
    page.screenshot(path=shots / "03-counter-form.png", full_page=True)
    page.locator("#f-copies").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "submitted=1" in page.url, page.url
    code = page.url.split("/dossiers/")[1].split("?")[0]

    # the page waits for the registry lookup, then offers the reception check (focused: Enter opens it)
    check = page.get_by_role("link", name="Kiểm tra, tiếp nhận hồ sơ →")
    check.wait_for()
    page.locator(":focus", has_text="tiếp nhận").wait_for()  # locators, not string eval: the CSP forbids eval
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator("#f-decision").focus()  # "Tiếp nhận" is the first choice
    page.keyboard.press("Space")
    complete(page)
    slip = page.get_by_role("link", name="In: Phiếu tiếp nhận hồ sơ và hẹn trả kết quả")
    assert slip.get_attribute("href") == f"/dossiers/{code}/documents/phieu_hen"
    with page.context.expect_page() as popup:
        slip.click()  # the slip opens in a new tab, to print at once
    popup.value.close()
    assert_pdf(page, server, f"/dossiers/{code}/documents/phieu_hen")
    logout(page)

    # the officer examines: the findings stand beside the form
    login(page, server, "officer.hoankiem")
    page.screenshot(path=shots / "04-inbox-officer.png", full_page=True)
    open_my_task(page, server, code, "Thẩm tra hồ sơ")
    assert page.locator(".finding--warn .finding__rule", has_text="KS-09").count() == 1
    # the findings panel is laid out as every panel (the modeler's lint list style once took its padding)
    padding = "e => parseFloat(getComputedStyle(e).paddingLeft)"
    panel_padding = page.locator(".panel").first.evaluate(padding)
    assert page.locator("section.findings").evaluate(padding) == panel_padding > 0
    page.screenshot(path=shots / "05-task-with-findings.png", full_page=True)
    page.get_by_label("Đủ điều kiện đăng ký").check()
    complete(page)
    # Luật Hộ tịch Art. 16(2): after the entry and the personal id, declarant and officer sign the register
    open_my_task(page, server, code, "Người yêu cầu và công chức ký Sổ đăng ký khai sinh")
    page.get_by_label("Đã ký tại chỗ, cùng công chức").check()
    page.get_by_label("Công chức tư pháp – hộ tịch đã ký sổ").check()
    complete(page)
    logout(page)

    login(page, server, "chairman.hoankiem")
    open_my_task(page, server, code, "Ký Giấy khai sinh")
    page.get_by_label("Ký", exact=True).check()
    page.get_by_label("Chủ tịch", exact=True).check()
    complete(page)
    logout(page)

    # reception hands over the result and prints the certificate
    login(page, server, "reception.hoankiem")
    open_my_task(page, server, code, "Trả kết quả", inbox="/inbox?task=return_result")
    assert page.get_by_role("link", name="Bản sao Giấy khai sinh số 1").count() == 1
    page.get_by_label("Trực tiếp tại bộ phận một cửa").check()
    complete(page)
    certificate = page.locator("a.doc__link", has_text="Giấy khai sinh").first
    assert certificate.get_attribute("href") == f"/dossiers/{code}/documents/giay_khai_sinh"
    assert_pdf(page, server, f"/dossiers/{code}/documents/giay_khai_sinh")
    elapsed = time.perf_counter() - started

    page.locator("#diagram[data-rendered='1']").wait_for()
    assert page.locator("#diagram .hotich-done").count() > 5
    page.screenshot(path=shots / "06-dossier-with-diagram.png", full_page=True)
    with app.app_context():
        dossier = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        assert dossier.status == "completed" and dossier.channel == "counter"
        assert dossier.data["child"]["birth_date"] == "2026-02-20"
    print(f"\ncounter-to-certificate flow in the browser: {elapsed:.1f} s (screenshots in {shots})")


def test_rejected_form_keeps_typed_values_and_focuses_the_errors(browser: Any, server: str) -> None:
    page = new_page(browser)
    login(page, server, "reception.hoankiem")
    page.goto(f"{server}/counter/birth")
    page.fill("#f-requester-full_name", "Nguyễn Văn An")
    page.fill("#f-requester-personal_id", "00109501234")
    page.fill("#f-child-full_name", "Nguyễn Thị Ánh Dương")
    page.fill("#f-child-birth_date", "31/02/2026")
    page.fill("#f-child-birth_place", "Bệnh viện Phụ sản Hà Nội")
    with page.expect_navigation():
        page.locator(".counter-form button[type=submit]").click()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.input_value("#f-requester-full_name") == "Nguyễn Văn An"
    assert page.input_value("#f-child-birth_date") == "31/02/2026"
    assert page.input_value("#f-child-birth_place") == "Bệnh viện Phụ sản Hà Nội"
    error = page.locator("#f-child-birth_date-error")
    assert "ngày/tháng/năm" in error.inner_text()
    assert page.get_attribute("#f-child-birth_date", "aria-describedby").endswith("f-child-birth_date-error")
    # the summary's link puts the focus in the field
    summary.get_by_role("link", name="«Ngày, tháng, năm sinh» phải là ngày").click()
    assert page.evaluate("document.activeElement.id") == "f-child-birth_date"


def test_a_double_click_completes_a_task_once(app: Any, browser: Any, server: str, client: Any) -> None:
    from tests.api_client import Api, birth_submission

    code = Api(client).post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    page = new_page(browser)
    login(page, server, "reception.hoankiem")
    open_my_task(page, server, code, "Kiểm tra, tiếp nhận hồ sơ")
    page.get_by_label("Tiếp nhận", exact=True).check()
    with page.expect_navigation():
        page.locator("form.task-form button[type=submit]").dblclick()
    assert f"/dossiers/{code}" in page.url
    with app.app_context():
        completed = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .join(Dossier, Dossier.id == AuditEvent.dossier_id)
            .where(Dossier.code == code, AuditEvent.type == "task_completed")
        )
    assert completed == 1


def test_new_tasks_are_announced_without_reloading(
    app: Any, browser: Any, server: str, client: Any, clock: Any
) -> None:
    from tests.api_client import Api, birth_submission

    app.config["HOTICH_POLL_INTERVAL_MS"] = 300
    page = new_page(browser)
    login(page, server, "reception.hoankiem")
    banner = page.locator("#live-banner")
    assert banner.get_attribute("aria-live") == "polite" and banner.inner_text() == ""
    url = page.url
    clock.advance(minutes=5)  # the dossier arrives after the page was shown
    Api(client).post("reception.hoankiem", "/dossiers", json=birth_submission())
    page.locator("#live-banner", has_text="1 việc mới").wait_for()
    assert page.url == url  # no reload, and the focus did not move
    assert page.locator("[data-count='all']").inner_text() == "1"
    with page.expect_navigation():
        banner.get_by_role("link", name="Tải lại danh sách").click()
    assert page.locator("a.task-link").count() == 1


def test_a_parents_personal_id_shows_the_registry_record_instead_of_the_block(
    browser: Any, server: str, shots: Path
) -> None:
    """Issue #8 §6: the counter form asks only for what is needed."""
    page = new_page(browser)
    login(page, server, "reception.hoankiem")
    page.goto(f"{server}/counter/birth")
    assert page.locator("#f-mother-full_name").is_visible()  # no id yet: the block is to be declared
    page.fill("#f-mother-personal_id", "001196023456")
    card = page.locator("[data-registry-card='mother.personal_id']")
    card.wait_for(state="visible")
    assert "Trần Thị Bích Ngọc" in card.inner_text() and "03/09/1996" in card.inner_text()
    assert page.locator("#f-mother-full_name").is_hidden()
    assert page.locator("#f-mother-residence").is_hidden()
    page.screenshot(path=str(shots / "counter-registry-card.png"), full_page=True)
    # the requester's card opens a row under the id's row: the fields beside the id do not move
    beside = "['#f-requester-full_name', '#f-requester-relationship', '#f-requester-phone'].map(s => {"
    beside += "const r = document.querySelector(s).getBoundingClientRect(); "
    beside += "return [r.left, r.top + scrollY]; })"
    before = page.evaluate(beside)
    page.fill("#f-requester-personal_id", "001095012345")
    page.locator("[data-registry-card='requester.personal_id']").wait_for(state="visible")
    assert page.evaluate(beside) == before
    page.fill("#f-father-personal_id", "009999999999")
    father = page.locator("[data-registry-card='father.personal_id']")
    father.wait_for(state="visible")
    assert "Không tìm thấy" in father.inner_text()
    page.fill("#f-father-personal_id", "")
    assert page.locator("#f-father-full_name").is_visible() and father.is_hidden()
    # a too-long name is said while typing, not cut
    page.fill("#f-child-full_name", "Nguyễn " * 20)
    assert len(page.input_value("#f-child-full_name")) == 140
    page.locator("#f-child-full_name").dispatch_event("input")
    assert "không được dài quá 100 ký tự" in page.locator("[data-field='child.full_name']").inner_text()


def test_an_official_works_a_training_exercise_in_the_browser(
    app: Any, browser: Any, server: str, shots: Path, tmp_path: Path
) -> None:
    """Issue #12 §4: the exercise is worked in the real pages of the training space and scored."""
    app.config["HOTICH_TRAINING_DATABASE_URL"] = f"sqlite:///{tmp_path / 'training.db'}"
    page = new_page(browser)
    page.goto(f"{server}/training/login")
    assert "TẬP HUẤN" in page.locator(".training-banner").inner_text()
    page.fill("#username", "officer.hoankiem")
    page.fill("#password", "demo12345")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(f"{server}/training/exercises/")
    row = page.locator("tr", has_text="bên nữ còn thiếu một ngày")
    with page.expect_navigation():
        row.get_by_role("button", name="Làm bài").click()
    assert "/training/tasks/" in page.url
    assert "KH-01" in page.content()  # the rules found what was planted
    page.screenshot(path=str(shots / "training-exercise-task.png"), full_page=True)
    page.get_by_role("radio", name="Từ chối đăng ký").check()
    page.locator("#f-reasons").fill("Bên nữ chưa đủ 18 tuổi (KH-01)")
    with page.expect_navigation():
        page.get_by_role("button", name="Hoàn thành").click()
    page.goto(f"{server}/training/exercises/")
    mine = page.locator("section", has_text="Bài đã làm")
    assert "100/100" in mine.inner_text()
    with page.expect_navigation():
        mine.get_by_role("link", name="Xem").first.click()
    assert "Điều 8(1)(a)" in page.content()
    page.screenshot(path=str(shots / "training-exercise-score.png"), full_page=True)


def test_two_versions_compared_on_the_diagram(app: Any, browser: Any, server: str, shots: Path) -> None:
    """Issue #9 §6: the diff page marks the changed task on the old and the new diagram."""
    from tests.web.test_process_diff_page import _deploy_second_version

    _deploy_second_version(app)
    page = new_page(browser)
    login(page, server, "analyst")
    page.goto(f"{server}/processes/birth_registration/diff")
    page.wait_for_selector("[data-diff-diagram][data-rendered]:nth-of-type(1)")
    wait_until(page, "document.querySelectorAll('[data-diff-diagram][data-rendered]').length === 2")
    assert page.locator("[data-diff-diagram] .hotich-changed[data-element-id='officer_examine']").count() == 2
    page.screenshot(path=str(shots / "process-diff.png"), full_page=True)


def test_api_docs_page_renders_under_the_csp(browser: Any, server: str) -> None:
    """Swagger UI (vendor files, no CDN) shows the OpenAPI description with the strict CSP in force."""
    page = new_page(browser)
    response = page.goto(f"{server}/api/v1/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.locator(".swagger-ui .info .title", has_text="Hộ tịch BPMN").wait_for()
    page.locator(".opblock-summary-path", has_text="/dossiers/{code}/withdraw").first.wait_for()
