"""Reads of personal data are recorded (Decree 13/2023): who, when, which dossier, which view — for pages
and the API alike, from one hook; auditors list them per dossier and per user; a read never 5xx."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from app.extensions import db
from app.models import Dossier, PersonalDataRead
from tests.api_client import Api, birth_submission
from tests.page_client import Pages
from tests.services.procedures import attachment, submit
from tests.services.test_audit_proof import _completed_birth


def _reads(app: Any, code: str | None = None) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        query = db.session.query(PersonalDataRead).order_by(PersonalDataRead.id)
        if code:
            query = query.filter_by(dossier_code=code)
        rows = [(r.username, r.channel, r.view, r.detail) for r in query]
        db.session.remove()
        return rows


def test_every_read_view_is_recorded_with_user_and_view(app: Any, client: Any) -> None:
    api = Api(client)
    code = _completed_birth(app, api)
    assert {(u, c, v) for u, c, v, _d in _reads(app, code)} == {("auditor", "api", "api.dossier")}
    before = len(_reads(app, code))

    officer = Pages(app)
    officer.login("reception.hoankiem")
    officer.text(f"/dossiers/{code}")
    assert officer.get(f"/dossiers/{code}/documents/giay_khai_sinh").status_code == 200
    assert api.get("reception.hoankiem", f"/dossiers/{code}/documents/giay_khai_sinh").status_code == 200
    assert api.get("officer.hoankiem", f"/dossiers/{code}").status_code == 200
    assert api.get("auditor", f"/dossiers/{code}/events").status_code == 200
    assert api.get("auditor", f"/dossiers/{code}/replay?upto=3").status_code == 200
    auditor = Pages(app)
    auditor.login("auditor")
    auditor.text(f"/audit/dossiers/{code}?upto=2")
    assert auditor.get(f"/audit/dossiers/{code}/history.pdf").status_code == 200

    got = _reads(app, code)[before:]
    assert [(u, c, v) for u, c, v, _d in got] == [
        ("reception.hoankiem", "page", "dossier_page"),
        ("reception.hoankiem", "page", "document"),
        ("reception.hoankiem", "api", "api.document"),
        ("officer.hoankiem", "api", "api.dossier"),
        ("auditor", "api", "api.events"),
        ("auditor", "api", "api.replay"),
        ("auditor", "page", "history"),
        ("auditor", "page", "history_pdf"),
    ]
    assert got[1][3] == "name=giay_khai_sinh" and got[5][3] == "upto=3" and got[6][3] == "upto=2"


def test_task_page_and_attachment_reads_are_recorded(app: Any, client: Any) -> None:
    api = Api(client)
    payload = birth_submission()
    payload["attachments"] = [attachment("birth_certificate")]
    code = submit(api, app, payload)
    task = api.task("reception.hoankiem", code, "reception_check")
    assert api.get("reception.hoankiem", f"/tasks/{task['id']}").status_code == 200
    pages = Pages(app)
    pages.login("reception.hoankiem")
    pages.text(f"/tasks/{task['id']}")
    with app.app_context():
        d = db.session.query(Dossier).filter_by(code=code).one()
        attachment_id = (
            d.id
            and db.session.execute(
                db.text("SELECT id FROM attachment WHERE dossier_id = :d"), {"d": d.id}
            ).scalar_one()
        )
        db.session.remove()
    assert pages.get(f"/dossiers/{code}/attachments/{attachment_id}").status_code == 200
    views = [(c, v) for _u, c, v, _d in _reads(app, code)]
    assert views == [("api", "api.task"), ("page", "task_page"), ("page", "attachment")]


def test_refused_reads_and_non_personal_views_are_not_recorded(app: Any, client: Any) -> None:
    api = Api(client)
    code = _completed_birth(app, api)
    before = _reads(app)
    assert api.get("officer.badinh", f"/dossiers/{code}").status_code == 404  # another commune
    assert api.get("analyst", f"/dossiers/{code}").status_code == 403
    assert api.get("auditor", f"/dossiers/{code}/verify").status_code == 200  # a verdict, no personal data
    pages = Pages(app)
    pages.login("reception.hoankiem")
    assert pages.get(f"/dossiers/{code}/state.json").status_code == 200
    assert pages.get(f"/dossiers/{code}/diagram.xml").status_code == 200
    assert pages.get(f"/dossiers/{code}/documents/no_such").status_code == 404
    assert _reads(app) == before


def test_auditor_lists_reads_per_dossier_and_per_user(app: Any, client: Any) -> None:
    api = Api(client)
    code = _completed_birth(app, api)
    api.get("officer.hoankiem", f"/dossiers/{code}")
    api.get("officer.hoankiem", f"/dossiers/{code}")
    per_dossier = api.get("auditor", f"/dossiers/{code}/reads").get_json()
    assert [(r["username"], r["view"]) for r in per_dossier][:2] == [
        ("officer.hoankiem", "api.dossier"),
        ("officer.hoankiem", "api.dossier"),
    ]  # newest first
    assert per_dossier[0]["roles"] == ["officer"] and per_dossier[0]["channel"] == "api"
    per_user = api.get("auditor", "/audit/reads?user=officer.hoankiem").get_json()
    assert len(per_user) == 2 and {r["dossier_code"] for r in per_user} == {code}
    assert api.get("auditor", "/audit/reads").status_code == 400
    # only auditors read the log
    assert api.get("officer.hoankiem", f"/dossiers/{code}/reads").status_code == 403
    assert api.get("admin", "/audit/reads?user=officer.hoankiem").status_code == 403

    pages = Pages(app)
    pages.login("auditor")
    html = pages.text(f"/audit/dossiers/{code}/reads")
    assert "officer.hoankiem" in html and "API: hồ sơ" in html
    html = pages.text("/audit/reads?user=officer.hoankiem")
    assert html.count(f">{code}</a>") == 2
    officer = Pages(app)
    officer.login("officer.hoankiem")
    assert officer.get("/audit/reads?user=auditor").status_code == 403


def test_auditor_scope_limits_the_reads_listed(app: Any, client: Any) -> None:
    from app.models import User

    api = Api(client)
    code = _completed_birth(app, api)
    api.get("officer.hoankiem", f"/dossiers/{code}")
    with app.app_context():
        db.session.query(User).filter_by(username="auditor").update({"scope_csv": "00004"})
        db.session.commit()
        db.session.remove()
    api.tokens.clear()
    assert api.get("auditor", "/audit/reads?user=officer.hoankiem").get_json() == []
    assert api.get("auditor", f"/dossiers/{code}/reads").status_code == 404


def test_a_read_that_cannot_be_recorded_is_not_served(app: Any, client: Any, monkeypatch: Any) -> None:
    from app.services import personal_data
    from app.services.transaction import Busy

    api = Api(client)
    code = _completed_birth(app, api)

    def busy(work: Any) -> None:
        raise Busy("Hệ thống đang bận, thao tác chưa được thực hiện. Vui lòng thử lại.")

    monkeypatch.setattr(personal_data, "write", busy)
    resp = api.get("officer.hoankiem", f"/dossiers/{code}")
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "busy"
    assert "Nguyễn Thị Ánh Dương" not in resp.get_data(as_text=True)


@pytest.mark.parametrize("round_", range(2))
def test_concurrent_reads_while_writing_never_fail(app: Any, client: Any, round_: int) -> None:
    """Eight readers at once while an official completes tasks: every read answers 200 and is recorded."""
    api = Api(client)
    code = _completed_birth(app, api)
    other = submit(api, app, birth_submission())
    token = api.token("officer.hoankiem")
    reception = api.token("reception.hoankiem")
    task = api.task("reception.hoankiem", other, "reception_check")
    before = len(_reads(app, code))
    barrier = threading.Barrier(9)
    statuses: list[int] = []

    def reader() -> None:
        c = app.test_client()
        barrier.wait()
        for _ in range(3):
            r = c.get(f"/api/v1/dossiers/{code}", headers={"Authorization": f"Bearer {token}"})
            statuses.append(r.status_code)

    def writer() -> None:
        c = app.test_client()
        barrier.wait()
        r = c.post(
            f"/api/v1/tasks/{task['id']}/complete",
            json={"data": {"decision": "accept"}},
            headers={"Authorization": f"Bearer {reception}"},
        )
        statuses.append(r.status_code)

    threads = [threading.Thread(target=reader) for _ in range(8)] + [threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(200) == len(statuses) == 25, statuses
    assert len(_reads(app, code)) - before == 24


def test_the_supplement_form_prefilled_with_the_data_is_a_read(app: Any, client: Any) -> None:
    from tests.services.procedures import RECEPTION, complete

    api = Api(client)
    code = submit(api, app, birth_submission())
    complete(
        api, RECEPTION, code, "reception_check", {"decision": "supplement", "missing": ["Giấy chứng sinh"]}
    )
    pages = Pages(app)
    pages.login(RECEPTION)
    pages.text(f"/dossiers/{code}/supplement")
    assert [(u, c, v) for u, c, v, _d in _reads(app, code)] == [(RECEPTION, "page", "supplement_form")]


def test_auditors_never_write_dossiers(app: Any, client: Any) -> None:
    """Their reads are recorded in the read log; every dossier write is refused and changes nothing."""
    from app.models import AuditEvent

    api = Api(client)
    code = submit(api, app, birth_submission())
    task = api.task("reception.hoankiem", code, "reception_check")
    with app.app_context():
        events = db.session.query(AuditEvent).count()
        db.session.remove()
    attempts = [
        ("/dossiers", birth_submission()),
        (f"/dossiers/{code}/supplement", {"data": {}}),
        (f"/dossiers/{code}/withdraw", {"reason": "x"}),
        (f"/dossiers/{code}/confirm-draft", {"confirmed": True}),
        (f"/tasks/{task['id']}/complete", {"data": {"decision": "accept"}}),
        (f"/tasks/{task['id']}/claim", {}),
    ]
    for path, body in attempts:
        resp = api.post("auditor", path, json=body)
        assert resp.status_code in (403, 404), (path, resp.status_code, resp.get_json())
    with app.app_context():
        assert db.session.query(AuditEvent).count() == events
        db.session.remove()
    assert api.get("auditor", f"/dossiers/{code}").status_code == 200
    assert [(u, v) for u, _c, v, _d in _reads(app, code)][-1] == ("auditor", "api.dossier")


def test_lists_that_show_names_record_a_read_of_each_dossier_shown(app: Any, client: Any) -> None:
    """The inbox and the search show each dossier's subject by name; a register book prints every entry."""
    api = Api(client)
    waiting = submit(api, app, birth_submission())
    done = _completed_birth(app, api)
    pages = Pages(app)
    pages.login("reception.hoankiem")
    assert waiting in pages.text("/inbox")
    assert [(u, c, v) for u, c, v, _d in _reads(app, waiting)][-1] == ("reception.hoankiem", "page", "inbox")
    html = pages.text("/dossiers?q=nguyen")
    assert waiting in html and done in html
    for code in (waiting, done):
        username, channel, view, detail = _reads(app, code)[-1]
        assert (username, view, detail) == ("reception.hoankiem", "search", "q=nguyen")
    # a search that shows nothing records nothing; another commune's official never reads these
    before = _reads(app)
    pages.text("/dossiers?q=khong-co-ai")
    other = Pages(app)
    other.login("reception.badinh")
    other.text("/inbox")
    assert _reads(app) == before

    year = int(api.get("officer.hoankiem", f"/dossiers/{done}").get_json()["received_at"][:4])
    book = api.get("officer.hoankiem", f"/register-books/birth/{year}")
    assert book.status_code == 200 and [e["dossier_code"] for e in book.get_json()["entries"]] == [done]
    assert _reads(app, done)[-1][:3] == ("officer.hoankiem", "api", "api.register_book")
    assert api.get("officer.hoankiem", f"/register-books/birth/{year}.pdf").status_code == 200
    assert _reads(app, done)[-1][:3] == ("officer.hoankiem", "api", "api.register_book_pdf")
    assert [r[2] for r in _reads(app, waiting)].count("api.register_book") == 0  # not in the book


def test_a_registry_person_looked_up_at_the_counter_is_a_recorded_read(app: Any, client: Any) -> None:
    """No dossier exists yet: the read names the personal id; the auditor finds it under the reader."""
    from app.models import User

    api = Api(client)
    pages = Pages(app)
    pages.login("reception.hoankiem")
    found = pages.get("/counter/person?personal_id=001095012345").get_json()
    assert found["status"] == "found"
    assert pages.get("/counter/person?personal_id=001099999999").get_json()["status"] == "not_found"
    assert pages.get("/counter/person?personal_id=12").get_json()["status"] == "invalid"
    assert api.get("admin", "/registry/persons/001095012345").status_code == 200
    with app.app_context():
        rows = [
            (r.username, r.view, r.subject, r.dossier_id, r.commune_code)
            for r in db.session.query(PersonalDataRead).order_by(PersonalDataRead.id)
        ]
        db.session.remove()
    assert rows == [
        ("reception.hoankiem", "counter_person", "001095012345", None, "00070"),
        ("admin", "api.registry_person", "001095012345", None, None),
    ]
    listed = api.get("auditor", "/audit/reads?user=reception.hoankiem").get_json()
    assert [(r["subject"], r["dossier_code"], r["view"]) for r in listed] == [
        ("001095012345", None, "counter_person")
    ]
    auditor = Pages(app)
    auditor.login("auditor")
    html = auditor.text("/audit/reads?user=reception.hoankiem")
    assert "001095012345" in html and "Tra cứu CSDL dân cư tại quầy" in html
    # an auditor scoped to another commune does not see Hoàn Kiếm's counter reads
    with app.app_context():
        db.session.query(User).filter_by(username="auditor").update({"scope_csv": "00004"})
        db.session.commit()
        db.session.remove()
    api.tokens.clear()
    assert api.get("auditor", "/audit/reads?user=reception.hoankiem").get_json() == []


def test_the_admins_outbox_and_registry_search_are_recorded_reads(app: Any, client: Any) -> None:
    """A status mail names the requester and their address; the registry stand-in's search lists persons."""
    from pathlib import Path

    from app.integrations.mail import list_messages
    from app.services.jobs import run_pending

    api = Api(client)
    code = submit(api, app, birth_submission())  # the requester has an e-mail address: one mail
    with app.app_context():
        run_pending()
        db.session.remove()
    [mail] = [m for m in list_messages(Path(app.config["HOTICH_MAIL_OUTBOX"])) if m.dossier == code]
    before = len(_reads(app, code))
    admin = Pages(app)
    admin.login("admin")
    assert code in admin.text("/admin/outbox")
    assert "Kính gửi ông/bà Nguyễn Văn An" in admin.text(f"/admin/outbox/{mail.name}")
    assert [(u, v) for u, _c, v, _d in _reads(app, code)[before:]] == [
        ("admin", "admin_outbox"),
        ("admin", "admin_message"),
    ]
    assert "001095012345" in admin.text("/admin/registry?q=001095012345")
    with app.app_context():
        rows = [
            (r.username, r.view, r.subject)
            for r in db.session.query(PersonalDataRead).filter(PersonalDataRead.dossier_id.is_(None))
        ]
        db.session.remove()
    assert rows == [("admin", "admin_registry", "001095012345")]
