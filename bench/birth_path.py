"""Birth dossiers through the whole path over the JSON API, at two database sizes; prints figures.

    .venv/bin/python bench/birth_path.py [--n 200] [--stored 1000,50000] [--gunicorn] [--postgres [URL]]
                                         [--verbose] [--keep]

Per dossier: submit (reception, counter channel) → registry lookup job → reception_check accept →
officer_examine approve → registry job (personal id) → register_sign → chairman_sign sign → return_result.
Each task is found first with GET /api/v1/tasks?dossier=<code>, as a client would. Jobs run in this process
(claim_jobs + run_job, what `flask run-jobs` does) against the same database, so their cost is measured,
not a polling delay.
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# bench/__init__ sets HOTICH_FAST_HASH and HOTICH_JOB_RUNNER=off before app is imported
from bench import ROOT, drivers  # noqa: E402
from bench.database import PG_ADMIN_DEFAULT, BenchDatabase, make_app  # noqa: E402
from bench.drivers import COMMUNES, PATH, BenchFailure, Driver, Recorder, birth_payload  # noqa: E402
from bench.population import make_templates, populate, table_counts  # noqa: E402
from bench.probe import Probe  # noqa: E402
from bench.sql import SqlCounter, SqlSample  # noqa: E402
from bench.stats import machine_info, median, p95, table  # noqa: E402
from bench.transports import FlaskTransport, Gunicorn, HttpTransport  # noqa: E402

PEER_MEDIAN = (128.4, 151.7)  # SpiffArena, create + run + find + two completions, REST, SQLite (notes §3)
# the steps that make up the peer's measured shape: create + run + find + two completions
PEER_SHAPE = (
    "submit",
    "job lookup_parties: claim",
    "job lookup_parties: call + feed-back",
    "find reception_check (GET /tasks?dossier=)",
    "complete reception_check",
    "find officer_examine (GET /tasks?dossier=)",
    "complete officer_examine",
)
PEER_SQL_PER_LIFE = 237
TARGET_COMPLETE_MS = 4.0  # issue 11 §5
TARGET_SQL_PER_COMPLETION = 6  # issue 11 §5 (excluding BEGIN)
GROWTH_TOLERANCE = 1.25  # 50k median / 1k median above this (and > +0.5 ms) counts as growth

COMMAND_STEPS = [
    "submit",
    "job lookup_parties: feed-back command",
    "complete reception_check",
    "complete officer_examine",
    "job register_birth: feed-back command",
    "complete register_sign",
    "complete chairman_sign",
    "complete return_result",
]
COMPLETIONS = [s for s in COMMAND_STEPS if s.startswith("complete ")]


def step_order(rec: Recorder) -> list[str]:
    order = []
    for step, kind, _role, key, _form in PATH:
        if kind == "task":
            order.append(f"find {key} (GET /tasks?dossier=)")
            order.append(step)
        elif kind == "job":
            order += [f"{step}: claim", f"{step}: call + feed-back", f"{step}: feed-back command"]
        else:
            order.append(step)
    return [s for s in order if s in rec.ms] + ["whole path (per dossier)"]


def sql_median(samples: list[SqlSample], attr: str) -> float | int | None:
    if not samples:
        return None
    values = sorted(getattr(s, attr) for s in samples)
    m = median([float(v) for v in values])
    return int(m) if m == int(m) else m


def run_size(
    app: Any, transports: list[Any], counter: SqlCounter, n: int, warmup: int, index: Any
) -> dict[str, tuple[Recorder, float]]:
    out = {}
    communes = list(COMMUNES)
    for transport in transports:
        rec = Recorder()
        driver = Driver(app, transport, counter, rec)
        for w in range(warmup):
            driver.path(communes[w % 2], next(index), record=False)
        t_all = time.perf_counter()
        for j in range(n):
            t0 = time.perf_counter()
            driver.path(communes[j % 2], next(index))
            rec.add("whole path (per dossier)", (time.perf_counter() - t0) * 1000, None)
        out[transport.name] = (rec, time.perf_counter() - t_all)
    return out


def print_run(title: str, rec: Recorder, wall: float, n: int) -> None:
    rows = []
    for step in step_order(rec):
        samples = rec.sql.get(step, [])
        rows.append(
            [
                step,
                median(rec.ms[step]),
                p95(rec.ms[step]),
                sql_median(samples, "raw"),
                sql_median(samples, "work"),
                sql_median(samples, "commits"),
            ]
        )
    print()
    print(table(["step", "median ms", "p95 ms", "SQL raw", "SQL excl. BEGIN", "commits"], rows, title))
    print(
        f"  throughput: {n / wall:.1f} dossiers/s over the whole path ({n} dossiers in {wall:.1f} s, "
        "one sequential client, jobs included)"
    )


def life_sql(rec: Recorder, attr: str) -> float | None:
    """SQL statements of one dossier's life: every request and job round of the path (medians summed)."""
    total = 0.0
    for step in rec.sql:
        if step.endswith("feed-back command"):
            continue  # already inside "call + feed-back"
        value = sql_median(rec.sql[step], attr)
        if value is None:
            return None
        total += value
    return total


def print_breakdown(app: Any, transport: Any, engine: Any, n: int, index: Any, size: int) -> None:
    """A separate pass with a Probe installed: where the time of each command goes (means, so they add up)."""
    probe = Probe()
    probe.install(engine)
    rec = Recorder()
    driver = Driver(app, transport, None, rec)
    driver.probe = probe
    communes = list(COMMUNES)
    try:
        for j in range(n):
            driver.path(communes[j % 2], next(index))
    finally:
        probe.uninstall()
        driver.probe = None
    rows = []
    for step in step_order(rec):
        parts = rec.parts.get(step)
        if not parts:
            continue
        mean = {k: sum(p[k] for p in parts) / len(parts) for k in parts[0]}
        total = sum(rec.ms[step]) / len(rec.ms[step])
        rows.append(
            [step, total, mean["engine"], mean["service ops"], mean["mail"], mean["SQL driver"], mean["rest"]]
        )
    print()
    print(
        table(
            ["step", "total", "engine", "service ops", "mail", "SQL driver", "rest"],
            rows,
            f"-- where the time goes (mean ms, in-process, {size:,}+ stored, n={n}, probe installed): "
            "rest = SQLAlchemy ORM + Flask + JSON + forms + services",
        )
    )


# -- engine only -------------------------------------------------------------------------------------------
def engine_only(n: int, serialize: bool) -> tuple[dict[str, list[float]], int]:
    """The same path on app.engine alone: no database, no HTTP, a dispatcher with canned results."""
    from app.engine.clock import FixedClock
    from app.engine.definition import load_definition
    from app.engine.instance import Instance
    from app.engine.scripting import DEFERRED, ServiceDispatcher
    from app.services.operations import EXTERNAL_OPERATIONS

    xml = (ROOT / "processes" / "birth_registration" / "birth_registration.bpmn").read_bytes()
    definition = load_definition(xml, "birth_registration")
    now = datetime.now(UTC)
    person = {
        "personal_id": "001196023456",
        "full_name": "Trần Thị Bích Ngọc",
        "residence_commune_code": "00070",
    }
    canned: dict[str, Any] = {
        "rules/evaluate": {"findings": []},
        "dossier/accept": {
            "due_at": (now + timedelta(days=7)).isoformat(),
            "apology_at": (now + timedelta(days=6)).isoformat(),
            "late": False,
            "fee": {"amount": 0, "exempt_reason": None, "lines": []},
            "documents": ["phieu_hen"],
        },
        "documents/issue": {"documents": ["giay_khai_sinh", "giay_khai_sinh_ban_sao_1"]},
        "register/sign": {"mode": "in_person", "signed_at": now.isoformat()},
        "documents/sign": {"documents": ["giay_khai_sinh"], "signed_at": now.isoformat()},
        "register/enter": {
            "book": "01/2026",
            "number": 1,
            "registered_on": now.date().isoformat(),
            "classification": "dung_han",
        },
    }

    class Canned(ServiceDispatcher):  # type: ignore[misc]
        def dispatch(self, task: Any, operation: str, params: dict[str, Any]) -> Any:
            return DEFERRED if operation in EXTERNAL_OPERATIONS else canned[operation]

    clock, dispatcher = FixedClock(now), Canned()
    times: dict[str, list[float]] = {}
    phases: dict[str, float] = {}
    state_size = 0

    def user(key: str, form: dict[str, Any]) -> Any:
        def act(inst: Instance) -> None:
            ready = inst.find_ready(key=key)
            assert ready is not None, key
            actors = dict(ready.data.get("actors") or {})
            actors[key] = {"username": "bench", "full_name": "Bench"}
            inst.complete_user_task(ready, definition.user_tasks[key].role, form, extra={"actors": actors})

        return act

    lookups = {"mother": person, "father": {**person, "personal_id": "001095012345"}, "requester": person}
    steps: list[tuple[str, Any]] = [
        ("feed lookup_parties", lambda inst: inst.complete_call("lookup_parties", lookups)),
        ("complete reception_check", user("reception_check", {"decision": "accept"})),
        ("complete officer_examine", user("officer_examine", {"decision": "approve"})),
        (
            "feed registry_birth",
            lambda inst: inst.complete_call("registry_birth", {"personal_id": "001326000001"}),
        ),
        ("complete register_sign", user("register_sign", {"mode": "in_person", "officer_signed": True})),
        ("complete chairman_sign", user("chairman_sign", {"decision": "sign", "signer_title": "chu_tich"})),
        ("complete return_result", user("return_result", {"delivered_via": "counter"})),
    ]

    def persist_like(inst: Instance) -> str:
        # what services.commands.persist derives from the instance after every command
        t0 = time.perf_counter()
        state = inst.dump()
        t1 = time.perf_counter()
        inst.fingerprint()
        t2 = time.perf_counter()
        inst.data()
        inst.status("submitted")
        inst.ready_tasks()
        inst.pending_calls()
        inst.next_timer_at()
        t3 = time.perf_counter()
        for phase, ms in (("dump", t1 - t0), ("fingerprint", t2 - t1), ("derived reads", t3 - t2)):
            phases[phase] = phases.get(phase, 0.0) + ms * 1000
        return state

    for i in range(n):
        payload = birth_payload("00070", i)
        data = {
            "dossier": payload["data"],
            "meta": {
                "procedure": "birth",
                "channel": "counter",
                "commune_code": "00070",
                "code": f"E-{i}",
                "received_at": now.isoformat(),
            },
        }
        t_path = time.perf_counter()
        t0 = time.perf_counter()
        inst = Instance.start(definition, data, clock, dispatcher)
        state = persist_like(inst) if serialize else ""
        times.setdefault("start", []).append((time.perf_counter() - t0) * 1000)
        for name, action in steps:
            t0 = time.perf_counter()
            if serialize:
                inst = Instance.load(definition, state, clock, dispatcher)
                phases["load"] = phases.get("load", 0.0) + (time.perf_counter() - t0) * 1000
            t1 = time.perf_counter()
            action(inst)
            phases["run"] = phases.get("run", 0.0) + (time.perf_counter() - t1) * 1000
            if serialize:
                state = persist_like(inst)
            times.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
        times.setdefault("whole path", []).append((time.perf_counter() - t_path) * 1000)
        if not inst.workflow.is_completed():
            raise BenchFailure("engine-only path did not complete")
        state_size = len(inst.dump())
    for phase, total in phases.items():
        times[f"  per path: {phase} (mean)"] = [total / n]
    return times, state_size


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=200, help="dossiers measured per size and transport")
    parser.add_argument("--stored", default="1000,50000", help="database sizes (dossiers already stored)")
    parser.add_argument("--gunicorn", action="store_true", help="also measure a real gunicorn -w 2 over HTTP")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=PG_ADMIN_DEFAULT,
        default=None,
        help=f"PostgreSQL server URL instead of SQLite (default {PG_ADMIN_DEFAULT})",
    )
    parser.add_argument("--warmup", type=int, default=6, help="unrecorded dossiers before each run")
    parser.add_argument("--open-fraction", type=float, default=0.2, help="stored dossiers left open")
    parser.add_argument("--verbose", action="store_true", help="list the SQL statements of one dossier")
    parser.add_argument(
        "--no-email", action="store_true", help="requesters without e-mail: no status mails are composed/sent"
    )
    parser.add_argument("--no-breakdown", action="store_true", help="skip the time-by-category pass")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.stored.split(",") if s.strip())
    drivers.REQUESTER_EMAIL = not args.no_email

    db = BenchDatabase(args.postgres, keep=args.keep)
    gunicorn: Gunicorn | None = None
    try:
        print("hộ tịch BPMN — birth path benchmark")
        print(machine_info())
        print(
            f"database: {db.kind} ({'WAL, file in a temp dir' if db.kind == 'sqlite' else db.url}); "
            f"N = {args.n} dossiers per size and transport; sizes {sizes}; real SystemClock; "
            "HOTICH_FAST_HASH=1; requester e-mail "
            + ("off" if args.no_email else "on (status mails to a file outbox)")
        )
        app = make_app(db)
        from app.extensions import db as sqla

        with app.app_context():
            engine = sqla.engine
        counter = SqlCounter(engine)
        index = itertools.count()
        flask_t = FlaskTransport(app)
        templates = make_templates(
            app, Driver(app, flask_t, None), ("reception_check", "completed"), first_index=next(index)
        )
        for _ in range(len(templates) - 1):
            next(index)
        transports: list[Any] = [flask_t]
        if args.gunicorn:
            gunicorn = Gunicorn(db)
            transports.append(HttpTransport(gunicorn.base, "gunicorn -w 2, HTTP keep-alive (requests)"))
        results: dict[int, dict[str, tuple[Recorder, float]]] = {}
        for size in sizes:
            pop = populate(app, templates, size, args.open_fraction, ("reception_check",))
            counts = table_counts(app)
            print(
                f"\n== {counts['dossier']:,} dossiers stored "
                f"(cloned {pop['cloned']:,} in {pop['seconds']:.1f} s; "
                f"open tasks {counts['open_task']:,}, audit events {counts['audit_event']:,}, "
                f"jobs {counts['job']:,}, documents {counts['document']:,}; "
                f"database {db.size_bytes() / 1e6:,.0f} MB)"
            )
            results[size] = run_size(app, transports, counter, args.n, args.warmup, index)
            for name, (rec, wall) in results[size].items():
                print_run(f"-- {name}, {counts['dossier']:,} dossiers stored", rec, wall, args.n)

        if args.verbose:
            rec, _ = results[sizes[0]][flask_t.name]
            print(f"\n== SQL statements of one dossier (the last measured, in-process, {sizes[0]:,} stored)")
            for step in step_order(rec):
                if not rec.sql.get(step):
                    continue
                sample = rec.sql[step][-1]
                print(
                    f"-- {step}: {sample.raw} statements ({sample.work} excl. BEGIN), "
                    f"{sample.commits} commits"
                )
                for k, stmt in enumerate(sample.statements, 1):
                    print(f"   {k:2d}. {stmt[:200]}")

        # growth: per-command medians at the smallest vs the largest size
        if len(sizes) > 1:
            lo, hi = sizes[0], sizes[-1]
            for name in results[lo]:
                r_lo, r_hi = results[lo][name][0], results[hi][name][0]
                rows = []
                for step in step_order(r_lo):
                    m_lo, m_hi = median(r_lo.ms[step]), median(r_hi.ms[step])
                    rows.append(
                        [
                            step,
                            m_lo,
                            m_hi,
                            m_hi / m_lo if m_lo else None,
                            sql_median(r_lo.sql.get(step, []), "raw"),
                            sql_median(r_hi.sql.get(step, []), "raw"),
                        ]
                    )
                print()
                print(
                    table(
                        [
                            "step",
                            f"med ms @{lo:,}",
                            f"med ms @{hi:,}",
                            "ratio",
                            f"SQL @{lo:,}",
                            f"SQL @{hi:,}",
                        ],
                        rows,
                        f"-- growth {lo:,} → {hi:,} stored, {name}",
                    )
                )

        if not args.no_breakdown:
            print_breakdown(app, flask_t, engine, args.n, index, sizes[-1])

        # engine only
        print()
        engine_rows = []
        e_mem, _ = engine_only(args.n, serialize=False)
        e_ser, state_size = engine_only(args.n, serialize=True)
        for step in e_ser:
            mem = e_mem.get(step, [])
            engine_rows.append(
                [
                    step,
                    median(mem),
                    p95(mem) if len(mem) > 1 else None,
                    median(e_ser[step]),
                    p95(e_ser[step]) if len(e_ser[step]) > 1 else None,
                ]
            )
        print(
            table(
                ["engine step", "in memory med", "p95", "+ dump/load med", "p95"],
                engine_rows,
                f"-- engine only (app.engine, canned dispatcher, no database), ms, n={args.n}; "
                f"final state {state_size / 1024:.1f} KB",
            )
        )

        # summary against the peer and the targets
        lo, hi = sizes[0], sizes[-1]
        rec_lo = results[lo][flask_t.name][0]
        rec_hi = results[hi][flask_t.name][0]
        comparable = sum(median(rec_hi.ms[s]) for s in PEER_SHAPE)
        worst_complete = max(median(rec_hi.ms[s]) for s in COMPLETIONS)
        worst_sql = max(sql_median(rec_hi.sql[s], "work") or 0 for s in COMPLETIONS)
        worst_raw = max(sql_median(rec_hi.sql[s], "raw") or 0 for s in COMPLETIONS)
        growth = []
        for s in COMMAND_STEPS + [
            f"find {k} (GET /tasks?dossier=)"
            for k in ("reception_check", "officer_examine", "register_sign", "chairman_sign", "return_result")
        ]:
            a, b = median(rec_lo.ms[s]), median(rec_hi.ms[s])
            if b > a * GROWTH_TOLERANCE and b - a > 0.5:
                growth.append(f"{s} {a:.2f}→{b:.2f} ms")
        print(f"\n== summary (in-process transport, {db.kind}; the targets are for SQLite)")
        print(
            f"  whole path: {median(rec_hi.ms['whole path (per dossier)']):.1f} ms median per dossier "
            f"({args.n / results[hi][flask_t.name][1]:.1f} dossiers/s), engine alone "
            f"{median(e_mem['whole path']):.1f} ms in memory / {median(e_ser['whole path']):.1f} ms "
            "with dump+load per step"
        )
        print(
            "  peer SpiffArena: create + run + find + two completions = "
            f"{PEER_MEDIAN[0]:.0f}–{PEER_MEDIAN[1]:.0f} "
            f"ms median (REST, SQLite); here the same shape (submit + lookup job + 2×(find + complete)) = "
            f"{comparable:.1f} ms at {hi:,} stored, i.e. {PEER_MEDIAN[0] / comparable:.1f}× less time"
        )
        for name, (rec, wall) in results[hi].items():
            if name == flask_t.name:
                continue
            over_http = sum(median(rec.ms[s]) for s in PEER_SHAPE)
            print(
                f"  over HTTP ({name}): the same shape = {over_http:.1f} ms; whole path "
                f"{median(rec.ms['whole path (per dossier)']):.1f} ms median "
                f"({args.n / wall:.1f} dossiers/s)"
            )
        print(
            f"  peer SQL per instance life: {PEER_SQL_PER_LIFE}; "
            "here per dossier life (7 commands, 4 lookups, "
            f"2 job rounds): {life_sql(rec_hi, 'raw'):.0f} raw / {life_sql(rec_hi, 'work'):.0f} excl. BEGIN"
        )
        print(
            f"  SQL per submission: {sql_median(rec_hi.sql['submit'], 'raw')} raw / "
            f"{sql_median(rec_hi.sql['submit'], 'work')} excl. BEGIN"
        )
        verdict = "PASS" if worst_complete <= TARGET_COMPLETE_MS else "FAIL"
        print(
            f"  target task completion ≤ {TARGET_COMPLETE_MS:.0f} ms median: {verdict} "
            f"(slowest completion median {worst_complete:.2f} ms)"
        )
        verdict = "PASS" if worst_sql <= TARGET_SQL_PER_COMPLETION else "FAIL"
        print(
            f"  target ≤ {TARGET_SQL_PER_COMPLETION} SQL per completion: {verdict} "
            f"(most: {worst_sql} excl. BEGIN, {worst_raw} raw)"
        )
        if len(sizes) > 1:
            verdict = "PASS" if not growth else "FAIL"
            print(
                f"  target no growth {lo:,} → {hi:,} stored (median ratio ≤ {GROWTH_TOLERANCE}): {verdict}"
                + (f" — grew: {'; '.join(growth)}" if growth else "")
            )
    finally:
        if gunicorn is not None:
            gunicorn.stop()
        db.close()


if __name__ == "__main__":
    main()
