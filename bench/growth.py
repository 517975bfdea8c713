"""Growth: the officials' requests with 10k, 100k and 1M stored dossiers generated directly in the database.

    .venv/bin/python bench/growth.py [--sizes 10000,100000,1000000] [--sqlite] [--postgres [URL]]
                                     [--requests 30] [--completions 12] [--no-events] [--keep]

One database per backend grows through the sizes (bench/population.generate: set-based INSERT … SELECT from
generate_series / a recursive CTE). At each size, in-process (Flask test client: the server's time), median
and p95 of: GET /api/v1/tasks and the /inbox page (reception.hoankiem), a selective and a broad name search
(the /dossiers search page and /inbox?q=), the dossier page and GET /api/v1/dossiers/<code> of a real
dossier, and a task completion (POST …/complete of reception_check and officer_examine on fresh dossiers).
Then the EXPLAIN plans of the search queries at that size; finally one table over all sizes.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.database import PASSWORD, PG_ADMIN_DEFAULT, BenchDatabase, make_app  # noqa: E402
from bench.drivers import COMMUNES, STAGES, BenchFailure, Driver, Recorder  # noqa: E402
from bench.inbox import Capture, explain, short  # noqa: E402
from bench.population import generate, grown_names, make_templates, table_counts  # noqa: E402
from bench.sql import SqlCounter  # noqa: E402
from bench.stats import machine_info, median, p95, table  # noqa: E402
from bench.transports import FlaskTransport  # noqa: E402

OPEN_STAGES = ("reception_check", "officer_examine", "chairman_sign", "return_result")
BROAD = "nguyen"  # one family name in 13: tens of thousands of dossiers at 1M
STATEMENT_TIMES: Any = None


def login(app: Any, username: str) -> Any:
    client = app.test_client()
    page = client.get("/login")
    m = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page.data)
    form = {"username": username, "password": PASSWORD}
    if m:
        form["csrf_token"] = m.group(1).decode()
    client.post("/login", data=form)
    if client.get("/inbox").status_code != 200:
        raise BenchFailure(f"{username} cannot open /inbox after login")
    return client


class StatementTimes:
    """Wall time of each SQL statement sent during a block (cursor execute to its end), to show which
    statements of a request grow with the database."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.active = False
        self.items: list[tuple[float, str]] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self.active:
            conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        t0 = conn.info.pop("bench_t0", None)
        if self.active and t0 is not None:
            self.items.append(((time.perf_counter() - t0) * 1000, statement))

    def slowest(self, fn: Any, top: int = 3) -> list[tuple[float, str]]:
        self.items, self.active = [], True
        try:
            fn()
        finally:
            self.active = False
        total = sum(ms for ms, _s in self.items)
        return [(total, f"{len(self.items)} statements")] + sorted(self.items, reverse=True)[:top]


def timed(fn: Any, n: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def measure_size(
    app: Any, db: BenchDatabase, driver: Driver, capture: Capture, args: Any, first_index: int, size: int
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    from sqlalchemy import func, select

    from app.extensions import db as sqla
    from app.models import Dossier, User

    transport = driver.t
    page_client = login(app, "reception.hoankiem")
    token = driver.token("reception.hoankiem")
    with app.app_context():
        # a full child name of a generated dossier in 00070 (Hoàn Kiếm): a handful of matches at any size
        n = sqla.session.scalar(select(func.max(Dossier.id)).where(Dossier.commune_code == "00070")) or 0
        selective = grown_names(n)[0]
        real = sqla.session.scalar(
            select(Dossier.code).where(Dossier.commune_code == "00070", ~Dossier.code.contains("-G")).limit(1)
        )
        actor = sqla.session.scalars(select(User).where(User.username == "reception.hoankiem")).one()
        hits = {}
        for q in (selective, BROAD):
            from app.services.text_search import folded_query

            hits[q] = sqla.session.scalar(
                select(func.count()).where(
                    Dossier.commune_code == actor.commune_code,
                    Dossier.search_text.contains(folded_query(q), autoescape=True),
                )
            )
        sqla.session.remove()

    def page(path: str) -> Any:
        def call() -> None:
            resp = page_client.get(path)
            if resp.status_code != 200:
                raise BenchFailure(f"GET {path}: {resp.status_code}")

        return call

    def api(path: str) -> Any:
        def call() -> None:
            status, body = transport.call("GET", path, token)
            if status != 200:
                raise BenchFailure(f"GET {path}: {status} {body}")

        return call

    sel_q = selective.replace(" ", "+")
    cases = {
        "GET /api/v1/tasks": api("/api/v1/tasks"),
        "GET /inbox (page)": page("/inbox"),
        "search selective: GET /dossiers?q= (page)": page(f"/dossiers?q={sel_q}"),
        "search broad: GET /dossiers?q= (page)": page(f"/dossiers?q={BROAD}"),
        "search selective: GET /inbox?q= (page)": page(f"/inbox?q={sel_q}"),
        "search broad: GET /inbox?q= (page)": page(f"/inbox?q={BROAD}"),
        "dossier page: GET /dossiers/<code>": page(f"/dossiers/{real}"),
        "GET /api/v1/dossiers/<code>": api(f"/api/v1/dossiers/{real}"),
    }
    times = {name: timed(fn, args.requests) for name, fn in cases.items()}
    slow = {name: STATEMENT_TIMES.slowest(fn) for name, fn in cases.items()}
    plans = {
        name: capture.run(cases[name])
        for name in cases
        if name.startswith("search") or name.startswith("GET /api/v1/tasks")
    }
    # task completions on fresh real dossiers: reception_check and officer_examine, per commune
    driver.rec = Recorder()
    for i in range(args.completions):
        commune = list(COMMUNES)[i % 2]
        driver.path(commune, first_index + i, upto="register_sign", record=True)
    slow["one fresh dossier: submit, lookup, 2 completions"] = STATEMENT_TIMES.slowest(
        lambda: driver.path("00070", first_index + args.completions, upto="register_sign", record=False)
    )
    times["task completion (reception_check, officer_examine)"] = (
        driver.rec.ms["complete reception_check"] + driver.rec.ms["complete officer_examine"]
    )
    info = {"selective": selective, "hits": hits, "real": real, "plans": plans, "size": size, "slow": slow}
    return times, info


def run_backend(args: Any, postgres: str | None, sizes: list[int]) -> dict[int, dict[str, list[float]]]:
    db = BenchDatabase(postgres, keep=args.keep)
    results: dict[int, dict[str, list[float]]] = {}
    try:
        app = make_app(db)
        from app.extensions import db as sqla

        with app.app_context():
            engine = sqla.engine
        counter = SqlCounter(engine)
        global STATEMENT_TIMES
        STATEMENT_TIMES = StatementTimes(engine)
        capture = Capture(engine)
        driver = Driver(app, FlaskTransport(app), counter)
        templates = make_templates(app, driver, STAGES, first_index=0)
        next_index = 100
        for size in sizes:
            print(f"\n== {db.kind}: growing to {size:,} dossiers", flush=True)
            stub = args.stub_state_from is not None and size >= args.stub_state_from
            grown = generate(
                app,
                templates,
                size,
                args.open_fraction,
                OPEN_STAGES,
                events=not args.no_events,
                stub_state=stub,
            )
            counts = table_counts(app)
            print(
                f"   {counts['dossier']:,} dossiers "
                f"({grown['cloned']:,} generated in {grown['seconds']:.0f} s), "
                f"{counts['open_task']:,} open tasks, {counts['audit_event']:,} events, "
                f"{db.size_bytes() / 1e9:.2f} GB",
                flush=True,
            )
            times, info = measure_size(app, db, driver, capture, args, next_index, size)
            next_index += args.completions + 1
            results[size] = times
            print(
                table(
                    ["request (server time, in-process)", "median ms", "p95 ms", "n"],
                    [[k, median(v), p95(v), len(v)] for k, v in times.items()],
                    f"-- {db.kind}, {counts['dossier']:,} dossiers stored",
                )
            )
            print(
                f"   selective «{info['selective']}»: {info['hits'][info['selective']]:,} dossiers of 00070; "
                f"broad «{BROAD}»: {info['hits'][BROAD]:,}"
            )
            print(f"\n-- SQL time per request at {size:,}: all statements, then the slowest three (ms)")
            for name, items in info["slow"].items():
                print(f"  {name}: " + "; ".join(f"{ms:.1f} {short(st)[:90]}" for ms, st in items))
            print(
                f"\n-- query plans at {size:,} ({'EXPLAIN QUERY PLAN' if db.kind == 'sqlite' else 'EXPLAIN'})"
            )
            seen: set[str] = set()
            for name, statements in info["plans"].items():
                for statement, params in statements:
                    key = f"{name.split(':')[0]} {statement}"  # the broad and selective plans both
                    if "api_token" in statement or "user_session" in statement or key in seen:
                        continue
                    if "search_text" not in statement and "dossier_fts" not in statement:
                        continue
                    seen.add(key)
                    print(f"\n[{name}]\n  {short(statement)}")
                    for line in explain(engine, statement, params):
                        print("    " + line)
            sys.stdout.flush()
    finally:
        db.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000", help="stored dossiers, ascending")
    parser.add_argument("--sqlite", action="store_true", help="run on SQLite (default when no --postgres)")
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_DEFAULT, default=None)
    parser.add_argument("--requests", type=int, default=30, help="requests per measurement (after 3 warm-up)")
    parser.add_argument(
        "--completions", type=int, default=12, help="fresh dossiers per size (2 completions each)"
    )
    parser.add_argument("--open-fraction", type=float, default=0.2)
    parser.add_argument("--no-events", action="store_true", help="generated dossiers get no copied history")
    parser.add_argument(
        "--stub-state-from",
        type=int,
        default=None,
        help="from this size on, generated dossiers store '{}' as engine state (SQLite 1M fits the disk)",
    )
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    print("hộ tịch BPMN — growth benchmark")
    print(machine_info())
    backends: list[tuple[str, str | None]] = []
    if args.sqlite or not args.postgres:
        backends.append(("sqlite", None))
    if args.postgres:
        backends.append(("postgresql", args.postgres))
    summary: dict[str, dict[int, dict[str, list[float]]]] = {}
    for kind, url in backends:
        summary[kind] = run_backend(args, url, sizes)
    print("\n== growth summary: median / p95 ms (server time, in-process)")
    for kind, by_size in summary.items():
        names = list(next(iter(by_size.values())).keys())
        rows = [
            [name] + [f"{median(by_size[s][name]):.1f} / {p95(by_size[s][name]):.1f}" for s in by_size]
            for name in names
        ]
        print(table(["request", *(f"{s:,}" for s in by_size)], rows, f"-- {kind}"))


if __name__ == "__main__":
    main()
