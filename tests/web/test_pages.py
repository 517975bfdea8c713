"""The officials' pages through the Flask test client: login, inbox, task forms, dossier, counter, admin."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Dossier
from app.services.jobs import run_pending
from tests.api_client import Api, birth_submission
from tests.page_client import Controls, Pages

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def run_jobs(app: Any) -> None:
    with app.app_context():
        run_pending()
        db.session.remove()


def submit(api: Api, user: str = "reception.hoankiem", **data: Any) -> str:
    body = birth_submission(**data)
    if user == "portal":
        body["channel"] = "online"
    resp = api.post(user, "/dossiers", json=body)
    assert resp.status_code == 201, resp.get_json()
    return str(resp.get_json()["code"])


def accepted(app: Any, api: Api, **data: Any) -> str:
    code = submit(api, **data)
    run_jobs(app)
    assert (
        api.complete("reception.hoankiem", code, "reception_check", {"decision": "accept"}).status_code == 200
    )
    return code


def task_url(html: str, title: str | None = None) -> str:
    links = re.findall(r'href="(/tasks/[0-9a-f-]{36})"', html)
    assert links, "no task link on the page"
    return str(links[0])


@pytest.fixture
def api(client: Any) -> Api:
    return Api(client)


@pytest.fixture
def pages(app: Any) -> Pages:
    return Pages(app)


# -- login -------------------------------------------------------------------------------------------------
def test_bad_password_shows_a_vietnamese_error(pages: Pages) -> None:
    resp = pages.login("officer.hoankiem", "wrong-password")
    assert resp.status_code == 401
    html = resp.get_data(as_text=True)
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in html
    assert 'value="officer.hoankiem"' in html  # the username is kept


@pytest.mark.parametrize(
    ("user", "home"),
    [
        ("reception.hoankiem", "/inbox"),
        ("officer.hoankiem", "/inbox"),
        ("chairman.hoankiem", "/inbox"),
        ("auditor", "/dossiers"),
        ("analyst", "/processes"),
        ("admin", "/admin/outbox"),
    ],
)
def test_each_role_lands_on_its_start_page(pages: Pages, user: str, home: str) -> None:
    resp = pages.login(user)
    assert resp.status_code == 303 and resp.headers["Location"] == home
    assert pages.get(home).status_code == 200


def test_pages_need_a_login_and_logout_ends_the_session(pages: Pages) -> None:
    resp = pages.get("/inbox")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    pages.login("officer.hoankiem")
    assert pages.get("/inbox").status_code == 200
    assert pages.post("/logout").status_code == 303
    assert pages.get("/inbox").status_code == 302


def test_login_does_not_redirect_to_another_site(pages: Pages) -> None:
    page = pages.get("/login?next=//evil.example/x")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    resp = pages.client.post(
        "/login?next=//evil.example/x",
        data={"username": "officer.hoankiem", "password": "demo12345", "csrf_token": token},
    )
    assert resp.headers["Location"] == "/inbox"


@pytest.mark.parametrize(
    ("user", "visible", "hidden"),
    [
        ("reception.hoankiem", ["Tiếp nhận hồ sơ", "Việc cần làm", "Trả kết quả"], ["Sự cố", "Quy trình"]),
        ("officer.hoankiem", ["Việc cần làm", "Tra cứu hồ sơ"], ["Tiếp nhận hồ sơ", "Sự cố"]),
        ("auditor", ["Tra cứu hồ sơ"], ["Việc cần làm", "Tiếp nhận hồ sơ"]),
        ("admin", ["Thư đã gửi", "Sự cố", "CSDL dân cư"], ["Việc cần làm"]),
    ],
)
def test_navigation_follows_the_role(pages: Pages, user: str, visible: list[str], hidden: list[str]) -> None:
    resp = pages.login(user)
    nav = pages.text(resp.headers["Location"]).split('class="main-nav"')[1].split("</nav>")[0]
    for label in visible:
        assert label in nav
    for label in hidden:
        assert label not in nav


def test_role_pages_refuse_other_roles(pages: Pages) -> None:
    pages.login("analyst")
    assert pages.get("/inbox").status_code == 403
    assert pages.get("/counter").status_code == 403
    assert pages.get("/admin/outbox").status_code == 403
    assert "Không có quyền truy cập" in pages.get("/dossiers").get_data(as_text=True)


def test_language_switch_to_english_and_back(pages: Pages) -> None:
    pages.login("officer.hoankiem")
    assert "Việc cần làm" in pages.text("/inbox")
    assert pages.post("/lang", {"lang": "en", "next": "/inbox"}).headers["Location"] == "/inbox"
    html = pages.text("/inbox")
    assert '<html lang="en">' in html and "Tasks" in html and "Việc cần làm" not in html
    pages.post("/lang", {"lang": "vi", "next": "/inbox"})
    assert "Việc cần làm" in pages.text("/inbox")


# -- CSRF --------------------------------------------------------------------------------------------------
def test_a_form_without_csrf_token_is_refused(app: Any, api: Api, pages: Pages) -> None:
    code = accepted(app, api)
    pages.login("officer.hoankiem")
    url = task_url(pages.text(f"/dossiers/{code}"))
    resp = pages.post(url + "/claim", csrf=False)
    assert resp.status_code == 400
    assert "biểu mẫu không hợp lệ" in resp.get_data(as_text=True)
    resp = pages.post(url, {"decision": "approve", "dossier_code": code}, csrf=False)
    assert resp.status_code == 400
    assert pages.client.post("/login", data={"username": "x", "password": "y"}).status_code == 400


# -- inbox -------------------------------------------------------------------------------------------------
def test_inbox_search_ignores_diacritics_and_filters_narrow_it(app: Any, api: Api, pages: Pages) -> None:
    base = birth_submission()["data"]
    other_requester = {**base["requester"], "full_name": "Trần Văn Bảo"}
    an = submit(api, child={**base["child"], "full_name": "Nguyễn Văn A"})
    binh = submit(api, child={**base["child"], "full_name": "Trần Thị Bình"}, requester=other_requester)
    online = submit(
        api, "portal", child={**base["child"], "full_name": "Lê Đức Cường"}, requester=other_requester
    )
    run_jobs(app)
    pages.login("reception.hoankiem")
    html = pages.text("/inbox?q=nguyen+van+a")
    assert an in html and binh not in html and online not in html
    html = pages.text("/inbox?q=tran+thi+BINH")
    assert binh in html and an not in html
    html = pages.text(f"/inbox?q={online}")
    assert online in html and an not in html
    html = pages.text("/inbox?channel=online")
    assert online in html and an not in html and binh not in html
    html = pages.text("/inbox?channel=counter")
    assert an in html and binh in html and online not in html
    html = pages.text("/inbox?procedure=death")
    assert an not in html and "Không có việc nào khớp với bộ lọc." in html
    html = pages.text("/inbox?task=reception_check&claim=free")
    assert an in html and binh in html
    html = pages.text("/inbox?due_from=10/03/2026&due_to=10/03/2026")
    assert an in html
    html = pages.text("/inbox?due_from=11/03/2026")
    assert an not in html


def counts(html: str) -> dict[str, int]:
    return {tab: int(n) for tab, n in re.findall(r'data-count="(\w+)">(\d+)<', html)}


def test_inbox_counts_per_tab_and_claim_release(app: Any, api: Api, pages: Pages, clock: Any) -> None:
    first, second = accepted(app, api), accepted(app, api)
    pages.login("officer.hoankiem")
    html = pages.text("/inbox")
    # received Tuesday 09:00, due the same day 17:00 (Luật Hộ tịch Art. 5(3))
    assert counts(html) == {"all": 2, "mine": 0, "overdue": 0, "today": 2}
    assert "row--today" in html and "Đến hạn hôm nay" in html
    url = task_url(pages.text(f"/dossiers/{first}"))
    resp = pages.post(url + "/claim", {"next": "/inbox?tab=mine"})
    assert resp.status_code == 303 and resp.headers["Location"] == "/inbox?tab=mine"
    html = pages.text("/inbox?tab=mine")
    assert counts(html)["mine"] == 1 and first in html and second not in html
    assert "Đã nhận việc" in html
    assert pages.post(url + "/release").status_code == 303
    assert counts(pages.text("/inbox"))["mine"] == 0
    clock.advance(days=1)
    pages.login("officer.hoankiem")  # the next day: a page session lasts 12 hours
    html = pages.text("/inbox?tab=overdue")
    assert counts(html) == {"all": 2, "mine": 0, "overdue": 2, "today": 0}
    assert "row--overdue" in html and "Quá hạn" in html


def test_inbox_pages_by_keyset(app: Any, api: Api, pages: Pages) -> None:
    codes = {submit(api) for _ in range(3)}
    run_jobs(app)
    pages.login("reception.hoankiem")
    seen: list[str] = []
    from app.services import inbox

    original = inbox.PAGE_SIZE
    inbox.PAGE_SIZE = 2
    try:
        html = pages.text("/inbox")
        while True:
            seen += re.findall(r'class="code">(00070-\d{6}-\d{4})<', html)
            nxt = re.search(r'href="(/inbox\?[^"]*after=[^"]+)"', html)
            if not nxt:
                break
            url = nxt.group(1).replace("&amp;", "&")
            html = pages.text(url)
            assert "« Trang đầu" in html
    finally:
        inbox.PAGE_SIZE = original
    assert sorted(seen) == sorted(codes) and len(seen) == 3


def test_poll_endpoint_reports_counts_and_new_tasks(app: Any, api: Api, pages: Pages) -> None:
    assert pages.get("/inbox/poll").status_code == 401
    pages.login("reception.hoankiem")
    before = pages.get("/inbox/poll").get_json()
    assert before["counts"]["all"] == 0 and before["new"] == 0
    since = "2026-03-10T01:00:00+00:00"
    submit(api)
    run_jobs(app)
    data = pages.get(f"/inbox/poll?since={since}").get_json()
    assert data["counts"]["all"] == 1 and data["new"] == 1 and data["newest_id"]
    assert pages.get(f"/inbox/poll?since={data['now']}").get_json()["new"] == 0
    html = pages.text("/inbox")
    assert 'data-poll-url="/inbox/poll"' in html and 'aria-live="polite"' in html


# -- task forms --------------------------------------------------------------------------------------------
def check_labels(html: str) -> Controls:
    """Every visible control has a <label for=its id>, and every label points at a control."""
    page = Controls(html)
    ids = {c.get("id") for c in page.controls}
    for control in page.controls:
        assert control.get("id"), f"control without id: {control}"
        assert control["id"] in page.label_for, f"no label for #{control['id']} ({control.get('name')})"
    for target in page.label_for:
        assert target in ids, f"label for a missing control #{target}"
    return page


def test_task_form_renders_every_schema_field_with_bound_labels(app: Any, api: Api, pages: Pages) -> None:
    code = submit(api)
    run_jobs(app)
    pages.login("reception.hoankiem")
    html = pages.text(task_url(pages.text(f"/dossiers/{code}")))
    page = check_labels(html)
    schema = app.extensions["hotich"].forms.schema("birth_registration", "reception_check")
    names = {c.get("name") for c in page.controls}
    for field in schema["properties"]:
        assert field in names or f"{field}:other" in names, field
    for label in (
        "Kết quả kiểm tra",
        "Tiếp nhận",
        "Yêu cầu bổ sung, hoàn thiện",
        "Giấy chứng sinh",
        "Ghi chú",
    ):
        assert label in html
    assert "Nguyễn Thị Ánh Dương" in html  # the dossier summary
    assert "Trần Thị Bích Ngọc" in html  # the mother, from the registry lookup


def test_counter_form_renders_every_field_of_the_submission_schema(app: Any, pages: Pages) -> None:
    pages.login("reception.hoankiem")
    html = pages.text("/counter/birth")
    page = check_labels(html)
    from app.web.forms_render import build_form

    spec = build_form(app.extensions["hotich"].forms, "birth_registration", "submission")
    names = {c.get("name") for c in page.controls}
    assert len(spec.fields) >= 35
    for field in spec.fields:
        assert field.path in names or f"{field.path}:other" in names, field.path
        assert field.label in html
    ethnicities = re.findall(
        r"<option value=\"([^\"]+)\"", html.split('id="f-child-ethnicity"')[1].split("</select>")[0]
    )
    assert len(ethnicities) == 54 and ethnicities[0] == "Kinh" and "HMông" in ethnicities
    assert 'placeholder="dd/mm/yyyy"' in html
    assert page.value("child.nationality") == "Việt Nam"  # the schema default of a required field


def test_rejected_counter_form_keeps_what_was_typed_and_errors_sit_at_their_fields(pages: Pages) -> None:
    pages.login("reception.hoankiem")
    token = re.search(r'name="submission_token" value="(\w+)"', pages.text("/counter/birth")).group(1)  # type: ignore[union-attr]
    typed = {
        "requester.full_name": "Nguyễn Văn An",
        "requester.personal_id": "00109501234",  # 11 digits
        "requester.relationship": "father",
        "child.full_name": "Nguyễn Thị Ánh Dương",
        "child.birth_date": "31/02/2026",  # no such day
        "child.sex": "female",
        "child.ethnicity": "Kinh",
        "child.nationality": "Việt Nam",
        "child.birth_place": "Bệnh viện Phụ sản Hà Nội",
        "child.home_town": "Hà Nội",
        "mother.personal_id": "001196023456",
        "copies": "hai",
        "submission_token": token,
    }
    resp = pages.post("/counter/birth", typed)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    page = Controls(html)
    for name, value in typed.items():
        if name != "submission_token":
            assert page.value(name) == value, name
    assert 'class="error-summary"' in html and 'href="#f-child-birth_date"' in html

    def field_html(path: str) -> str:
        return html.split(f'data-field="{path}"')[1].split('data-field="')[0]

    assert "field--error" in field_html("child.birth_date").split(">")[0] + 'field--error"'
    assert "phải là ngày theo dạng ngày/tháng/năm" in field_html("child.birth_date")
    assert "phải gồm đúng 12 chữ số" in field_html("requester.personal_id")
    assert "phải là số nguyên" in field_html("copies")
    assert 'aria-invalid="true"' in field_html("child.birth_date")
    with pages.client.application.app_context():
        assert db.session.scalar(select(func.count()).select_from(Dossier)) == 0


def test_rejected_task_form_keeps_the_note_and_shows_the_error_at_the_field(
    app: Any, api: Api, pages: Pages
) -> None:
    code = submit(api)
    run_jobs(app)
    pages.login("reception.hoankiem")
    url = task_url(pages.text(f"/dossiers/{code}"))
    resp = pages.post(url, {"decision": "supplement", "note": "Hẹn bổ sung thứ Năm", "dossier_code": code})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Hẹn bổ sung thứ Năm" in html
    missing = html.split('data-field="missing"')[1].split('data-field="')[0]
    assert "Giấy tờ, nội dung cần bổ sung" in missing and "field__error" in missing
    assert 'value="supplement" checked' in html
    # the same form with the missing document completes
    resp = pages.post(
        url,
        {
            "decision": "supplement",
            "missing": "Giấy chứng sinh",
            "missing:other": "Sổ hộ khẩu cũ",
            "dossier_code": code,
        },
    )
    assert resp.status_code == 303
    d = api.get("reception.hoankiem", f"/dossiers/{code}").get_json()
    assert d["status"] == "supplement_requested"
    assert "yeu_cau_bo_sung" in resp.headers["Location"]


def test_approve_is_refused_while_a_blocking_rule_stands(app: Any, api: Api, pages: Pages) -> None:
    code = accepted(app, api, father=None)  # father left blank without "father not identified": KS-04
    pages.login("officer.hoankiem")
    url = task_url(pages.text(f"/dossiers/{code}"))
    html = pages.text(url)
    assert "KS-04" in html and "finding--block" in html
    resp = pages.post(url, {"decision": "approve", "note": "đã đối chiếu", "dossier_code": code})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'href="#finding-KS-04"' in html and "finding--blocking" in html and "đã đối chiếu" in html


def test_double_post_of_a_task_completes_it_once(app: Any, api: Api, pages: Pages) -> None:
    code = submit(api)
    run_jobs(app)
    pages.login("reception.hoankiem")
    url = task_url(pages.text(f"/dossiers/{code}"))
    form = {"decision": "accept", "dossier_code": code}
    first = pages.post(url, form)
    second = pages.post(url, form)
    assert first.status_code == 303 and first.headers["Location"] == f"/dossiers/{code}?issued=phieu_hen"
    assert second.status_code == 303 and second.headers["Location"] == f"/dossiers/{code}"
    assert "Nhiệm vụ đã được xử lý." in pages.text(second.headers["Location"])
    with app.app_context():
        completed = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .join(Dossier, Dossier.id == AuditEvent.dossier_id)
            .where(Dossier.code == code, AuditEvent.type == "task_completed")
        )
    assert completed == 1


# -- dossier page, documents, attachments ------------------------------------------------------------------
def test_dossier_page_shows_data_lookups_timeline_documents_and_diagram(
    app: Any, api: Api, pages: Pages
) -> None:
    code = accepted(app, api)
    pages.login("officer.hoankiem")
    html = pages.text(f"/dossiers/{code}")
    for text in (
        "Thông tin tờ khai",
        "Người được khai sinh",
        "20/02/2026",  # dates as officials write them
        "Nữ",  # enum label, not "female"
        "Tra cứu CSDL quốc gia về dân cư",
        "Trần Thị Bích Ngọc",
        "Nhật ký xử lý",
        "Nguyễn Thị Thu Hà",  # who accepted it, by name
        "Phiếu tiếp nhận hồ sơ và hẹn trả kết quả",
        "Hẹn trả kết quả",
        "10/03/2026 17:00",
        "Thẩm tra hồ sơ",
    ):
        assert text in html, text
    markers = re.search(r'data-markers="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    assert "reception_check" in markers and "officer_examine" in markers
    xml = pages.get(f"/dossiers/{code}/diagram.xml")
    assert xml.status_code == 200 and xml.mimetype == "application/xml" and b"officer_examine" in xml.data
    pdf = pages.get(f"/dossiers/{code}/documents/phieu_hen")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_another_communes_dossier_is_not_found(app: Any, api: Api, pages: Pages) -> None:
    code = accepted(app, api)
    pages.login("officer.badinh")
    for url in (
        f"/dossiers/{code}",
        f"/dossiers/{code}/diagram.xml",
        f"/dossiers/{code}/documents/phieu_hen",
        f"/dossiers/{code}/state.json",
    ):
        assert pages.get(url).status_code == 404, url
    assert "Không tìm thấy hồ sơ." in pages.get(f"/dossiers/{code}").get_data(as_text=True)
    assert "Không tìm thấy hồ sơ nào." in pages.text(f"/dossiers?q={code}")


def test_attachments_download_only_through_their_dossier(app: Any, api: Api, pages: Pages) -> None:
    body = birth_submission()
    body["attachments"] = [
        {
            "kind": "birth_certificate",
            "filename": "giấy chứng sinh.png",
            "content_base64": base64.b64encode(PNG).decode(),
        }
    ]
    code = api.post("reception.hoankiem", "/dossiers", json=body).get_json()["code"]
    other = submit(api)
    with app.app_context():
        from app.models import Attachment

        att_id = db.session.scalar(select(Attachment.id))
    pages.login("reception.hoankiem")
    html = pages.text(f"/dossiers/{code}")
    assert "giấy chứng sinh.png" in html and "Giấy chứng sinh" in html
    resp = pages.get(f"/dossiers/{code}/attachments/{att_id}")
    assert resp.status_code == 200 and resp.mimetype == "image/png" and resp.data == PNG
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    download = pages.get(f"/dossiers/{code}/attachments/{att_id}?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert pages.get(f"/dossiers/{other}/attachments/{att_id}").status_code == 404
    assert pages.get(f"/dossiers/{code}/attachments/{att_id + 99}").status_code == 404
    elsewhere = Pages(app)
    elsewhere.login("officer.badinh")
    assert elsewhere.get(f"/dossiers/{code}/attachments/{att_id}").status_code == 404


def test_counter_submission_then_slip_at_once(app: Any, pages: Pages) -> None:
    """Reception enters a paper dossier, accepts it and gets the appointment slip to print."""
    pages.login("reception.hoankiem")
    token = re.search(r'name="submission_token" value="(\w+)"', pages.text("/counter/birth")).group(1)  # type: ignore[union-attr]
    form = {
        "requester.full_name": "Nguyễn Văn An",
        "requester.personal_id": "001095012345",
        "requester.relationship": "father",
        "requester.email": "an@example.vn",
        "child.full_name": "Nguyễn Thị Ánh Dương",
        "child.birth_date": "20/02/2026",
        "child.sex": "female",
        "child.ethnicity": "Kinh",
        "child.nationality": "Việt Nam",
        "child.birth_place": "Bệnh viện Phụ sản Hà Nội",
        "child.home_town": "Phường Hoàn Kiếm, Thành phố Hà Nội",
        "mother.personal_id": "001196023456",
        "father.personal_id": "001095012345",
        "birth_certificate.number": "BV-2026-00123",
        "birth_certificate.issuer": "Bệnh viện Phụ sản Hà Nội",
        "birth_certificate.issued_on": "21022026",
        "copies": "1",
        "submission_token": token,
        "att_kind_0": "birth_certificate",
        "att_file_0": (__import__("io").BytesIO(PNG), "chung-sinh.png"),
    }
    resp = pages.post("/counter/birth", form, content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:3000]
    location = resp.headers["Location"]
    code = location.split("/")[2].split("?")[0]
    # a double click sends the same form again: the same dossier, not a second one
    again = dict(form, att_file_0=(__import__("io").BytesIO(PNG), "chung-sinh.png"))
    assert (
        pages.post("/counter/birth", again, content_type="multipart/form-data").headers["Location"]
        == location
    )
    html = pages.text(location)
    assert "Đã nộp hồ sơ" in html and "data-wait-url" in html  # waiting for the registry lookup
    run_jobs(app)
    html = pages.text(f"/dossiers/{code}")
    assert "data-wait-url" not in html and "chung-sinh.png" in html
    resp = pages.post(task_url(html), {"decision": "accept", "dossier_code": code})
    html = pages.text(resp.headers["Location"])
    assert "In ngay cho người dân" in html or "in ngay cho người dân" in html
    assert f"/dossiers/{code}/documents/phieu_hen" in html
    with app.app_context():
        d = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        assert d.channel == "counter" and d.data["child"]["birth_date"] == "2026-02-20"
        assert d.data["birth_certificate"]["issued_on"] == "2026-02-21"
        assert d.data["copies"] == 1 and d.status == "processing"


def test_birth_flow_to_certificate_through_the_pages(app: Any, api: Api, pages: Pages) -> None:
    code = accepted(app, api)
    officer, chairman = Pages(app), Pages(app)
    officer.login("officer.hoankiem")
    resp = officer.post(
        task_url(officer.text(f"/dossiers/{code}")), {"decision": "approve", "dossier_code": code}
    )
    assert resp.status_code == 303
    run_jobs(app)  # the entry is made and the registry assigns the personal id
    # Luật Hộ tịch Art. 16(2): the declarant and the officer sign the register before the chairman
    resp = officer.post(
        task_url(officer.text(f"/dossiers/{code}")),
        {"mode": "in_person", "officer_signed": "true", "dossier_code": code},
    )
    assert resp.status_code == 303
    assert "ký sổ (tại chỗ)" in officer.text(f"/dossiers/{code}")
    chairman.login("chairman.hoankiem")
    url = task_url(chairman.text(f"/dossiers/{code}"))
    resp = chairman.post(url, {"decision": "sign", "signer_title": "chu_tich", "dossier_code": code})
    assert resp.status_code == 303
    run_jobs(app)
    pages.login("reception.hoankiem")
    html = pages.text("/inbox?task=return_result")
    assert code in html and "Trả kết quả" in html
    url = task_url(html)
    task_html = pages.text(url)
    assert "giay_khai_sinh_ban_sao_1" in task_html and "in bản chính, bản sao" in task_html
    resp = pages.post(url, {"delivered_via": "counter", "dossier_code": code})
    html = pages.text(resp.headers["Location"])
    assert "Đã trả kết quả" in html and "Số định danh cá nhân cấp mới" in html
    pdf = pages.get(f"/dossiers/{code}/documents/giay_khai_sinh")
    assert pdf.mimetype == "application/pdf"


# -- auditor, analyst, admin -------------------------------------------------------------------------------
def test_auditor_finds_a_dossier_and_verifies_it(app: Any, api: Api, pages: Pages) -> None:
    code = accepted(app, api)
    pages.login("auditor")
    html = pages.text("/dossiers?q=anh+duong")
    assert code in html
    html = pages.text(f"/dossiers/{code}?verify=1")
    assert "Kết quả kiểm tra toàn vẹn" in html and "nguyên vẹn" in html and "khớp trạng thái đã lưu" in html
    assert "/tasks/" not in html  # an auditor never acts


def test_analyst_sees_process_versions_and_their_diagram(pages: Pages) -> None:
    pages.login("analyst")
    html = pages.text("/processes")
    assert "birth_registration" in html
    assert pages.get("/processes/birth_registration/1").status_code == 200
    xml = pages.get("/processes/birth_registration/1.xml")
    assert xml.mimetype == "application/xml" and b"reception_check" in xml.data
    assert pages.get("/processes/birth_registration/99").status_code == 404


def test_every_diagram_page_loads_the_viewer_and_its_own_script(pages: Pages) -> None:
    """The pages that draw a BPMN diagram share one head (diagram_page.html): bpmn-js's viewer and styles from
    the vendor folder, then the page's script (the heat map and the history step through their own)."""
    pages.login("analyst")
    for url, script in (
        ("/processes/birth_registration/1", "js/diagram.js"),
        ("/processes/birth_registration/1/heat", "js/heatmap.js"),
    ):
        html = pages.text(url)
        assert "vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in html, url
        assert "vendor/bpmn-js/assets/bpmn-js.css" in html, url
        assert f"/{script}" in html, url
        assert ("js/diagram.js" in html) == (script == "js/diagram.js"), url


def test_admin_sees_the_outbox_incidents_and_registry(app: Any, api: Api, pages: Pages) -> None:
    code = accepted(app, api)
    pages.login("admin")
    html = pages.text("/admin/outbox")
    assert "an@example.vn" in html and "Đang chờ gửi" in html  # queued in the outbox, not sent yet
    run_jobs(app)
    html = pages.text("/admin/outbox")
    assert "an@example.vn" in html and f"Hồ sơ {code}: Đã tiếp nhận, đang giải quyết" in html
    name = re.search(r'href="/admin/outbox/([^"]+)"', html).group(1)  # type: ignore[union-attr]
    message = pages.text(f"/admin/outbox/{name}")
    assert "Kính gửi ông/bà Nguyễn Văn An" in message
    assert pages.get("/admin/outbox/..%2Fsecret_key").status_code == 404
    assert "Không có sự cố nào." in pages.text("/admin/incidents")
    html = pages.text("/admin/registry?q=tran+thi+bich")
    assert "Trần Thị Bích Ngọc" in html and "001196023456" in html


def test_admin_retries_an_incident(app: Any, api: Api, pages: Pages) -> None:
    code = submit(api)
    with app.app_context():
        from app.models import Job

        job = db.session.scalars(select(Job).where(Job.kind == "service_call")).one()
        job.status, job.attempts, job.last_error = "failed", 5, "RegistryUnavailable: timeout"
        db.session.commit()
        job_id = job.id
    pages.login("admin")
    html = pages.text("/admin/incidents")
    assert code in html and "RegistryUnavailable: timeout" in html
    resp = pages.post(f"/admin/incidents/{job_id}/retry")
    assert resp.status_code == 303
    assert "Không có sự cố nào." in pages.text("/admin/incidents")


def test_unknown_pages_answer_in_vietnamese_and_the_api_keeps_json(pages: Pages, client: Any) -> None:
    resp = pages.get("/khong-co-trang-nay")
    assert resp.status_code == 404 and "Không có trang này" in resp.get_data(as_text=True)
    api = client.get("/api/v1/khong-co")
    assert api.status_code == 404 and api.is_json


@pytest.mark.parametrize("procedure", ["birth", "marriage", "death"])
def test_every_procedure_has_a_counter_form(pages: Pages, procedure: str) -> None:
    pages.login("reception.hoankiem")
    assert f'href="/counter/{procedure}"' in pages.text("/counter")
    html = pages.text(f"/counter/{procedure}")
    check_labels(html)
    assert "Giấy tờ đính kèm" in html and 'name="submission_token"' in html


def test_death_counter_form_converts_the_time_of_death(app: Any, pages: Pages) -> None:
    pages.login("reception.hoankiem")
    token = re.search(r'name="submission_token" value="(\w+)"', pages.text("/counter/death")).group(1)  # type: ignore[union-attr]
    form = {
        "requester.full_name": "Lê Thị Hạnh",
        "requester.personal_id": "001148002345",
        "requester.relationship": "spouse",
        "deceased.personal_id": "001045001234",
        "deceased.full_name": "Trần Văn Bình",
        "deceased.sex": "male",
        "death.at": "08/03/2026 10:30",
        "death.place": "Bệnh viện Hữu nghị Việt Đức, Thành phố Hà Nội",
        "death.cause": "Bệnh lý tuổi già",
        "death_notice.number": "123/GBT",
        "death_notice.issuer_type": "health_facility",
        "death_notice.issuer": "Bệnh viện Hữu nghị Việt Đức",
        "death_notice.issued_on": "08/03/2026",
        "copies": "2",
        "submission_token": token,
    }
    resp = pages.post("/counter/death", form)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:3000]
    code = resp.headers["Location"].split("/")[2].split("?")[0]
    with app.app_context():
        d = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        assert d.procedure == "death" and d.data["death"]["at"] == "2026-03-08T10:30:00+07:00"
    html = pages.text(f"/dossiers/{code}")
    assert "08/03/2026 10:30" in html and "Đăng ký khai tử" in html
