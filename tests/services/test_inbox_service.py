"""The inbox service: tabs, counts and keyset pages over the open-task table."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Dossier, OpenTask, User
from app.services import inbox
from tests.api_client import Api, birth_submission

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội


@pytest.fixture
def tasks(app: Any, client: Any) -> list[OpenTask]:
    """60 open reception tasks of one dossier, due in the past, today, later or never; ties included."""
    code = Api(client).post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    rng = random.Random(7)
    with app.app_context():
        dossier = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        dues = [
            None,
            NOW - timedelta(days=2),
            NOW - timedelta(hours=1),
            NOW + timedelta(hours=8),  # 17:00 today
            NOW + timedelta(days=3),
        ]
        rows = []
        for i in range(60):
            rows.append(
                OpenTask(
                    id=str(uuid.UUID(int=rng.getrandbits(128))),
                    dossier_id=dossier.id,
                    dossier_code=code,
                    procedure="birth",
                    task_key="reception_check",
                    title="Kiểm tra, tiếp nhận hồ sơ",
                    role="reception",
                    commune_code="00070",
                    assignee="reception.hoankiem" if i % 4 == 0 else None,
                    created_at=NOW - timedelta(minutes=rng.randrange(5)),
                    due_at=dues[i % len(dues)],
                    search_text=f"{code} | task {i}",
                )
            )
        db.session.add_all(rows)
        db.session.commit()
        all_rows = list(db.session.scalars(select(OpenTask).where(OpenTask.commune_code == "00070")))
        db.session.expunge_all()
        return all_rows


def urgency(t: OpenTask) -> tuple[Any, ...]:
    return (t.due_at is None, t.due_at or NOW, t.created_at, t.id)


def walk(actor: User, f: inbox.InboxFilters, limit: int) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = inbox.inbox_page(actor, f, NOW, cursor, limit)
        seen += [t["id"] for t in page.items]
        assert len(page.items) <= limit
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("limit", [1, 7, 25, 100])
def test_keyset_pages_list_every_task_once_most_urgent_first(
    app: Any, tasks: list[OpenTask], limit: int
) -> None:
    with app.app_context():
        actor = db.session.scalars(select(User).where(User.username == "reception.hoankiem")).one()
        assert walk(actor, inbox.InboxFilters(), limit) == [t.id for t in sorted(tasks, key=urgency)]


def test_tabs_and_their_counts_agree(app: Any, tasks: list[OpenTask]) -> None:
    with app.app_context():
        actor = db.session.scalars(select(User).where(User.username == "reception.hoankiem")).one()
        counts = inbox.tab_counts(actor, inbox.InboxFilters(), NOW)
        end_of_day = NOW + timedelta(hours=15)  # midnight in Hà Nội
        expected = {
            "all": len(tasks),
            "mine": sum(t.assignee == "reception.hoankiem" for t in tasks),
            "overdue": sum(t.due_at is not None and t.due_at < NOW for t in tasks),
            "today": sum(t.due_at is not None and NOW <= t.due_at < end_of_day for t in tasks),
        }
        assert counts == expected
        for tab in inbox.TABS:
            assert len(walk(actor, inbox.InboxFilters(tab=tab), 9)) == expected[tab], tab


def test_a_garbled_cursor_starts_from_the_first_page(app: Any, tasks: list[OpenTask]) -> None:
    with app.app_context():
        actor = db.session.scalars(select(User).where(User.username == "reception.hoankiem")).one()
        first = inbox.inbox_page(actor, inbox.InboxFilters(), NOW, None, 5).items
        assert inbox.inbox_page(actor, inbox.InboxFilters(), NOW, "%%not-a-cursor", 5).items == first


def test_the_inbox_query_walks_the_commune_role_due_index(
    app: Any, tasks: list[OpenTask], backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the plan check reads SQLite's EXPLAIN QUERY PLAN")
    with app.app_context():
        actor = db.session.scalars(select(User).where(User.username == "reception.hoankiem")).one()
        query = (
            inbox._filtered(actor, inbox.InboxFilters())
            .where(OpenTask.due_at.is_not(None))
            .order_by(OpenTask.due_at, OpenTask.created_at, OpenTask.id)
            .limit(26)
        )
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = " ".join(str(row[-1]) for row in db.session.execute(db.text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "ix_open_task_inbox" in plan, plan


def test_the_registry_waiting_list_starts_from_the_waiting_jobs(app: Any, backend: str) -> None:
    """Not from the commune's dossiers: at a million stored dossiers that walk took 40 ms per inbox page."""
    if backend != "sqlite":
        pytest.skip("the plan check reads SQLite's EXPLAIN QUERY PLAN")
    with app.app_context():
        actor = db.session.scalars(select(User).where(User.username == "reception.hoankiem")).one()
        statements: list[tuple[str, Any]] = []

        def keep(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
            if " job " in f" {statement} " and "JOIN dossier" in statement:
                statements.append((statement, params))

        from sqlalchemy import event

        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            inbox.registry_waiting(actor)
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
        assert statements
        statement, params = statements[0]
        raw = db.engine.raw_connection()
        try:
            plan = " ".join(
                str(r[-1]) for r in raw.cursor().execute("EXPLAIN QUERY PLAN " + statement, params)
            )
        finally:
            raw.close()
        assert "ix_job_status_run_at" in plan and "ix_dossier_commune_status" not in plan, plan


def test_a_busy_tab_stops_counting_past_the_cap(app: Any, tasks: list[OpenTask], monkeypatch: Any) -> None:
    """A tab's count reads at most COUNT_CAP + 1 tasks (the page shows "999+"): flat however many are open."""
    monkeypatch.setattr(inbox, "COUNT_CAP", 3)
    assert len(tasks) > 4
    with app.app_context():
        actor = db.session.scalars(select(User).where(User.username == "reception.hoankiem")).one()
        assert inbox.tab_counts(actor, inbox.InboxFilters(), NOW)["all"] == 4
        assert inbox.tab_counts(actor, inbox.InboxFilters(q="nguyen"), NOW)["all"] <= 4
        assert inbox.poll(actor, None, NOW)["count_cap"] == 3
        db.session.remove()
    from tests.page_client import Pages

    pages = Pages(app)
    pages.login("reception.hoankiem")
    assert 'data-count="all">3+</span>' in pages.text("/inbox")
