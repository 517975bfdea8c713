"""Keyset pages (not OFFSET): walking every page of the task list, the dossier list, the dossier search and
the auditor search sees each row that was there once, even when rows arrive between two pages."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Dossier, OpenTask, User
from app.services import audit_reports, dossier_search
from app.services.processes import active_version
from app.services.statistics import Period
from tests.api_client import Api
from tests.page_client import Pages

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
SERIAL = itertools.count(1)


def add_dossiers(app: Any, n: int, commune: str = "00070", received: datetime = NOW) -> list[str]:
    """n stored dossiers (volume rows: no engine state) with an open reception task each, newest last."""
    codes = []
    with app.app_context():
        version = active_version("birth_registration")
        assert version is not None
        for _ in range(n):
            k = next(SERIAL)
            code = f"{commune}-260310-P{k:04d}"
            d = Dossier(
                code=code,
                procedure="birth",
                commune_code=commune,
                channel="counter",
                status="processing",
                data={"child": {"full_name": f"Nguyễn Văn Phân {k}"}},
                findings=[],
                result={},
                received_at=received - timedelta(minutes=k % 7),
                process_version_id=version.id,
                state="{}",
                search_text=f"{code.lower()} | nguyen van phan {k}",
                submitted_by="reception.hoankiem",
            )
            db.session.add(d)
            db.session.flush()
            db.session.add(
                OpenTask(
                    id=str(uuid.uuid4()),
                    dossier_id=d.id,
                    dossier_code=code,
                    procedure="birth",
                    task_key="reception_check",
                    title="Kiểm tra, tiếp nhận hồ sơ",
                    role="reception",
                    commune_code=commune,
                    # due dates repeat (ties on due_at and created_at), some tasks have none
                    created_at=NOW - timedelta(minutes=k % 3),
                    due_at=None if k % 5 == 0 else NOW + timedelta(hours=k % 4),
                    search_text=d.search_text,
                )
            )
            codes.append(code)
        db.session.commit()
        db.session.remove()
    return codes


def test_the_task_list_pages_by_cursor_without_repeats_or_misses(app: Any, client: Any) -> None:
    api = Api(client)
    add_dossiers(app, 120)
    with app.app_context():
        before = set(db.session.scalars(select(OpenTask.id).where(OpenTask.role == "reception")))
    seen: list[str] = []
    path = "/tasks"
    pages = 0
    while True:
        resp = api.get("reception.hoankiem", path)
        assert resp.status_code == 200
        seen += [t["id"] for t in resp.get_json()]
        pages += 1
        add_dossiers(app, 7)  # new tasks arrive between pages, some sorting before the cursor
        link = resp.headers.get("Link")
        if not link:
            assert "X-Next-Cursor" not in resp.headers
            break
        assert resp.headers["X-Next-Cursor"] in link and link.endswith('>; rel="next"')
        path = re.match(r"<(/api/v1)?([^>]+)>", link).group(2)  # type: ignore[union-attr]
    assert pages >= 3
    assert len(seen) == len(set(seen)), "a task was listed twice"
    assert before <= set(seen), "a task that was there all along was never listed"


def test_the_task_list_cursor_keeps_the_other_filters(app: Any, client: Any) -> None:
    api = Api(client)
    add_dossiers(app, 60)
    resp = api.get("reception.hoankiem", "/tasks?mine=0")
    assert "mine=0" in resp.headers["Link"]


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "%%%", "fHx8", "MjAyNi0wMy0xMFQwMjowMDowMHwyMDI2LTAzLTEwVDAyOjAwOjAwfHg"],  # last: naive
)
def test_a_bad_task_cursor_gives_the_first_page(app: Any, client: Any, cursor: str) -> None:
    api = Api(client)
    add_dossiers(app, 60)
    first = api.get("reception.hoankiem", "/tasks").get_json()
    resp = api.get("reception.hoankiem", f"/tasks?after={cursor}")
    assert resp.status_code == 200 and resp.get_json() == first


def test_the_dossier_list_pages_by_cursor_and_still_by_page(app: Any, client: Any) -> None:
    api = Api(client)
    add_dossiers(app, 120)
    with app.app_context():
        before = set(db.session.scalars(select(Dossier.code).where(Dossier.commune_code == "00070")))
    seen: list[str] = []
    body = api.get("reception.hoankiem", "/dossiers").get_json()
    assert body["page"] == 1 and body["total"] == len(before)
    while True:
        seen += [d["code"] for d in body["items"]]
        add_dossiers(
            app, 9
        )  # newer dossiers sort before the cursor: they must not push rows to the next page
        if body["next_cursor"] is None:
            break
        body = api.get("reception.hoankiem", f"/dossiers?after={body['next_cursor']}").get_json()
    assert len(seen) == len(set(seen)) and before <= set(seen)
    # the page number still works (and says where the next page starts)
    second = api.get("reception.hoankiem", "/dossiers?page=2").get_json()
    assert second["page"] == 2 and len(second["items"]) == 50 and second["next_cursor"]
    for bad in ("abc", "-1", "9" * 40):
        assert api.get("reception.hoankiem", f"/dossiers?after={bad}").status_code == 200


def test_the_dossier_search_pages_by_keyset_while_dossiers_arrive(app: Any) -> None:
    add_dossiers(app, 80)
    with app.app_context():
        actor = db.session.scalars(select(User).where(User.username == "reception.hoankiem")).one()
        expected = set(db.session.scalars(select(Dossier.code).where(Dossier.search_text.contains("phan"))))
    seen: list[str] = []
    before = None
    while True:
        with app.app_context():
            actor = db.session.merge(actor)
            page = dossier_search.search_dossiers(actor, q="Phân", before=before, limit=15)
            seen += [i["code"] for i in page.items]
            db.session.remove()
        add_dossiers(app, 4)
        if page.next_before is None:
            break
        before = page.next_before
    assert len(seen) == len(set(seen)) and expected <= set(seen)


def test_the_auditor_search_pages_by_keyset_while_dossiers_arrive(app: Any) -> None:
    add_dossiers(app, 50)
    add_dossiers(app, 30, commune="00004")
    f = audit_reports.AuditFilter(Period(NOW.date() - timedelta(days=3), NOW.date() + timedelta(days=1)))
    with app.app_context():
        expected = set(db.session.scalars(select(Dossier.code)))
    seen: list[str] = []
    cursor = None
    while True:
        with app.app_context():
            auditor = db.session.scalars(select(User).where(User.username == "auditor")).one()
            page = audit_reports.search_page(auditor, f, limit=12, cursor=cursor)
            seen += [r["code"] for r in page.rows]
            db.session.remove()
        add_dossiers(app, 3, received=NOW + timedelta(minutes=1))
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) and expected <= set(seen)


def test_the_auditor_search_page_links_the_next_page(app: Any) -> None:
    add_dossiers(app, 230)
    pages = Pages(app)
    pages.login("auditor")
    client = pages.client
    first = client.get("/audit/search?from=2026-03-01&to=2026-03-31")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert html.count('class="code"') == 200
    m = re.search(r'id="audit-next" href="([^"]+)"', html)
    assert m, "no next-page link"
    second = client.get(m.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    rest = second.get_data(as_text=True)
    assert 'id="audit-next"' not in rest and "Trang đầu" in rest
    codes = set(re.findall(r'class="code"[^>]*>([^<]+)<', html)) | set(
        re.findall(r'class="code"[^>]*>([^<]+)<', rest)
    )
    with app.app_context():
        assert codes == set(db.session.scalars(select(Dossier.code)))
    assert client.get("/audit/search?after=garbage").status_code == 200
