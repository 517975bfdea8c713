"""The officials' inbox with many dossiers stored; prints server times and query plans.

    .venv/bin/python bench/inbox.py [--stored 100000] [--requests 50] [--postgres [URL]] [--keep]

Stores real dossiers (one per commune and stage, through the API) and bulk-clones them to --stored dossiers,
~20% with an open task spread over both demo communes and the reception/officer/chairman tasks. Then measures,
in-process (Flask test client, so the figure is the server's time): GET /api/v1/tasks per role, with
?dossier=<code> and ?mine=1, the /inbox page with a logged-in session (and ?q= when the page supports it), and
the diacritics-insensitive search service inbox_query(actor, q="nguyen van an"); and prints the query plan
of every SELECT those run (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# bench/__init__ sets HOTICH_FAST_HASH and HOTICH_JOB_RUNNER=off before app is imported
from bench.database import PASSWORD, PG_ADMIN_DEFAULT, BenchDatabase, make_app  # noqa: E402
from bench.drivers import STAGES, BenchFailure, Driver  # noqa: E402
from bench.population import make_templates, populate, table_counts  # noqa: E402
from bench.sql import SqlCounter, SqlSample  # noqa: E402
from bench.stats import machine_info, median, p95, table  # noqa: E402
from bench.transports import FlaskTransport  # noqa: E402

OPEN_STAGES = ("reception_check", "officer_examine", "chairman_sign", "return_result")
QUERY = "nguyen van an"


class Capture:
    """Statements and parameters sent during a block, to EXPLAIN them afterwards."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.active = False
        self.items: list[tuple[str, Any]] = []
        event.listen(engine, "before_cursor_execute", self._on)

    def _on(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if self.active:
            self.items.append((statement, params))

    def run(self, fn: Any) -> list[tuple[str, Any]]:
        self.items, self.active = [], True
        try:
            fn()
        finally:
            self.active = False
        return [(s, p) for s, p in self.items if s.lstrip().upper().startswith("SELECT")]


def explain(engine: Any, statement: str, params: Any) -> list[str]:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            cur.execute("EXPLAIN QUERY PLAN " + statement, params)
            rows = cur.fetchall()
            depth: dict[int, int] = {0: 0}
            out = []
            for node, parent, _unused, detail in rows:
                depth[node] = depth.get(parent, 0) + 1
                out.append("  " * depth[node] + detail)
            return out
        cur.execute("EXPLAIN " + statement, params)
        return [r[0] for r in cur.fetchall()]
    finally:
        raw.close()


def short(statement: str) -> str:
    s = " ".join(statement.split())
    s = re.sub(r"SELECT .*? FROM", "SELECT … FROM", s, count=1)
    return s[:260]


def measure(fn: Any, n: int, counter: SqlCounter, warmup: int = 5) -> tuple[list[float], SqlSample]:
    for _ in range(warmup):
        fn()
    times = []
    sample = SqlSample()
    for i in range(n):
        if i == 0:
            with counter.window() as sample:
                t0 = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t0) * 1000)
        else:
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
    return times, sample


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stored", type=int, default=100_000, help="dossiers stored")
    parser.add_argument("--requests", type=int, default=50, help="requests per measurement")
    parser.add_argument("--open-fraction", type=float, default=0.2)
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_DEFAULT, default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    db = BenchDatabase(args.postgres, keep=args.keep)
    try:
        print("hộ tịch BPMN — inbox benchmark")
        print(machine_info())
        app = make_app(db)
        from sqlalchemy import func, select

        from app.extensions import db as sqla
        from app.models import OpenTask, User
        from app.services import tasks as task_svc

        with app.app_context():
            engine = sqla.engine
        counter = SqlCounter(engine)
        capture = Capture(engine)
        transport = FlaskTransport(app)
        driver = Driver(app, transport, None)
        templates = make_templates(app, driver, STAGES, first_index=0)
        pop = populate(app, templates, args.stored, args.open_fraction, OPEN_STAGES)
        counts = table_counts(app)
        print(
            f"database: {db.kind}; {counts['dossier']:,} dossiers stored (cloned {pop['cloned']:,} in "
            f"{pop['seconds']:.1f} s), {counts['open_task']:,} open tasks, {db.size_bytes() / 1e6:,.0f} MB; "
            f"{args.requests} requests per row (after 5 warm-up), in-process Flask test client"
        )
        with app.app_context():
            dist = sqla.session.execute(
                select(OpenTask.commune_code, OpenTask.role, func.count())
                .group_by(OpenTask.commune_code, OpenTask.role)
                .order_by(OpenTask.commune_code, OpenTask.role)
            ).all()
            codes = list(
                sqla.session.scalars(
                    select(OpenTask.dossier_code)
                    .where(OpenTask.commune_code == "00070", OpenTask.role == "reception")
                    .order_by(OpenTask.created_at)
                    .limit(args.requests)
                )
            )
            sqla.session.remove()
        print()
        print(table(["commune", "role", "open tasks"], [[c, r, n] for c, r, n in dist], "-- open tasks"))

        rows: list[list[Any]] = []
        plans: dict[str, list[tuple[str, Any]]] = {}

        def api(user: str, path: str) -> Any:
            token = driver.token(user)

            def call() -> None:
                status, body = transport.call("GET", path, token)
                if status != 200:
                    raise BenchFailure(f"GET {path}: {status} {body}")

            return call

        cases: list[tuple[str, Any]] = [
            ("GET /api/v1/tasks  reception.hoankiem", api("reception.hoankiem", "/api/v1/tasks")),
            ("GET /api/v1/tasks  officer.hoankiem", api("officer.hoankiem", "/api/v1/tasks")),
            ("GET /api/v1/tasks  chairman.hoankiem", api("chairman.hoankiem", "/api/v1/tasks")),
            ("GET /api/v1/tasks  reception.badinh", api("reception.badinh", "/api/v1/tasks")),
            (
                "GET /api/v1/tasks?mine=1  reception.hoankiem",
                api("reception.hoankiem", "/api/v1/tasks?mine=1"),
            ),
        ]
        cycle = iter(codes * 10)
        token = driver.token("reception.hoankiem")

        def by_dossier() -> None:
            code = next(cycle)
            status, body = transport.call("GET", f"/api/v1/tasks?dossier={code}", token)
            if status != 200 or not body:
                raise BenchFailure(f"GET /api/v1/tasks?dossier={code}: {status} {body}")

        cases.append(("GET /api/v1/tasks?dossier=<code>  reception", by_dossier))

        # the inbox page, with a logged-in session (CSRF token from the login form)
        page_client = app.test_client()
        login = page_client.get("/login")
        inbox_note = ""
        if login.status_code == 200:
            m = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', login.data)
            form = {"username": "reception.hoankiem", "password": PASSWORD}
            if m:
                form["csrf_token"] = m.group(1).decode()
            page_client.post("/login", data=form)
        probe = page_client.get("/inbox")
        if probe.status_code == 200:

            def page(path: str) -> Any:
                def call() -> None:
                    resp = page_client.get(path)
                    if resp.status_code != 200:
                        raise BenchFailure(f"GET {path}: {resp.status_code}")

                return call

            cases.append(("GET /inbox (page)  reception.hoankiem", page("/inbox")))
            if page_client.get("/inbox?q=" + QUERY.replace(" ", "+")).status_code == 200:
                cases.append((f"GET /inbox?q={QUERY} (page)", page("/inbox?q=" + QUERY.replace(" ", "+"))))
        else:
            inbox_note = f"/inbox answered {probe.status_code} after login: page not measured (API only)"

        for name, fn in cases:
            times, sample = measure(fn, args.requests, counter)
            rows.append([name, median(times), p95(times), sample.raw, sample.work])
            plans[name] = capture.run(fn)

        # the search service, in an app context like a request
        with app.app_context():
            actor = sqla.session.scalars(select(User).where(User.username == "reception.hoankiem")).one()
            matches = sqla.session.scalar(
                select(func.count()).select_from(
                    task_svc.inbox_query(actor, q=QUERY).order_by(None).subquery()
                )
            )

            def search() -> None:
                sqla.session.scalars(task_svc.inbox_query(actor, q=QUERY).limit(task_svc.INBOX_PAGE)).all()

            times, sample = measure(search, args.requests, counter)
            name = f'inbox_query(actor, q="{QUERY}") first page'
            rows.append([name, median(times), p95(times), sample.raw, sample.work])
            plans[name] = capture.run(search)
            sqla.session.remove()

        print()
        print(
            table(
                ["request (server time, in-process)", "median ms", "p95 ms", "SQL raw", "SQL excl. BEGIN"],
                rows,
                f"-- inbox, {counts['dossier']:,} dossiers stored, {counts['open_task']:,} open tasks",
            )
        )
        print(f"  search «{QUERY}» matches {matches:,} open tasks of reception.hoankiem")
        if inbox_note:
            print("  " + inbox_note)

        print(f"\n-- query plans ({'EXPLAIN QUERY PLAN' if db.kind == 'sqlite' else 'EXPLAIN'})")
        seen: set[str] = set()
        for name, statements in plans.items():
            for statement, params in statements:
                if "api_token" in statement or statement in seen:
                    continue
                seen.add(statement)
                print(f"\n[{name}]\n  {short(statement)}")
                for line in explain(engine, statement, params):
                    print("    " + line)
    finally:
        db.close()


if __name__ == "__main__":
    main()
