"""The auditors' desk in a real browser (Playwright + Debian's chromium, fixtures of test_browser.py):
stepping through a completed birth moves the highlighted element on the dossier's own diagram, and a row
edited by SQL makes the history page name the first bad event."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.extensions import db
from app.models import AuditEvent, Dossier
from tests.api_client import Api
from tests.e2e import test_browser as base
from tests.services.test_audit_proof import _completed_birth

pytestmark = pytest.mark.browser
browser, server, shots = base.browser, base.server, base.shots  # the fixtures of the browser suite
login, new_page = base.login, base.new_page


@pytest.fixture
def completed(app: Any, client: Any) -> str:
    """A completed birth, walked through before the server (and its job runner thread) starts."""
    return _completed_birth(app, Api(client))


def _seq(app: Any, code: str, task: str) -> int:
    with app.app_context():
        d = db.session.query(Dossier).filter_by(code=code).one()
        seq = (
            db.session.query(AuditEvent.seq)
            .filter_by(dossier_id=d.id, task=task, type="task_completed")
            .scalar()
        )
        db.session.remove()
        return int(seq)


def _active(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all(
            "#diagram .djs-element.hotich-active[data-element-id]",
            "els => els.map(e => e.getAttribute('data-element-id')).filter(id => !id.endsWith('_label'))",
        )
    )


def test_stepping_through_a_completed_birth_moves_the_highlight(
    app: Any,
    completed: str,
    browser: Any,
    server: str,
    shots: Path,
) -> None:
    code = completed
    accept = _seq(app, code, "reception_check")
    page = new_page(browser)
    login(page, server, "auditor")
    page.goto(f"{server}/audit/dossiers/{code}?upto={accept - 1}")
    page.wait_for_selector("#diagram[data-rendered='1']")
    assert _active(page) == ["reception_check"]
    assert page.locator("#diagram .djs-element.hotich-done[data-element-id='lookup_parties']").count() == 1
    page.evaluate("window.__sameDocument = true")  # stepping must not reload the page

    page.click("#step-next")
    base.wait_until(page, f"document.getElementById('step-now').getAttribute('data-upto') === '{accept}'")
    assert "officer_examine" in _active(page) and "reception_check" not in _active(page)
    assert page.locator("#diagram .djs-element.hotich-done[data-element-id='reception_check']").count() == 1
    assert page.url.endswith(f"upto={accept}")
    assert page.locator(f"#event-{accept}.is-current").count() == 1
    assert "reception_check.decision" in page.inner_text("#step-changes")

    page.click("#step-prev")
    base.wait_until(page, f"document.getElementById('step-now').getAttribute('data-upto') === '{accept - 1}'")
    assert _active(page) == ["reception_check"]

    last = int(page.get_attribute("#upto", "max") or 0)
    page.fill("#upto", str(last))  # the slider
    base.wait_until(page, f"document.getElementById('step-now').getAttribute('data-upto') === '{last}'")
    assert _active(page) == []
    assert page.locator("#diagram .djs-element.hotich-done[data-element-id='end_completed']").count() == 1
    assert "Nguyễn Thị Ánh Dương" in page.inner_text("#step-data")
    assert page.evaluate("window.__sameDocument") is True
    # the changes sit in the narrow column: no cell spills over, and a value keeps whole words on a line
    cells = "[...document.querySelectorAll('#step-changes td')]"
    assert page.evaluate(f"{cells}.filter(td => td.scrollWidth > td.clientWidth + 1).length") == 0
    value = page.evaluate("document.querySelector('#step-changes tbody td:last-child').clientWidth")
    assert value > page.evaluate("document.querySelector('#step-changes').clientWidth") / 5
    page.screenshot(path=str(shots / "audit-history.png"), full_page=True)
    page.context.close()


def test_a_row_edited_by_sql_shows_the_first_bad_event(
    app: Any,
    completed: str,
    browser: Any,
    server: str,
    shots: Path,
) -> None:
    code = completed
    bad = _seq(app, code, "officer_examine")
    with app.app_context():
        db.session.execute(
            text(
                "UPDATE audit_event SET actor = 'reception.hoankiem' "
                "WHERE seq = :seq AND dossier_id = (SELECT id FROM dossier WHERE code = :code)"
            ),
            {"seq": bad, "code": code},
        )
        db.session.commit()
        db.session.remove()
    page = new_page(browser)
    login(page, server, "auditor")
    page.goto(f"{server}/audit/dossiers/{code}")
    assert f"Sự kiện đầu tiên không hợp lệ: số {bad}" in page.inner_text("#integrity")
    assert page.locator(f"#event-{bad}.is-bad").count() == 1
    assert page.locator(".history-table tr.is-bad").count() == 1
    page.click("#first-bad a")
    assert page.url.endswith(f"#event-{bad}")
    page.screenshot(path=str(shots / "audit-tampered.png"), full_page=False)
    page.context.close()


@pytest.fixture
def looped(app: Any, client: Any) -> str:
    """A birth sent back for a supplement and received again: the reception check is passed twice."""
    from tests.api_client import birth_submission
    from tests.services.procedures import OFFICER, RECEPTION, accept, attachment, complete, jobs, submit

    api = Api(client)
    payload = birth_submission()
    payload["data"].pop("birth_certificate")
    code = submit(api, app, payload)
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "supplement", "note": "Nộp giấy cam đoan"})
    body = {"data": {}, "attachments": [attachment("birth_undertaking")]}
    assert api.post(RECEPTION, f"/dossiers/{code}/supplement", json=body).status_code == 200
    jobs(app)
    accept(api, code)
    return code


def test_a_loop_is_shown_per_pass(app: Any, looped: str, browser: Any, server: str) -> None:
    page = new_page(browser)
    login(page, server, "auditor")
    page.goto(f"{server}/audit/dossiers/{looped}")
    page.wait_for_selector("#diagram[data-rendered='1']")
    badge = page.locator(".djs-overlays[data-container-id='reception_check'] .hotich-passes")
    assert badge.inner_text() == "×2"
    page.fill("#upto", "5")  # early on, after the first acceptance: one pass only, no badge
    base.wait_until(page, "document.getElementById('step-now').getAttribute('data-upto') === '5'")
    assert page.locator(".djs-overlays[data-container-id='reception_check'] .hotich-passes").count() == 0
    assert page.locator("#diagram .djs-element.hotich-done[data-element-id='reception_check']").count() == 1
    page.context.close()
