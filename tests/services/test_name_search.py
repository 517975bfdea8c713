"""The indexed name search (FTS5 trigram on SQLite, pg_trgm on PostgreSQL) finds exactly what the plain
`LIKE '%…%'` over the folded search text found: tricky Vietnamese names, two-letter fragments, wildcards."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Dossier, OpenTask, User
from app.services import dossier_search, tasks, text_search
from app.services.commands import search_text
from tests.api_client import Api, birth_submission

# (child, requester, commune)
NAMES = [
    ("Nguyễn Văn Ân", "Nguyễn Văn An", "00070"),
    ("Đặng Thị Ngọc Ánh", "Đặng Văn Đạt", "00070"),
    ("Nguyễn Văn An", "Trần Thị Bích Ngọc", "00070"),
    ("Ngô Văn Anh", "Ngô Thị Ư", "00070"),
    ("Trần Thị Ánh Dương", "Lê Đức Đạt", "00070"),
    ("Hồ Thị Ưng", "Hồ Văn Ẩn", "00070"),
    ("Phạm Thị Ngân", "Phạm Văn Nhân", "00070"),
    ("Đỗ An Nhiên", "Đỗ Văn Dũng", "00004"),  # another commune: never in 00070's results
    ("Nguyễn Văn Ân", "Bùi Văn Hải", "00004"),
    ("Vũ Thị 100% Lan", "Vũ Văn N_m", "00070"),  # wildcards stored literally
]

QUERIES = [
    "Nguyễn Văn Ân",
    "nguyen van an",
    "NGUYỄN VĂN ÂN",
    unicodedata.normalize("NFD", "Nguyễn Văn Ân"),  # decomposed input
    "  nguyen   van  an ",
    "Đặng Thị Ngọc Ánh",
    "dang thi ngoc anh",
    "ngoc anh",
    "Ánh",
    "anh",
    "an",  # two letters: no trigram, the plain LIKE answers
    "ân",
    "a",
    "đ",
    "d",
    "ư",
    "ung",
    "nh",
    "dat",
    "đạt",
    "van",
    "%",
    "_",
    "n_m",
    "n%n",
    "100%",
    '"',
    'an"',
    "a | n",
    "00070-",
    "xyz",
    "nguyen van anh",
]


@pytest.fixture
def stored(app: Any, client: Any) -> list[str]:
    """The submitted template dossier plus one dossier (and one open reception task) per name."""
    Api(client).post("reception.hoankiem", "/dossiers", json=birth_submission())
    with app.app_context():
        tpl = db.session.scalars(select(Dossier)).one()
        codes = [tpl.code]
        for i, (child, requester, commune) in enumerate(NAMES):
            code = f"{commune}-260310-T{i:04d}"
            data = {
                **tpl.data,
                "child": {**tpl.data["child"], "full_name": child},
                "requester": {**tpl.data["requester"], "full_name": requester},
            }
            d = Dossier(
                code=code,
                procedure="birth",
                commune_code=commune,
                channel="counter",
                status=tpl.status,
                data=data,
                findings=[],
                result={},
                received_at=tpl.received_at + timedelta(minutes=i),
                due_at=tpl.due_at,
                process_version_id=tpl.process_version_id,
                state=tpl.state,
                search_text=search_text(code, data),
                submitted_by=tpl.submitted_by,
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
                    created_at=d.received_at,
                    due_at=d.received_at + timedelta(days=1),
                    search_text=d.search_text,
                )
            )
            codes.append(code)
        db.session.commit()
        db.session.remove()
    return codes


def user(name: str) -> User:
    return db.session.scalars(select(User).where(User.username == name)).one()


def like_dossiers(actor: User, q: str) -> list[str]:
    """What the plain LIKE search gave: the scoped dossiers whose folded text contains the folded query."""
    from app.services.access import scope_dossiers

    text = text_search.folded_query(q)
    query = scope_dossiers(select(Dossier), actor)
    if text:
        query = query.where(Dossier.search_text.contains(text, autoescape=True))
    return list(db.session.scalars(query.order_by(Dossier.id.desc()).with_only_columns(Dossier.code)))


def searched_dossiers(actor: User, q: str, limit: int) -> list[str]:
    """Every page of the dossier search, followed by its keyset cursor."""
    codes: list[str] = []
    before = None
    while True:
        page = dossier_search.search_dossiers(actor, q=q, before=before, limit=limit)
        codes += [item["code"] for item in page.items]
        if page.next_before is None:
            return codes
        before = page.next_before


def python_reference(q: str) -> set[str]:
    text = text_search.folded_query(q)
    return {
        code
        for code, stored_text in db.session.execute(select(Dossier.code, Dossier.search_text))
        if text in stored_text
    }


@pytest.mark.parametrize(
    ("first_batch", "selective"),
    [(100, 2000), (1, 2000), (1, 1)],
    ids=["one-batch", "growing-batches", "broad-walk-newest-first"],
)
def test_dossier_search_finds_exactly_what_like_found(
    app: Any, stored: list[str], monkeypatch: Any, first_batch: int, selective: int
) -> None:
    monkeypatch.setattr(dossier_search, "FIRST_BATCH", first_batch)
    monkeypatch.setattr(dossier_search, "SELECTIVE", selective)
    with app.app_context():
        for username in ("reception.hoankiem", "auditor"):
            actor = user(username)
            for q in QUERIES:
                expected = like_dossiers(actor, q)
                assert searched_dossiers(actor, q, limit=2) == expected, (username, q)
                assert set(expected) <= python_reference(q), q


def test_the_tricky_names_are_found_without_diacritics_and_only_in_the_commune(
    app: Any, stored: list[str]
) -> None:
    with app.app_context():
        actor = user("reception.hoankiem")
        found = set(searched_dossiers(actor, "Nguyễn Văn Ân", 25))
        # the template's requester is Nguyễn Văn An too; "Ngô Văn Anh" is not "nguyen van an"
        assert found == {stored[0], stored[1], stored[3]}
        assert set(searched_dossiers(actor, "dang thi ngoc anh", 25)) == {stored[2]}
        assert set(searched_dossiers(actor, "n_m", 25)) == {stored[10]}
        assert searched_dossiers(actor, "n%n", 25) == []
        assert stored[9] not in searched_dossiers(actor, "an", 25)  # 00004's dossier
        assert stored[9] in searched_dossiers(user("auditor"), "an", 25)


@pytest.mark.parametrize("selective", [2000, 1], ids=["fts-first", "broad-fallback"])
def test_inbox_search_finds_exactly_what_like_found(
    app: Any, stored: list[str], monkeypatch: Any, selective: int
) -> None:
    monkeypatch.setattr(text_search, "SELECTIVE", selective)
    with app.app_context():
        actor = user("reception.hoankiem")
        for q in QUERIES:
            text = text_search.folded_query(q)
            plain = tasks.inbox_query(actor)
            if text:
                plain = plain.where(OpenTask.search_text.contains(text, autoescape=True))
            expected = [t.id for t in db.session.scalars(plain)]
            assert [t.id for t in db.session.scalars(tasks.inbox_query(actor, q=q))] == expected, q


def test_the_index_follows_renamed_and_deleted_dossiers(app: Any, stored: list[str]) -> None:
    with app.app_context():
        actor = user("reception.hoankiem")
        d = db.session.scalars(select(Dossier).where(Dossier.code == stored[1])).one()
        data = {
            **d.data,
            "child": {**d.data["child"], "full_name": "Lý Thị Xuân"},
            "requester": {**d.data["requester"], "full_name": "Lý Văn Khoa"},
        }
        d.data = data
        d.search_text = search_text(d.code, data)
        db.session.commit()
        assert searched_dossiers(actor, "ly thi xuan", 25) == [stored[1]]
        assert stored[1] not in searched_dossiers(actor, "nguyen van an", 25)
        db.session.execute(db.delete(OpenTask).where(OpenTask.dossier_id == d.id))
        db.session.delete(d)
        db.session.commit()
        assert searched_dossiers(actor, "ly thi xuan", 25) == []


def test_search_with_procedure_and_status_filters_and_a_cursor(app: Any, stored: list[str]) -> None:
    with app.app_context():
        actor = user("auditor")
        expected = like_dossiers(actor, "van")
        status = db.session.scalar(select(Dossier.status).limit(1))
        first = dossier_search.search_dossiers(actor, q="van", procedure="birth", status=status, limit=3)
        assert [i["code"] for i in first.items] == expected[:3] and first.next_before is not None
        none = dossier_search.search_dossiers(actor, q="van", procedure="death", limit=3)
        assert none.items == [] and none.next_before is None
        other = dossier_search.search_dossiers(actor, q="van", status="completed", limit=3)
        assert other.items == []


def test_sqlite_takes_the_trigram_index_for_three_letters_and_more(app: Any, stored: list[str]) -> None:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL serves the same LIKE from its trigram index (see the bench's plans)")
        long = text_search.name_condition("nguyen van an", OpenTask.search_text, OpenTask.dossier_id)
        short = text_search.name_condition("an", OpenTask.search_text, OpenTask.dossier_id)
        assert long.few and "dossier_id IN" in str(long.condition)
        assert not short.few and "dossier_id" not in str(short.condition)


def test_a_task_still_open_gets_its_dossiers_new_search_text(app: Any, client: Any) -> None:
    """The SQLite inbox finds tasks through their dossier's FTS5 row: both texts must stay equal."""
    from app.engine.clock import FixedClock
    from app.engine.instance import Instance
    from app.services.commands import sync_open_tasks
    from app.services.jobs import run_pending
    from app.services.operations import CommandDispatcher
    from app.services.processes import definition_for

    code = Api(client).post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
    with app.app_context():
        run_pending()  # the registry lookup: then reception_check is open
        db.session.remove()
        d = db.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        clock = FixedClock(d.received_at)
        instance = Instance.load(
            definition_for(d.process_version_id), d.state, clock, CommandDispatcher(d, d.received_at)
        )
        d.search_text = f"{code.lower()} | ly thi xuan"
        sync_open_tasks(d, instance, d.received_at, None, text_changed=True)
        db.session.commit()
        texts = list(db.session.scalars(select(OpenTask.search_text).where(OpenTask.dossier_id == d.id)))
        assert texts and set(texts) == {d.search_text}
        actor = user("reception.hoankiem")
        assert [t.dossier_code for t in db.session.scalars(tasks.inbox_query(actor, q="Lý Thị Xuân"))] == [
            code
        ]
