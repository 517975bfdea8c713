"""Citizens' feedback: the portal's JSON API and the public page (validation, rate limit, CSRF, no cookie
authority), officials' answers on the dossier page, the department's categories, compilation and proposals
linked to a process version, and the analysts' view per diagram element — with personal data masked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Feedback, ProcessVersion
from tests.api_client import Api, birth_submission
from tests.page_client import Pages

PERSONAL = (
    "Tôi là Nguyễn Văn An, CCCD 001095012345, số 0912 345 678, an@example.vn. Chị Lan hướng dẫn tận tình."
)


def _send(client: Any, address: str = "10.0.0.1", **overrides: Any) -> Any:
    body = {"procedure": "birth", "commune_code": "00070", "rating": 4, "text": "Thủ tục nhanh, gọn."}
    body.update(overrides)
    return client.post("/api/v1/feedback", json=body, environ_base={"REMOTE_ADDR": address})


def _birth(app: Any, client: Any) -> str:
    from app.services.jobs import run_pending

    code = Api(client).post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    with app.app_context():
        run_pending()
        db.session.remove()
    return str(code)


def test_portal_feedback_is_stored(app: Any, client: Any) -> None:
    resp = _send(client, element_id="reception_check", text="  Cán bộ tiếp nhận hướng dẫn rõ.  ")
    assert resp.status_code == 201
    feedback_id = resp.get_json()["id"]
    assert "Set-Cookie" not in resp.headers  # the token-less API never starts a session
    with app.app_context():
        row = db.session.get(Feedback, feedback_id)
        assert row is not None
        assert (row.procedure, row.commune_code, row.rating, row.source) == ("birth", "00070", 4, "portal")
        assert row.text == "Cán bộ tiếp nhận hướng dẫn rõ." and row.element_id == "reception_check"
        assert "10.0.0.1" not in row.client_hash


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"procedure": "divorce"}, "procedure"),
        ({"commune_code": "99999"}, "commune_code"),
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": True}, "rating"),
        ({"rating": "bốn"}, "rating"),
        ({"text": ""}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"dossier_code": "KHONG-CO"}, "dossier_code"),
        ({"element_id": "no_such_step"}, "element_id"),
        ({"element_id": "<script>"}, "element_id"),
    ],
)
def test_bad_feedback_is_422_and_stores_nothing(
    app: Any, client: Any, overrides: dict[str, Any], field: str
) -> None:
    resp = _send(client, **overrides)
    assert resp.status_code == 422, resp.get_json()
    err = resp.get_json()["error"]
    assert err["code"] == "validation_failed" and field in err["fields"] and err["fields"][field]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Feedback)) == 0


def test_not_json_is_400(client: Any) -> None:
    # a cross-site HTML form can send text/plain, never application/json: it cannot reach the API
    resp = client.post("/api/v1/feedback", data="procedure=birth", content_type="text/plain")
    assert resp.status_code == 400
    assert client.post("/api/v1/feedback", json=[1, 2]).status_code == 422


def test_dossier_code_of_another_commune_is_refused_like_an_unknown_one(app: Any, client: Any) -> None:
    code = _birth(app, client)
    assert _send(client, dossier_code=code).status_code == 201
    other = _send(client, dossier_code=code, commune_code="00004").get_json()["error"]["fields"][
        "dossier_code"
    ]
    unknown = _send(client, dossier_code="KS-0000", commune_code="00004").get_json()["error"]["fields"]
    assert other == unknown["dossier_code"]


def test_rate_limited_per_address(app: Any, client: Any, clock: Any) -> None:
    for _ in range(5):
        assert _send(client, "10.0.0.9").status_code == 201
    resp = _send(client, "10.0.0.9")
    assert resp.status_code == 429 and resp.get_json()["error"]["code"] == "rate_limited"
    assert _send(client, "10.0.0.10").status_code == 201  # another address is not affected
    clock.advance(minutes=11)
    assert _send(client, "10.0.0.9").status_code == 201
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Feedback)) == 7


def test_api_ignores_a_logged_in_session(app: Any) -> None:
    """A page session cookie gives the API no identity: feedback is anonymous and other endpoints stay 401."""
    pages = Pages(app)
    pages.login("officer.hoankiem")
    resp = pages.client.post(
        "/api/v1/feedback",
        json={"procedure": "birth", "commune_code": "00070", "rating": 2, "text": "Chờ lâu."},
    )
    assert resp.status_code == 201
    assert pages.client.get("/api/v1/statistics").status_code == 401


def test_public_page_needs_its_csrf_token(app: Any) -> None:
    pages = Pages(app)
    form = pages.text("/feedback/00070")
    assert 'name="csrf_token"' in form and "Phường Hoàn Kiếm" in form
    data = {"procedure": "death", "rating": "5", "text": "Rất hài lòng với cán bộ."}
    assert pages.post("/feedback/00070", data, csrf=False).status_code == 400
    pages.refresh_token()
    import re

    pages.token = re.search(r'name="csrf_token" value="([^"]+)"', pages.text("/feedback/00070")).group(1)  # type: ignore[union-attr]
    resp = pages.post("/feedback/00070", data)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/feedback/00070/thanks")
    bad = pages.post("/feedback/00070", {**data, "rating": ""})
    assert bad.status_code == 422 and "Mức đánh giá phải là số từ 1 đến 5." in bad.get_data(as_text=True)
    assert pages.get("/feedback/99999").status_code == 404
    with app.app_context():
        rows = list(db.session.scalars(select(Feedback)))
        assert [(r.procedure, r.rating, r.source) for r in rows] == [("death", 5, "public")]


def test_verification_page_offers_feedback_on_its_dossier(app: Any, client: Any) -> None:
    from app.models import Document

    code = _birth(app, client)
    Api(client).complete(
        "reception.hoankiem", code, "reception_check", {"decision": "accept"}
    )  # appointment slip
    with app.app_context():
        token = db.session.scalars(select(Document.verify_token)).first()
        assert token
    resp = client.get(f"/verify/{token}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200, page[-3000:]
    assert f"/feedback/00070?procedure=birth&amp;dossier_code={code}&amp;source=verify" in page
    form = client.get(f"/feedback/00070?procedure=birth&dossier_code={code}&source=verify").get_data(
        as_text=True
    )
    assert f'value="{code}"' in form and 'name="source" value="verify"' in form


def test_official_answers_feedback_on_the_dossier_page(app: Any, client: Any) -> None:
    code = _birth(app, client)
    feedback_id = _send(client, dossier_code=code, text=PERSONAL, rating=2).get_json()["id"]
    officer = Pages(app)
    officer.login("officer.hoankiem")
    page = officer.text(f"/dossiers/{code}")
    assert "Nguyễn Văn An, CCCD 001095012345" in page  # the commune's own official reads it as written
    resp = officer.post(
        f"/dossiers/{code}/feedback/{feedback_id}/answer", {"answer": "Xin cảm ơn, đã ghi nhận."}
    )
    assert resp.status_code == 303
    assert "Xin cảm ơn, đã ghi nhận." in officer.text(f"/dossiers/{code}")
    other = Pages(app)
    other.login("officer.badinh")
    assert other.post(f"/dossiers/{code}/feedback/{feedback_id}/answer", {"answer": "x"}).status_code == 404
    with app.app_context():
        row = db.session.get(Feedback, feedback_id)
        assert (
            row is not None
            and row.answer == "Xin cảm ơn, đã ghi nhận."
            and row.answered_by == "officer.hoankiem"
        )


def test_department_compiles_masked_feedback_and_proposes_a_change(app: Any, client: Any, clock: Any) -> None:
    code = _birth(app, client)
    first = _send(client, "1.1.1.1", dossier_code=code, text=PERSONAL, rating=2).get_json()["id"]
    second = _send(
        client, "1.1.1.2", procedure="death", commune_code="00004", rating=5, text="Nhanh."
    ).get_json()["id"]
    clock.advance(days=31)
    third = _send(
        client, "1.1.1.3", rating=1, text="Phải chờ quá lâu ở bước tiếp nhận.", element_id="reception_check"
    ).get_json()["id"]

    department = Pages(app)
    department.login("department")
    page = department.text("/department/feedback")
    for secret in ("Nguyễn Văn An", "001095012345", "0912 345 678", "an@example.vn", "Chị Lan"):
        assert secret not in page
    assert "[họ tên]" in page and "[số định danh]" in page and "[số điện thoại]" in page and "[email]" in page

    assert (
        department.post(f"/department/feedback/{first}/category", {"category": "processing_time"}).status_code
        == 303
    )
    assert (
        department.post(f"/department/feedback/{third}/category", {"category": "processing_time"}).status_code
        == 303
    )
    assert (
        department.post(f"/department/feedback/{second}/category", {"category": "bogus"}).status_code == 422
    )

    api = Api(client)
    compiled = api.get("department", "/feedback?category=processing_time").get_json()
    assert compiled["total"] == 2 and compiled["mean_rating"] == 1.5
    assert compiled["by_category"] == [{"key": "processing_time", "count": 2, "mean_rating": 1.5}]
    assert [t["month"] for t in compiled["trend"]] == ["2026-03", "2026-04"]
    everything = api.get("department", "/feedback").get_json()
    assert {g["key"]: g["count"] for g in everything["by_procedure"]} == {"birth": 2, "death": 1}
    assert {g["key"]: g["count"] for g in everything["by_commune"]} == {"00070": 2, "00004": 1}
    assert api.get("department", "/feedback?from=2026-04-01&to=2026-04-30").get_json()["total"] == 1

    # the proposal: two birth feedback items → a new version of the birth process (deployed later)
    resp = department.post(
        "/department/proposals",
        {"procedure": "birth", "title": "Rút ngắn bước tiếp nhận", "feedback_ids": [str(first), str(third)]},
    )
    assert resp.status_code == 303
    with app.app_context():
        proposal_id = db.session.get(Feedback, first).proposal_id  # type: ignore[union-attr]
        assert proposal_id and db.session.get(Feedback, third).proposal_id == proposal_id  # type: ignore[union-attr]
        assert db.session.get(Feedback, second).proposal_id is None  # type: ignore[union-attr]
        version = db.session.scalars(
            select(ProcessVersion).where(ProcessVersion.key == "birth_registration")
        ).first()
        assert version is not None
        version_id, deployed = version.id, version.deployed_at
        death_version = db.session.scalars(
            select(ProcessVersion.id).where(ProcessVersion.key == "death_registration")
        ).first()
    wrong = department.post(
        f"/department/proposals/{proposal_id}/version", {"process_version_id": str(death_version)}
    )
    assert wrong.status_code == 303
    assert (
        department.post(
            f"/department/proposals/{proposal_id}/version", {"process_version_id": str(version_id)}
        ).status_code
        == 303
    )
    item = next(i for i in api.get("department", "/feedback").get_json()["items"] if i["id"] == first)
    assert item["proposal_title"] == "Rút ngắn bước tiếp nhận"
    assert (
        item["change_version"].startswith("birth_registration v")
        and item["change_live_at"] == deployed.isoformat()
    )
    page = department.text("/department/feedback")
    assert (
        "Đã áp dụng từ "
        + deployed.astimezone(__import__("app.domain.calendar", fromlist=["LOCAL_TZ"]).LOCAL_TZ).strftime(
            "%d/%m/%Y"
        )
        in page
    )

    # a feedback of another procedure cannot back this proposal
    bad = department.post(
        "/department/proposals", {"procedure": "birth", "title": "X", "feedback_ids": [str(second)]}
    )
    assert bad.status_code == 303
    with app.app_context():
        assert db.session.get(Feedback, second).proposal_id is None  # type: ignore[union-attr]


def test_analyst_sees_feedback_per_diagram_element_masked(app: Any, client: Any) -> None:
    _send(
        client, "2.2.2.1", element_id="reception_check", text="Anh Nguyễn Văn Bình ở quầy rất chậm.", rating=2
    )
    _send(client, "2.2.2.2", element_id="reception_check", text="Chờ lâu.", rating=3)
    _send(client, "2.2.2.3", text="Ổn.", rating=5)
    analyst = Pages(app)
    analyst.login("analyst")
    page = analyst.text("/processes/birth_registration/feedback")
    assert "Nguyễn Văn Bình" not in page and "[họ tên]" in page
    assert 'href="/processes/birth_registration/feedback?element_id=reception_check"' in page
    only = analyst.text("/processes/birth_registration/feedback?element_id=reception_check")
    assert only.count('data-feedback="') == 2
    with app.app_context():
        version = db.session.scalars(
            select(ProcessVersion.version).where(ProcessVersion.key == "birth_registration")
        ).first()
    diagram = analyst.text(f"/processes/birth_registration/{version}")
    assert 'data-feedback="{&#34;reception_check&#34;: 2}"' in diagram
    assert analyst.post("/department/feedback/1/category", {"category": "other"}).status_code == 403


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("department", 200),
        ("analyst", 200),
        ("officer.hoankiem", 403),
        ("auditor", 403),
        ("portal", 403),
        (None, 401),
    ],
)
def test_feedback_compilation_roles(client: Any, user: str | None, status: int) -> None:
    assert Api(client).get(user, "/feedback").status_code == status


def test_department_scope_is_its_province(app: Any, client: Any) -> None:
    """Feedback of a commune outside the department's province is not in its compilation."""
    from app.models import Commune

    with app.app_context():
        db.session.add(
            Commune(
                code="26734",
                name="Phường Bến Thành",
                province_code="79",
                province_name="Thành phố Hồ Chí Minh",
            )
        )
        db.session.commit()
    assert _send(client, commune_code="26734").status_code == 201
    assert _send(client, "10.1.1.1").status_code == 201
    body = Api(client).get("department", "/feedback").get_json()
    assert [i["commune_code"] for i in body["items"]] == ["00070"]
    assert Api(client).get("analyst", "/feedback").get_json()["total"] == 2
    assert timedelta(0) == timedelta(0)


def test_a_burst_from_one_address_cannot_pass_the_limit(app: Any) -> None:
    """Ten simultaneous submissions from one address: exactly five stored, five refused (429)."""
    import threading

    statuses: list[int] = []
    start = threading.Barrier(10)

    def send() -> None:
        client = app.test_client()
        start.wait()
        statuses.append(_send(client, "10.9.9.9").status_code)

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [201] * 5 + [429] * 5
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Feedback)) == 5
