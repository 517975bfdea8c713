"""Bulk population of stored dossiers: real template dossiers through the API, cloned with INSERT … SELECT."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bench.drivers import COMMUNES, LOCAL_TZ, BenchFailure, Driver

CLONE_GIVEN = (
    "Hùng", "Dũng", "Nam", "Sơn", "Tuấn", "Quân", "Phúc", "Lộc", "Đạt", "Khoa", "Long", "Trung",
    "Hiếu", "Nghĩa", "Thắng", "Việt", "Hòa", "Bình", "Cường", "Đức",
)  # fmt: skip
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ")
MIDDLE = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang")
GIVEN = (
    "An",
    "Bình",
    "Châu",
    "Dũng",
    "Hà",
    "Hải",
    "Hùng",
    "Lan",
    "Linh",
    "Mai",
    "Nam",
    "Sơn",
    "Thảo",
    "Trang",
)


@dataclass
class Template:
    stage: str
    commune: str
    dossier_id: int
    code: str
    received_at: datetime
    data: dict[str, Any]
    book_id: int | None = None


def make_templates(app: Any, driver: Driver, stages: tuple[str, ...], first_index: int) -> list[Template]:
    """Real dossiers through the API, one per commune and stage; the bulk population clones them."""
    from app.extensions import db
    from app.models import Dossier, RegisterEntry

    codes: list[tuple[str, str, str]] = []
    i = first_index
    for commune in COMMUNES:
        for stage in stages:
            codes.append((stage, commune, driver.path(commune, i, upto=stage, record=False)))
            i += 1
    out = []
    with app.app_context():
        for stage, commune, code in codes:
            d = db.session.scalars(sa.select(Dossier).where(Dossier.code == code)).one()
            expected = "completed" if stage == "completed" else None
            if expected and d.status != expected:
                raise BenchFailure(f"template {code} is {d.status}, expected {expected}")
            book = db.session.scalar(sa.select(RegisterEntry.book_id).where(RegisterEntry.dossier_id == d.id))
            out.append(Template(stage, commune, d.id, code, d.received_at, dict(d.data), book))
        db.session.remove()
    return out


def _clone_names(n: int) -> tuple[str, str]:
    requester = f"{FAMILY[n % len(FAMILY)]} {MIDDLE[(n // 7) % len(MIDDLE)]} {GIVEN[(n // 11) % len(GIVEN)]}"
    child = (
        f"{requester.split()[0]} {MIDDLE[(n // 3) % len(MIDDLE)]} {CLONE_GIVEN[(n // 5) % len(CLONE_GIVEN)]}"
    )
    return child, requester


def _q(name: str) -> str:
    return f'"{name}"'


def populate(
    app: Any,
    templates: list[Template],
    target: int,
    open_fraction: float,
    open_stages: tuple[str, ...],
    chunk: int = 10_000,
) -> dict[str, Any]:
    """Clone the templates with INSERT … SELECT until the database holds `target` dossiers.

    Each clone gets a unique code, its own names (child and requester vary, so a name search is selective),
    search text and subject key, and copies of the template's audit events, jobs and documents; completed
    clones also get a register entry and a registry person; `open_fraction` of the clones keep an open task
    (a copy of the template's, new task id) at one of `open_stages`, alternating over both communes.
    Clones are volume only: their engine state is the template's, so they are not worked on or verified.
    """
    from app.extensions import db
    from app.models import Dossier
    from app.models.base import UTCDateTime
    from app.services.commands import search_text
    from app.services.dossiers import subject_key

    t0 = time.perf_counter()
    with app.app_context():
        engine = db.engine
        db.session.remove()
    dialect = engine.dialect.name
    with engine.connect() as conn:
        existing = conn.execute(sa.text("SELECT COUNT(*) FROM dossier")).scalar_one()
        start_n = existing + 1
        book_numbers = dict(conn.execute(sa.text("SELECT id, last_number FROM register_book")).all())
    count = max(0, target - existing)
    if count == 0:
        return {"cloned": 0, "seconds": 0.0, "dossiers": existing}
    by_stage: dict[tuple[str, str], Template] = {(t.stage, t.commune): t for t in templates}
    communes = list(COMMUNES)
    meta = sa.MetaData()
    clone_map = sa.Table(
        "bench_clone_map",
        meta,
        sa.Column("n", sa.Integer, primary_key=True),
        sa.Column("template_id", sa.Integer),
        sa.Column("code", sa.String(40)),
        sa.Column("new_id", sa.Integer),
        sa.Column("received_at", UTCDateTime()),
        sa.Column("completed_at", UTCDateTime()),
        sa.Column("child_name", sa.Text),
        sa.Column("requester_name", sa.Text),
        sa.Column("search_text", sa.Text),
        sa.Column("subject_key", sa.Text),
        sa.Column("task_id", sa.String(36)),
        sa.Column("person_id", sa.String(12)),
        sa.Column("reg_number", sa.Integer),
        prefixes=["TEMPORARY"],
    )
    if dialect == "postgresql":
        data_expr = (
            "jsonb_set(jsonb_set(t.data, '{child,full_name}', to_jsonb(m.child_name)), "
            "'{requester,full_name}', to_jsonb(m.requester_name))"
        )
    else:
        data_expr = (
            "json_set(t.data, '$.child.full_name', m.child_name, '$.requester.full_name', m.requester_name)"
        )
    overrides = {
        "code": "m.code",
        "data": data_expr,
        "received_at": "m.received_at",
        "completed_at": "CASE WHEN t.completed_at IS NULL THEN NULL ELSE m.completed_at END",
        "search_text": "m.search_text",
        "subject_key": "m.subject_key",
        "idempotency_key": "NULL",
    }
    dossier_cols = [c.name for c in Dossier.__table__.columns if c.name != "id"]
    select_cols = ", ".join(overrides.get(c, f"t.{_q(c)}") for c in dossier_cols)
    insert_dossier = (
        f"INSERT INTO dossier ({', '.join(_q(c) for c in dossier_cols)}) "
        f"SELECT {select_cols} FROM bench_clone_map m JOIN dossier t ON t.id = m.template_id"
    )

    def copy_rows(table: str, key: str, overrides: dict[str, str], where: str = "") -> str:
        cols = [c.name for c in db.metadata.tables[table].columns if c.name != "id" or table == "open_task"]
        sel = ", ".join(overrides.get(c, f"x.{_q(c)}") for c in cols)
        return (
            f"INSERT INTO {table} ({', '.join(_q(c) for c in cols)}) SELECT {sel} "
            f"FROM bench_clone_map m JOIN {table} x ON x.{key} = m.template_id {where}"
        )

    statements = [
        insert_dossier,
        "UPDATE bench_clone_map SET new_id = "
        "(SELECT d.id FROM dossier d WHERE d.code = bench_clone_map.code)",
        copy_rows("audit_event", "dossier_id", {"dossier_id": "m.new_id"}),
        # volume only: a clone's jobs (lookups, status mails) are history, never due again
        copy_rows("job", "dossier_id", {"dossier_id": "m.new_id", "status": "'done'"}),
        copy_rows(
            "document", "dossier_id", {"dossier_id": "m.new_id", "verify_token": "'b' || m.n || '-' || x.id"}
        ),
        copy_rows(
            "open_task",
            "dossier_id",
            {
                "id": "m.task_id",
                "dossier_id": "m.new_id",
                "dossier_code": "m.code",
                "assignee": "NULL",
                "created_at": "m.received_at",
                "search_text": "m.search_text",
            },
            "WHERE m.task_id IS NOT NULL",
        ),
        copy_rows(
            "register_entry",
            "dossier_id",
            {"dossier_id": "m.new_id", "number": "m.reg_number"},
            "WHERE m.reg_number IS NOT NULL",
        ),
    ]
    person_cols = [c.name for c in db.metadata.tables["registry_person"].columns]
    person_sel = ", ".join(
        {"personal_id": "m.person_id", "full_name": "m.child_name", "source_ref": "m.code"}.get(
            c, f"p.{_q(c)}"
        )
        for c in person_cols
    )
    statements.append(
        f"INSERT INTO registry_person ({', '.join(_q(c) for c in person_cols)}) SELECT {person_sel} "
        "FROM bench_clone_map m JOIN dossier t ON t.id = m.template_id "
        "JOIN registry_person p ON p.source_ref = t.code WHERE m.person_id IS NOT NULL"
    )

    n = start_n
    done = 0
    while done < count:
        rows = []
        for _ in range(min(chunk, count - done)):
            k = n
            commune = communes[k % len(communes)]
            is_open = (k % 100) < round(open_fraction * 100)
            stage = open_stages[(k // len(communes)) % len(open_stages)] if is_open else "completed"
            tpl = by_stage[(stage, commune)]
            if is_open:
                received = tpl.received_at - timedelta(minutes=k % 20_000)
            else:
                received = tpl.received_at - timedelta(days=1 + k % 700, minutes=k % 1440)
            code = f"{commune}-{received.astimezone(LOCAL_TZ):%y%m%d}-B{k:07d}"
            child, requester = _clone_names(k)
            data = {
                **tpl.data,
                "child": {**(tpl.data.get("child") or {}), "full_name": child},
                "requester": {**(tpl.data.get("requester") or {}), "full_name": requester},
            }
            row: dict[str, Any] = {
                "n": k,
                "template_id": tpl.dossier_id,
                "code": code,
                "received_at": received,
                "completed_at": received + timedelta(days=3),
                "child_name": child,
                "requester_name": requester,
                "search_text": search_text(code, data),
                "subject_key": subject_key("birth", data),
                "task_id": str(uuid.uuid4()) if is_open else None,
                "person_id": None,
                "reg_number": None,
            }
            if not is_open:
                row["person_id"] = f"0013{k:08d}"
                if tpl.book_id is not None:
                    book_numbers[tpl.book_id] = book_numbers.get(tpl.book_id, 0) + 1
                    row["reg_number"] = book_numbers[tpl.book_id]
            rows.append(row)
            n += 1
        with engine.begin() as conn:
            clone_map.create(conn)
            conn.execute(clone_map.insert(), rows)
            for stmt in statements:
                conn.execute(sa.text(stmt))
            clone_map.drop(conn)
        done += len(rows)
    with engine.begin() as conn:
        for book_id, last in book_numbers.items():
            conn.execute(
                sa.text("UPDATE register_book SET last_number = :n WHERE id = :id"),
                {"n": last, "id": book_id},
            )
    if dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"cloned": count, "seconds": time.perf_counter() - t0, "dossiers": existing + count}


def table_counts(app: Any) -> dict[str, int]:
    from app.extensions import db

    with app.app_context():
        out = {
            t: int(db.session.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one())
            for t in (
                "dossier",
                "open_task",
                "audit_event",
                "job",
                "document",
                "register_entry",
                "registry_person",
            )
        }
        db.session.remove()
    return out
