"""Issue #8 §6, the officials' pages: a supplement recorded in the browser, attachment kinds per procedure,
errors that name the person they concern, no silent truncation, a requester checked on an empty form."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attachment, AuditEvent, Dossier
from tests.api_client import Api, birth_submission
from tests.page_client import Controls, Pages
from tests.web.test_pages import PNG, run_jobs, submit

RECEPTION = "reception.hoankiem"


@pytest.fixture
def api(client: Any) -> Api:
    return Api(client)


def _dossier(app: Any, code: str) -> Dossier:
    with app.app_context():
        d = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        db.session.expunge(d)
        return d


def _events(app: Any, code: str) -> int:
    with app.app_context():
        d = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        return int(db.session.scalar(select(func.count()).where(AuditEvent.dossier_id == d.id)) or 0)


def _waiting_for_supplement(app: Any, api: Api) -> str:
    """A counter birth dossier without its birth certificate data, sent back by reception for it."""
    body = birth_submission()
    body["data"].pop("birth_certificate")
    resp = api.post(RECEPTION, "/dossiers", json=body)
    assert resp.status_code == 201, resp.get_json()
    code = str(resp.get_json()["code"])
    run_jobs(app)
    asked = {"decision": "supplement", "missing": ["Giấy chứng sinh của trẻ"], "note": "Mang bản chính"}
    assert api.complete(RECEPTION, code, "reception_check", asked).status_code == 200
    run_jobs(app)
    assert _dossier(app, code).status == "supplement_requested"
    return code


def _form_values(html: str) -> dict[str, str]:
    """What the page's form would post as it stands (inputs, selects, checked boxes, textareas)."""
    values: dict[str, str] = {}
    for c in Controls(html).controls:
        name, kind = c.get("name", ""), c.get("type", "")
        if not name or kind in ("file", "submit", "button") or name in ("csrf_token", "att_keep"):
            continue
        if kind in ("checkbox", "radio") and "checked" not in c:
            continue
        values[name] = c.get("value", "")
    return values


def test_reception_records_a_supplement_in_the_browser_and_the_dossier_goes_on(app: Any, api: Api) -> None:
    code = _waiting_for_supplement(app, api)
    pages = Pages(app)
    pages.login(RECEPTION)
    html = pages.text(f"/dossiers/{code}")
    # the page says what is awaited and offers the step (it used to say that no task was waiting)
    assert "Không có việc nào đang chờ cán bộ" not in html
    assert "Giấy chứng sinh của trẻ" in html and f"/dossiers/{code}/supplement" in html

    form_html = pages.text(f"/dossiers/{code}/supplement")
    assert "Giấy chứng sinh của trẻ" in form_html and "Mang bản chính" in form_html  # the request's words
    values = _form_values(form_html)
    assert values["child.full_name"] == "Nguyễn Thị Ánh Dương"  # the declaration as it stands
    assert values["child.birth_date"] == "20/02/2026"
    values.update(
        {
            "birth_certificate.number": "BV-2026-00999",
            "birth_certificate.issuer": "Bệnh viện Phụ sản Hà Nội",
            "birth_certificate.issued_on": "21/02/2026",
            "att_kind_0": "birth_certificate",
        }
    )
    before = _events(app, code)
    resp = pages.post(
        f"/dossiers/{code}/supplement",
        {**values, "att_file_0": (io.BytesIO(PNG), "chung-sinh.png")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:3000]
    assert "supplemented=1" in resp.headers["Location"]
    d = _dossier(app, code)
    assert d.data["birth_certificate"]["number"] == "BV-2026-00999"
    assert d.data["child"]["full_name"] == "Nguyễn Thị Ánh Dương"  # what was not touched stays exactly
    assert _events(app, code) > before
    # until the new registry lookup is done, a second supplement is refused and nothing is recorded
    counted = _events(app, code)
    assert "Ghi nhận hồ sơ bổ sung" not in pages.text(f"/dossiers/{code}")
    early = api.post(RECEPTION, f"/dossiers/{code}/supplement", json={"data": {"copies": 3}})
    assert early.status_code == 409 and _events(app, code) == counted
    assert _dossier(app, code).data["copies"] != 3
    with app.app_context():
        names = db.session.scalars(select(Attachment.filename).where(Attachment.dossier_id == d.id)).all()
    assert "chung-sinh.png" in names
    run_jobs(app)
    # the dossier is checked again by reception, like any supplement
    assert _dossier(app, code).status == "submitted"
    assert api.task(RECEPTION, code, "reception_check")
    html = pages.text(f"/dossiers/{code}")
    assert "Bổ sung hồ sơ" in html  # in the timeline

    # a second post (another official, a double click) changes nothing
    after = _events(app, code)
    again = pages.post(f"/dossiers/{code}/supplement", values, content_type="multipart/form-data")
    assert again.status_code == 303 and "not_waiting=1" in again.headers["Location"]
    assert _events(app, code) == after


def test_a_rejected_supplement_keeps_what_was_typed_names_the_field_and_changes_nothing(
    app: Any, api: Api
) -> None:
    code = _waiting_for_supplement(app, api)
    pages = Pages(app)
    pages.login(RECEPTION)
    values = _form_values(pages.text(f"/dossiers/{code}/supplement"))
    values["mother.personal_id"] = "00119602345"  # 11 digits
    before = _events(app, code)
    resp = pages.post(f"/dossiers/{code}/supplement", values, content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "«Số định danh cá nhân của mẹ» phải gồm đúng 12 chữ số." in html
    assert 'value="00119602345"' in html
    assert _dossier(app, code).status == "supplement_requested" and _events(app, code) == before


def test_only_reception_of_the_commune_records_a_supplement(app: Any, api: Api) -> None:
    code = _waiting_for_supplement(app, api)
    officer = Pages(app)
    officer.login("officer.hoankiem")
    assert officer.get(f"/dossiers/{code}/supplement").status_code == 403
    html = officer.text(f"/dossiers/{code}")
    assert "Bộ phận một cửa ghi nhận" in html and f"/dossiers/{code}/supplement" not in html
    other = Pages(app)
    other.login("reception.badinh")
    assert other.get(f"/dossiers/{code}/supplement").status_code == 404
    assert other.post(f"/dossiers/{code}/supplement", {}).status_code == 404
    assert _dossier(app, code).status == "supplement_requested"


def test_a_dossier_not_waiting_for_a_supplement_has_no_supplement_form(app: Any, api: Api) -> None:
    code = submit(api)
    pages = Pages(app)
    pages.login(RECEPTION)
    resp = pages.get(f"/dossiers/{code}/supplement")
    assert resp.status_code == 303 and "not_waiting=1" in resp.headers["Location"]


# -- attachment kinds -------------------------------------------------------------------------------------
def _kinds(pages: Pages, procedure: str) -> set[str]:
    html = pages.text(f"/counter/{procedure}")
    select_html = re.search(r'<select id="att_kind_0".*?</select>', html, re.S)
    assert select_html
    return set(re.findall(r'<option value="([a-z_]+)"', select_html.group(0)))


def test_attachment_kinds_offered_follow_the_procedure(app: Any) -> None:
    pages = Pages(app)
    pages.login(RECEPTION)
    birth, marriage, death = (_kinds(pages, p) for p in ("birth", "marriage", "death"))
    assert {"birth_certificate", "birth_undertaking", "authorization"} <= birth
    assert not {"death_notice", "death_evidence"} & birth
    assert {"death_notice", "death_evidence", "authorization"} <= death and "birth_certificate" not in death
    # NĐ 123 Art. 6(2): no authorisation for a marriage; no birth or death papers either
    assert marriage == {"declaration", "identity_document", "residence_proof", "other"}


def test_an_attachment_kind_the_procedure_does_not_take_is_refused_by_the_api(app: Any, api: Api) -> None:
    body = birth_submission()
    content = base64.b64encode(PNG).decode()
    body["attachments"] = [{"kind": "death_notice", "filename": "a.png", "content_base64": content}]
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Dossier))
    resp = api.post(RECEPTION, "/dossiers", json=body)
    assert resp.status_code == 422
    message = resp.get_json()["error"]["fields"]["attachments.0.kind"]
    assert "đăng ký khai sinh" in message and "«Giấy chứng sinh»" in message
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Dossier)) == before


# -- errors that say whose field it is; lengths; the empty form --------------------------------------------
def _counter_post(pages: Pages, procedure: str, form: dict[str, Any]) -> Any:
    token = re.search(r'name="submission_token" value="(\w+)"', pages.text(f"/counter/{procedure}"))
    assert token
    return pages.post(
        f"/counter/{procedure}",
        {**form, "submission_token": token.group(1)},
        content_type="multipart/form-data",
    )


def test_an_empty_counter_form_names_every_requester_field_and_the_child(app: Any) -> None:
    pages = Pages(app)
    pages.login(RECEPTION)
    resp = _counter_post(pages, "birth", {})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    for message in (
        "Trường «Họ, chữ đệm, tên người yêu cầu» là bắt buộc.",
        "Trường «Số định danh cá nhân của người yêu cầu» là bắt buộc.",
        "Trường «Quan hệ với người được khai sinh» là bắt buộc.",
        "Trường «Họ, chữ đệm, tên của người được khai sinh» là bắt buộc.",
    ):
        assert message in html
    assert "Trường «Người yêu cầu» là bắt buộc." not in html  # the block itself is not the thing to fill


def test_errors_name_the_parent_they_concern(app: Any) -> None:
    pages = Pages(app)
    pages.login(RECEPTION)
    resp = _counter_post(pages, "birth", {"mother.personal_id": "12", "father.personal_id": "0011"})
    html = resp.get_data(as_text=True)
    assert "«Số định danh cá nhân của mẹ» phải gồm đúng 12 chữ số." in html
    assert "«Số định danh cá nhân của cha» phải gồm đúng 12 chữ số." in html


def test_a_too_long_name_gets_a_message_not_a_silent_cut(app: Any) -> None:
    pages = Pages(app)
    pages.login(RECEPTION)
    html = pages.text("/counter/birth")
    name_input = re.search(r'<input[^>]*name="child.full_name"[^>]*>', html)
    assert name_input and " maxlength=" not in name_input.group(0)  # the browser would cut a pasted name
    assert 'data-maxlength="100"' in name_input.group(0)
    long_name = "Nguyễn " * 20
    resp = _counter_post(pages, "birth", {"child.full_name": long_name})
    text = resp.get_data(as_text=True)
    assert "«Họ, chữ đệm, tên của người được khai sinh» không được dài quá 100 ký tự." in text
    assert long_name.strip() in text  # kept as typed, for correction


# -- the counter form asks only for what is needed ---------------------------------------------------------
def test_a_parent_given_by_personal_id_needs_no_full_block(app: Any) -> None:
    pages = Pages(app)
    pages.login(RECEPTION)
    html = pages.text("/counter/birth")
    for who in ("mother", "father"):
        box = re.search(rf'<div class="field[^"]*" data-field="{who}.full_name"[^>]*>', html)
        assert box and "data-visible-if" in box.group(0) and f"{who}.personal_id" in box.group(0)
        id_input = re.search(rf'<input[^>]*name="{who}.personal_id"[^>]*>', html)
        assert id_input and 'data-registry-url="/counter/person"' in id_input.group(0)

    found = pages.get("/counter/person?personal_id=001196023456").get_json()
    assert found["status"] == "found"
    assert ["Họ, chữ đệm, tên", "Trần Thị Bích Ngọc"] in found["rows"]
    assert ["Ngày sinh", "03/09/1996"] in found["rows"]
    residence = dict(map(tuple, found["rows"]))["Nơi cư trú"]
    assert "Hoàn Kiếm" in residence and not residence.isdigit()  # a place, never a code
    assert pages.get("/counter/person?personal_id=009999999999").get_json()["status"] == "not_found"
    assert pages.get("/counter/person?personal_id=12ab").get_json()["status"] == "invalid"
    officer = Pages(app)
    officer.login("officer.hoankiem")
    assert officer.get("/counter/person?personal_id=001196023456").status_code == 403


def test_a_name_typed_beside_a_parents_personal_id_is_not_sent(app: Any) -> None:
    """The block's fields are hidden while an id is given: what the official could not see is not sent."""
    pages = Pages(app)
    pages.login(RECEPTION)
    form = {
        "requester.full_name": "Nguyễn Văn An",
        "requester.personal_id": "001095012345",
        "requester.relationship": "father",
        "child.full_name": "Nguyễn Thị Ánh Dương",
        "child.birth_date": "20/02/2026",
        "child.sex": "female",
        "child.ethnicity": "Kinh",
        "child.nationality": "Việt Nam",
        "child.birth_place": "Bệnh viện Phụ sản Hà Nội",
        "child.home_town": "Phường Hoàn Kiếm, Thành phố Hà Nội",
        "mother.personal_id": "001196023456",
        "mother.full_name": "Tên gõ nhầm",
        "father.personal_id": "001095012345",
        "birth_certificate.number": "BV-2026-00123",
        "birth_certificate.issuer": "Bệnh viện Phụ sản Hà Nội",
        "birth_certificate.issued_on": "21/02/2026",
        "copies": "1",
    }
    resp = _counter_post(pages, "birth", form)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    code = resp.headers["Location"].split("/")[2].split("?")[0]
    assert _dossier(app, code).data["mother"] == {"personal_id": "001196023456"}
