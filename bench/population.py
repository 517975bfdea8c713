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


def _copy_rows(map_table: str, table: str, key: str, overrides: dict[str, str], where: str = "") -> str:
    """INSERT … SELECT of a template's `table` rows for each of its clones listed in `map_table`."""
    from app.extensions import db

    cols = [c.name for c in db.metadata.tables[table].columns if c.name != "id" or table == "open_task"]
    sel = ", ".join(overrides.get(c, f"x.{_q(c)}") for c in cols)
    return (
        f"INSERT INTO {table} ({', '.join(_q(c) for c in cols)}) SELECT {sel} "
        f"FROM {map_table} m JOIN {table} x ON x.{key} = m.template_id {where}"
    )


def clone_children(
    map_table: str,
    *,
    history: bool,
    token_prefix: str,
    task_search_text: str,
    person_overrides: dict[str, str],
) -> list[str]:
    """The statements that copy a template's rows to its clones (`map_table`: n, template_id, new_id, code,
    task_id, received_at, reg_number, person_id, child_name): its history (events, jobs, documents) when
    `history`, its open task, its register entry and its registry person."""
    from app.extensions import db

    out = []
    if history:
        out += [
            _copy_rows(map_table, "audit_event", "dossier_id", {"dossier_id": "m.new_id"}),
            # volume only: a clone's jobs (lookups, status mails) are history, never due again
            _copy_rows(map_table, "job", "dossier_id", {"dossier_id": "m.new_id", "status": "'done'"}),
            _copy_rows(
                map_table,
                "document",
                "dossier_id",
                {"dossier_id": "m.new_id", "verify_token": f"'{token_prefix}' || m.n || '-' || x.id"},
            ),
        ]
    task = {
        "id": "m.task_id",
        "dossier_id": "m.new_id",
        "dossier_code": "m.code",
        "assignee": "NULL",
        "created_at": "m.received_at",
        "search_text": task_search_text,
    }
    out += [
        _copy_rows(map_table, "open_task", "dossier_id", task, "WHERE m.task_id IS NOT NULL"),
        _copy_rows(
            map_table,
            "register_entry",
            "dossier_id",
            {"dossier_id": "m.new_id", "number": "m.reg_number"},
            "WHERE m.reg_number IS NOT NULL",
        ),
    ]
    person_cols = [c.name for c in db.metadata.tables["registry_person"].columns]
    person_sel = ", ".join(person_overrides.get(c, f"p.{_q(c)}") for c in person_cols)
    out.append(
        f"INSERT INTO registry_person ({', '.join(_q(c) for c in person_cols)}) SELECT {person_sel} "
        f"FROM {map_table} m JOIN dossier t ON t.id = m.template_id "
        "JOIN registry_person p ON p.source_ref = t.code WHERE m.person_id IS NOT NULL"
    )
    return out


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

    statements = [
        insert_dossier,
        "UPDATE bench_clone_map SET new_id = "
        "(SELECT d.id FROM dossier d WHERE d.code = bench_clone_map.code)",
        *clone_children(
            "bench_clone_map",
            history=True,
            token_prefix="b",
            task_search_text="m.search_text",
            person_overrides={
                "personal_id": "m.person_id",
                "full_name": "m.child_name",
                "source_ref": "m.code",
            },
        ),
    ]

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


# -- set-based generation (bench/growth.py): the clone map itself is made in SQL, so 1M dossiers take minutes

GROW_GIVEN = (
    "Hùng", "Dũng", "Nam", "Sơn", "Tuấn", "Quân", "Phúc", "Lộc", "Đạt", "Khoa", "Long", "Trung",
    "Hiếu", "Nghĩa", "Thắng", "Việt", "Hòa", "Bình", "Cường", "Đức",
)  # fmt: skip
GROW_SECOND = (
    "Khải", "Tín", "Vỹ", "Lực", "Kiên", "Toàn", "Thịnh", "Phong", "Hưng", "Duy", "Khôi", "Nhật",
    "Quý", "Tài", "Thuận", "Vinh", "Ước", "Ẩn", "Ấn", "Ổn",
)  # fmt: skip
GROW_SLOTS = 200  # n % 200 picks the template: commune n % 2, open when n % 100 < open %, stage (n // 2) % k


def grown_names(n: int) -> tuple[str, str]:
    """The child and requester names generate() gives clone n (the SQL below computes the same)."""
    f = FAMILY[n % 13]
    child = f"{f} {MIDDLE[(n // 13) % 8]} {GROW_GIVEN[(n // 104) % 20]} {GROW_SECOND[(n // 2080) % 20]}"
    requester = f"{f} {MIDDLE[(n // 7) % 8]} {GIVEN[(n // 11) % 14]}"
    return child, requester


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def generate(
    app: Any,
    templates: list[Template],
    target: int,
    open_fraction: float,
    open_stages: tuple[str, ...],
    chunk: int = 100_000,
    events: bool = True,
    stub_state: bool = False,
) -> dict[str, Any]:
    """Grow the database to `target` dossiers with set-based SQL (generate_series on PostgreSQL, a recursive
    CTE on SQLite): per chunk, the clone map is one INSERT … SELECT, then the same copies as populate().

    Clone n gets code `<commune>-<yymmdd>-G<n>`, four-word child names (41,600 combinations, so a full
    name is selective and a family name broad), the matching search text, a subject key of its own, an
    open task (`open_fraction` of them) or a register entry and registry person. `events=False` skips
    the copies of the audit events, jobs and documents (volume on disk only; nothing measured reads a
    clone's history). `stub_state=True` stores '{}' instead of the template's 25 kB engine state (SQLite
    does not compress it: 1M full clones would be 26 GB).
    """
    from app.extensions import db
    from app.services.commands import search_text

    t0 = time.perf_counter()
    with app.app_context():
        engine = db.engine
        db.session.remove()
    pg = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        existing = conn.execute(sa.text("SELECT COUNT(*) FROM dossier")).scalar_one()
        first = 1 + (conn.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM dossier")).scalar_one() or 0)
    count = max(0, target - existing)
    if count == 0:
        return {"cloned": 0, "seconds": 0.0, "dossiers": existing}
    by_stage = {(t.stage, t.commune): t for t in templates}
    communes = list(COMMUNES)
    pct = round(open_fraction * 100)
    slots = []
    for s in range(GROW_SLOTS):
        is_open = (s % 100) < pct
        stage = open_stages[(s // 2) % len(open_stages)] if is_open else "completed"
        tpl = by_stage[(stage, communes[s % 2])]
        slots.append({"slot": s, "template_id": tpl.dossier_id, "is_open": int(is_open)})
    # the search text of a template with placeholders for the code and the two generated names
    tpl0 = by_stage[("completed", communes[0])]
    marked = search_text(
        "@@code@@",
        {
            **tpl0.data,
            "child": {**(tpl0.data.get("child") or {}), "full_name": "@@child@@"},
            "requester": {**(tpl0.data.get("requester") or {}), "full_name": "@@requester@@"},
        },
    )
    pieces = {
        "@@code@@": "lower(m.code)",
        "@@child@@": "m.child_folded",
        "@@requester@@": "m.requester_folded",
    }
    parts = []
    rest = marked
    while rest:
        at = min((rest.find(p), p) for p in pieces if p in rest) if any(p in rest for p in pieces) else None
        if at is None:
            parts.append(_sql_literal(rest))
            break
        i, p = at
        if i:
            parts.append(_sql_literal(rest[:i]))
        parts.append(pieces[p])
        rest = rest[i + len(p) :]
    search_sql = " || ".join(parts)
    names: list[tuple[str, tuple[str, ...]]] = [
        ("bench_family", FAMILY),
        ("bench_middle", MIDDLE),
        ("bench_given", GROW_GIVEN),
        ("bench_second", GROW_SECOND),
        ("bench_rgiven", GIVEN),
    ]
    from app.domain.text import fold

    if pg:
        series = "SELECT n FROM generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) AS g(n)"
        pad = "lpad(s.n::text, 7, '0')"
        minus_minutes = "t.received_at - (s.n % 20000) * interval '1 minute'"
        minus_days = "t.received_at - (1 + s.n % 700) * interval '1 day' - (s.n % 1440) * interval '1 minute'"
        plus_3_days = "interval '3 days'"
        data_expr = (
            "jsonb_set(jsonb_set(t.data, '{child,full_name}', to_jsonb(m.child_name)), "
            "'{requester,full_name}', to_jsonb(m.requester_name))"
        )
    else:
        series = (
            "SELECT n FROM (WITH RECURSIVE r(n) AS (SELECT :lo UNION ALL SELECT n + 1 FROM r WHERE n < :hi) "
            "SELECT n FROM r)"
        )
        pad = "printf('%07d', s.n)"
        minus_minutes = (
            "strftime('%Y-%m-%d %H:%M:%S', t.received_at, '-' || (s.n % 20000) || ' minutes') || '.000000'"
        )
        minus_days = (
            "strftime('%Y-%m-%d %H:%M:%S', t.received_at, '-' || (1 + s.n % 700) || ' days', "
            "'-' || (s.n % 1440) || ' minutes') || '.000000'"
        )
        plus_3_days = None
        data_expr = (
            "json_set(t.data, '$.child.full_name', m.child_name, '$.requester.full_name', m.requester_name)"
        )
    received = f"CASE WHEN sl.is_open = 1 THEN {minus_minutes} ELSE {minus_days} END"
    day = "substr(t.code, 7, 6)"
    child = "f.name || ' ' || mi.name || ' ' || gv.name || ' ' || se.name"
    child_f = "f.folded || ' ' || mi.folded || ' ' || gv.folded || ' ' || se.folded"
    req = "f.name || ' ' || rm.name || ' ' || rg.name"
    req_f = "f.folded || ' ' || rm.folded || ' ' || rg.folded"
    fill_map = f"""
        INSERT INTO bench_grow_map (n, template_id, code, received_at, child_name, requester_name,
                                    child_folded, requester_folded, task_id, person_id, reg_number)
        SELECT s.n, t.id, t.commune_code || '-' || {day} || '-G' || {pad}, {received},
               {child}, {req}, {child_f}, {req_f},
               CASE WHEN sl.is_open = 1 THEN 'g-' || s.n ELSE NULL END,
               CASE WHEN sl.is_open = 1 THEN NULL ELSE '0019' || {pad.replace("7", "8")} END,
               CASE WHEN sl.is_open = 1 THEN NULL ELSE 1000000000 + s.n END
        FROM ({series}) s
        JOIN bench_slot sl ON sl.slot = s.n % {GROW_SLOTS}
        JOIN dossier t ON t.id = sl.template_id
        JOIN bench_family f ON f.i = s.n % 13
        JOIN bench_middle mi ON mi.i = (s.n / 13) % 8
        JOIN bench_given gv ON gv.i = (s.n / 104) % 20
        JOIN bench_second se ON se.i = (s.n / 2080) % 20
        JOIN bench_middle rm ON rm.i = (s.n / 7) % 8
        JOIN bench_rgiven rg ON rg.i = (s.n / 11) % 14
    """
    completed = (
        f"m.received_at + {plus_3_days}"
        if pg
        else "strftime('%Y-%m-%d %H:%M:%S', m.received_at, '+3 days') || '.000000'"
    )
    overrides = {
        "code": "m.code",
        "data": data_expr,
        "received_at": "m.received_at",
        "completed_at": f"CASE WHEN t.completed_at IS NULL THEN NULL ELSE {completed} END",
        "search_text": search_sql,
        "subject_key": "'bench|' || m.code",
        "idempotency_key": "NULL",
    }
    if stub_state:
        overrides["state"] = "'{}'"
    from app.models import Dossier

    dossier_cols = [c.name for c in Dossier.__table__.columns if c.name != "id"]
    select_cols = ", ".join(overrides.get(c, f"t.{_q(c)}") for c in dossier_cols)
    # ids in n order: the map's n and the dossier id advance together (first id = first n's)
    statements = [
        f"INSERT INTO dossier ({', '.join(_q(c) for c in dossier_cols)}) SELECT {select_cols} "
        "FROM bench_grow_map m JOIN dossier t ON t.id = m.template_id ORDER BY m.n",
        "UPDATE bench_grow_map SET new_id = (SELECT d.id FROM dossier d WHERE d.code = bench_grow_map.code)",
    ]

    # parents of their own (ids of no stored person): a family lookup of the demo parents, as the officer's
    # examination makes, must find their few children, not every generated child
    statements += clone_children(
        "bench_grow_map",
        history=events,
        token_prefix="g",
        task_search_text="(SELECT d.search_text FROM dossier d WHERE d.id = m.new_id)",
        person_overrides={
            "personal_id": "m.person_id",
            "full_name": "m.child_name",
            "source_ref": "m.code",
            "mother_personal_id": "'0017' || substr(m.person_id, 5)",
            "father_personal_id": "'0016' || substr(m.person_id, 5)",
        },
    )
    temp = "TEMPORARY "
    with engine.begin() as conn:
        for table, values in names:
            conn.exec_driver_sql(
                f"CREATE {temp}TABLE {table} (i INTEGER PRIMARY KEY, name TEXT, folded TEXT)"
            )
            conn.execute(
                sa.text(f"INSERT INTO {table} VALUES (:i, :name, :folded)"),
                [{"i": i, "name": v, "folded": fold(v)} for i, v in enumerate(values)],
            )
        conn.exec_driver_sql(
            f"CREATE {temp}TABLE bench_slot (slot INTEGER PRIMARY KEY, template_id INTEGER, is_open INTEGER)"
        )
        conn.execute(sa.text("INSERT INTO bench_slot VALUES (:slot, :template_id, :is_open)"), slots)
        conn.exec_driver_sql(
            f"CREATE {temp}TABLE bench_grow_map (n INTEGER PRIMARY KEY, template_id INTEGER, "
            "code VARCHAR(40), new_id INTEGER, received_at TIMESTAMP WITH TIME ZONE, child_name TEXT, "
            "requester_name TEXT, "
            "child_folded TEXT, requester_folded TEXT, task_id VARCHAR(36), person_id VARCHAR(12), "
            "reg_number INTEGER)"
            if pg
            else f"CREATE {temp}TABLE bench_grow_map (n INTEGER PRIMARY KEY, template_id INTEGER, code TEXT, "
            "new_id INTEGER, received_at TEXT, child_name TEXT, requester_name TEXT, child_folded TEXT, "
            "requester_folded TEXT, task_id TEXT, person_id TEXT, reg_number INTEGER)"
        )
        if pg:
            conn.exec_driver_sql("CREATE INDEX ON bench_grow_map (code)")
        else:
            conn.exec_driver_sql("CREATE INDEX bench_grow_map_code ON bench_grow_map (code)")
        done = 0
        while done < count:
            lo = first + done
            hi = lo + min(chunk, count - done) - 1
            conn.exec_driver_sql("DELETE FROM bench_grow_map")
            conn.execute(sa.text(fill_map), {"lo": lo, "hi": hi})
            for stmt in statements:
                conn.execute(sa.text(stmt))
            done += hi - lo + 1
            print(f"  … {existing + done:,} dossiers ({time.perf_counter() - t0:.0f} s)", flush=True)
        for table, _values in names:
            conn.exec_driver_sql(f"DROP TABLE {table}")
        conn.exec_driver_sql("DROP TABLE bench_slot")
        conn.exec_driver_sql("DROP TABLE bench_grow_map")
    if pg:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"cloned": count, "seconds": time.perf_counter() - t0, "dossiers": existing + count}
