"""The history page: every event with who, role, when, what changed and what a lookup returned; the step
control replays the dossier on its own diagram; waits in office time, deadlines and late steps."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest

from app.extensions import db
from app.models import AuditEvent, Dossier
from app.services.history import dossier_history
from tests.api_client import Api, birth_submission
from tests.page_client import Pages
from tests.services.procedures import (
    CHAIRMAN,
    OFFICER,
    RECEPTION,
    SIGN,
    accept,
    advance,
    attachment,
    complete,
    jobs,
    submit,
)
from tests.services.test_audit_proof import _completed_birth


def _markers(html: str) -> dict[str, Any]:
    found = re.search(r'id="diagram"[^>]*data-markers="([^"]*)"', html)
    assert found, "no diagram markers on the page"
    return dict(json.loads(unescape(found.group(1))))


def _history(app: Any, code: str, user: str = "auditor") -> Any:
    from app.models import User

    with app.test_request_context():
        actor = db.session.query(User).filter_by(username=user).one()
        dossier = db.session.query(Dossier).filter_by(code=code).one()
        return dossier_history(actor, dossier)


def _row(html: str, seq: int) -> str:
    return html.split(f'id="event-{seq}"')[1].split('<tr id="event-')[0].split("</tbody>\n  </table>")[0]


def test_every_event_with_actor_role_changes_and_lookup(app: Any, client: Any) -> None:
    api = Api(client)
    code = _completed_birth(app, api)
    h = _history(app, code)
    events = api.get("auditor", f"/dossiers/{code}/events").get_json()
    assert [s.seq for s in h.steps] == [e["seq"] for e in events]
    examine = next(s for s in h.steps if s.task == "officer_examine")
    assert (examine.actor, examine.role) == ("officer.hoankiem", "officer")
    assert {(c.path, c.before, c.after) for c in examine.changes} >= {
        ("officer_examine.decision", None, '"approve"')
    }
    lookup = next(s for s in h.steps if s.lookup)
    assert lookup.role == "system" and lookup.lookup["mother"]["full_name"] == "Trần Thị Bích Ngọc"
    assert (h.verdict["chain_ok"], h.verdict["replay_ok"], h.verdict["first_bad_seq"]) == (True, True, None)

    pages = Pages(app)
    pages.login("auditor")
    html = pages.text(f"/audit/dossiers/{code}")
    row = _row(html, examine.seq)
    assert (
        "Trần Văn Minh" in row and "Công chức tư pháp – hộ tịch" in row and "officer_examine.decision" in row
    )
    assert "Trần Thị Bích Ngọc" in _row(html, lookup.seq)  # which lookup returned what
    assert "Chuỗi băm nguyên vẹn" in html


def test_the_step_control_replays_the_state_after_each_step(app: Any, client: Any) -> None:
    api = Api(client)
    code = _completed_birth(app, api)
    h = _history(app, code)
    accept_seq = next(s.seq for s in h.steps if s.task == "reception_check")
    pages = Pages(app)
    pages.login("auditor")

    before = pages.text(f"/audit/dossiers/{code}?upto={accept_seq - 1}")
    marks = _markers(before)
    assert marks["active"] == ["reception_check"] and "officer_examine" not in marks["completed"]
    assert (
        "Kiểm tra, tiếp nhận hồ sơ" in before.split('id="step-now"')[1].split("</p>")[0]
    )  # the open task then
    # the step control works without JavaScript: links to the neighbouring steps
    assert f"upto={accept_seq - 2}" in before and f"upto={accept_seq}" in before

    after = pages.text(f"/audit/dossiers/{code}?upto={accept_seq}")
    marks = _markers(after)
    assert "reception_check" in marks["completed"] and "officer_examine" in marks["active"]
    assert "reception_check" not in marks["active"]
    assert "reception_check.decision" in after.split('id="step-changes"')[1].split("</table>")[0]

    last = pages.text(f"/audit/dossiers/{code}")
    marks = _markers(last)
    assert marks["active"] == [] and "end_completed" in marks["completed"]
    assert "Nguyễn Thị Ánh Dương" in last.split('id="step-data"')[1]  # the data as it was


def test_the_data_shown_is_the_data_after_that_step(app: Any, client: Any) -> None:
    """A supplement changes the data: the step before shows the old value, the step after the new one."""
    api = Api(client)
    payload = birth_submission()
    payload["data"].pop("birth_certificate")
    code = submit(api, app, payload)
    accept(api, code)
    complete(api, OFFICER, code, "officer_examine", {"decision": "supplement", "note": "Nộp giấy cam đoan"})
    resp = api.post(
        RECEPTION,
        f"/dossiers/{code}/supplement",
        json={
            "data": {"requester": {"phone": "0987654321"}},
            "attachments": [attachment("birth_undertaking")],
        },
    )
    assert resp.status_code == 200, resp.get_json()
    jobs(app)
    accept(api, code)
    h = _history(app, code)
    message = next(s for s in h.steps if s.type == "message")
    assert any(
        c.path == "dossier.requester.phone" and c.before == '"0912345678"' and c.after == '"0987654321"'
        for c in message.changes
    )
    pages = Pages(app)
    pages.login("auditor")
    old = pages.text(f"/audit/dossiers/{code}?upto={message.seq - 1}").split('id="step-data"')[1]
    new = pages.text(f"/audit/dossiers/{code}?upto={message.seq}").split('id="step-data"')[1]
    assert (
        "0912345678" in old.split("</div>\n    </div>")[0]
        and "0987654321" not in old.split("</div>\n    </div>")[0]
    )
    assert "0987654321" in new.split("</div>\n    </div>")[0]
    # the loop went round: the reception check and the examination are passed twice by now
    marks = _markers(pages.text(f"/audit/dossiers/{code}"))
    assert marks["passes"]["reception_check"] == 2
    assert "officer_examine" in marks["active"]


def test_waits_in_office_time_and_late_steps(app: Any, client: Any, clock: Any) -> None:
    """Received Tue 10/03/2026 09:00; accepted at 11:00 (2 office hours, due that day 17:00: on time);
    examined Wed 10:00 — 11:00–12:00 + 13:00–17:00 + 08:00–10:00 = 7 office hours, after the dossier's
    due date (Tue 17:00, one working day): late."""
    api = Api(client)
    code = submit(api, app, birth_submission())
    advance(clock, api, app, hours=2)
    accept(api, code)
    advance(clock, api, app, hours=23)  # Wed 10:00
    complete(api, OFFICER, code, "officer_examine", {"decision": "approve"})
    h = _history(app, code)
    check = next(s for s in h.steps if s.task == "reception_check")
    examine = next(s for s in h.steps if s.task == "officer_examine")
    assert check.waited == timedelta(hours=2) and not check.late
    assert examine.waited == timedelta(hours=7) and examine.late
    assert examine.due_at is not None and examine.due_at.isoformat() == "2026-03-10T10:00:00+00:00"
    assert h.legal_due_at is not None and h.legal_due_at.isoformat() == "2026-03-10T10:00:00+00:00"
    pages = Pages(app)
    pages.login("auditor")
    html = pages.text(f"/audit/dossiers/{code}")
    assert "2 giờ làm việc" in _row(html, check.seq) and "Đúng hạn" in _row(html, check.seq)
    assert "7 giờ làm việc" in _row(html, examine.seq) and "Quá hạn" in _row(html, examine.seq)
    assert "1 bước quá hạn" in html and "10/03/2026 17:00" in html.split('id="legal-due"')[1][:40]
    assert _markers(html)["late"] == ["officer_examine"]


def test_filters_by_kind_and_actor(app: Any, client: Any) -> None:
    api = Api(client)
    code = _completed_birth(app, api)
    pages = Pages(app)
    pages.login("auditor")
    html = pages.text(f"/audit/dossiers/{code}?kind=task_completed")
    kinds = set(re.findall(r'data-kind="([a-z_]+)"', html))
    assert kinds == {"task_completed"}
    html = pages.text(f"/audit/dossiers/{code}?actor=chairman.hoankiem")
    rows = re.findall(r'<tr id="event-(\d+)"', html)
    assert len(rows) == 1 and "Lê Quang Huy" in _row(html, int(rows[0]))
    # the step links keep the filter
    assert "actor=chairman.hoankiem" in html.split('id="step-control"')[1].split("</form>")[0]


def test_bad_step_and_access(app: Any, client: Any) -> None:
    api = Api(client)
    code = _completed_birth(app, api)
    pages = Pages(app)
    pages.login("auditor")
    for bad in ("0", "999", "abc", "-1"):
        resp = pages.get(f"/audit/dossiers/{code}?upto={bad}")
        assert resp.status_code == 400 and "upto" in resp.get_data(as_text=True)
    other = Pages(app)
    other.login("officer.badinh")
    assert other.get(f"/audit/dossiers/{code}").status_code == 404  # another commune's dossier
    analyst = Pages(app)
    analyst.login("analyst")
    assert analyst.get(f"/audit/dossiers/{code}").status_code == 403
    own = Pages(app)
    own.login("officer.hoankiem")
    assert own.get(f"/audit/dossiers/{code}").status_code == 200
    assert own.get(f"/audit/dossiers/{code}/history.pdf").status_code == 403  # the report is the auditor's


def test_a_forged_event_is_named_on_the_page(app: Any, client: Any) -> None:
    api = Api(client)
    code = _completed_birth(app, api)
    with app.app_context():
        d = db.session.query(Dossier).filter_by(code=code).one()
        ev = db.session.query(AuditEvent).filter_by(dossier_id=d.id, task="officer_examine").one()
        db.session.query(AuditEvent).filter_by(id=ev.id).update({"actor": "reception.hoankiem"})
        db.session.commit()
        seq = ev.seq
        db.session.remove()
    pages = Pages(app)
    pages.login("auditor")
    html = pages.text(f"/audit/dossiers/{code}")
    assert f'id="first-bad" data-seq="{seq}"' in html
    assert (
        "is-bad"
        in html.split(f'id="event-{seq}"')[1].split(">")[0] + html.split(f'<tr id="event-{seq}"')[1][:300]
    )


def test_history_pdf_report(app: Any, client: Any, tmp_path: Any) -> None:
    import shutil
    import subprocess

    api = Api(client)
    code = _completed_birth(app, api)
    pages = Pages(app)
    pages.login("auditor")
    resp = pages.get(f"/audit/dossiers/{code}/history.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data[:5] == b"%PDF-"
    exe = shutil.which("pdftotext")
    if exe:
        path = tmp_path / "h.pdf"
        path.write_bytes(resp.data)
        text = subprocess.run([exe, "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True).stdout
        words = text.decode("utf-8")
        assert code in words and "Lê Quang Huy" in words and "Chuỗi băm nguyên vẹn" in words


def test_officials_of_the_commune_and_chairman_steps(app: Any, client: Any) -> None:
    """The chairman's signature is attributed to the chairman's role, the return to reception."""
    api = Api(client)
    code = _completed_birth(app, api)
    h = _history(app, code)
    roles = {s.task: s.role for s in h.steps if s.type == "task_completed"}
    assert roles["chairman_sign"] == "chairman" and roles["return_result"] == "reception"
    assert roles["reception_check"] == "reception"
    assert SIGN and CHAIRMAN  # the flow signs as the chairman of the commune


@pytest.mark.parametrize(
    "forgery",
    [
        {"type": "bogus"},
        {"data": {}},
        {"task": "no_such_task"},
        {"data": {"form": "x", "actor": 3}},
        "delete",
    ],
)
def test_any_forged_event_still_shows_the_page_naming_it(app: Any, client: Any, forgery: Any) -> None:
    """A row edited into a shape nothing can read: the page and the PDF still answer, naming the event."""
    api = Api(client)
    code = _completed_birth(app, api)
    seq = _history(app, code).steps[5].seq  # the examination
    with app.app_context():
        d = db.session.query(Dossier).filter_by(code=code).one()
        rows = db.session.query(AuditEvent).filter_by(dossier_id=d.id, seq=seq)
        rows.delete() if forgery == "delete" else rows.update(forgery)
        db.session.commit()
        db.session.remove()
    pages = Pages(app)
    pages.login("auditor")
    html = pages.text(f"/audit/dossiers/{code}")
    assert f'id="first-bad" data-seq="{seq}"' in html
    assert pages.get(f"/audit/dossiers/{code}/history.pdf").status_code == 200


def test_a_migrated_dossier_is_replayed_on_the_diagram_of_each_step(app: Any, client: Any) -> None:
    """Before its move the step shows the version it was submitted on, after it the version it moved to."""
    from tests.services.test_process_migration import at_officer, deploy, migrate, v2_xml

    api = Api(client)
    code = at_officer(app, api)
    v2 = deploy(api, v2_xml())
    assert migrate(api, {"to_version": v2, "dossiers": [code], "dry_run": False}).status_code == 200
    h = _history(app, code)
    moved = next(s.seq for s in h.steps if s.type == "migrated")
    first, second = h.versions
    assert first != second and h.state_at(moved - 1).version_id == first  # type: ignore[union-attr]
    assert h.state_at(moved).version_id == second  # type: ignore[union-attr]
    pages = Pages(app)
    pages.login("auditor")
    before = pages.text(f"/audit/dossiers/{code}?upto={moved - 1}")
    after = pages.text(f"/audit/dossiers/{code}?upto={moved}")
    assert f"/versions/{first}.xml" in before and f"/versions/{second}.xml" in after
    assert "Thẩm tra hồ sơ (bản 2)" in pages.text(f"/audit/dossiers/{code}/versions/{second}.xml")
    assert pages.get(f"/audit/dossiers/{code}/versions/999.xml").status_code == 404  # never ran on it
    assert "officer_examine" in _markers(after)["active"]


def test_changed_fields_are_named_as_people_read_them(app: Any, client: Any) -> None:
    """The step's changes carry the form's field titles (whose field it is), who did the task, and the
    exact path underneath; what no form declares keeps its path."""
    code = _completed_birth(app, Api(client))
    h = _history(app, code)
    assert h.field_titles["dossier.child.full_name"] == "Họ, chữ đệm, tên của người được khai sinh"
    assert h.field_titles["dossier.mother.personal_id"] == "Số định danh cá nhân của mẹ"
    assert h.field_titles["reception_check.decision"] == "Kiểm tra, tiếp nhận hồ sơ: Kết quả kiểm tra"
    assert h.field_titles["actors.chairman_sign.full_name"] == "Người thực hiện «Ký Giấy khai sinh»: họ tên"
    assert h.field_titles["meta.channel"] == "Kênh nộp hồ sơ"
    assert not any(path.startswith("lookups.") for path in h.field_titles)
    pages = Pages(app)
    pages.login("auditor")
    html = pages.text(f"/audit/dossiers/{code}?upto=1")
    assert "Họ, chữ đệm, tên của người được khai sinh" in html and "dossier.child.full_name" in html
