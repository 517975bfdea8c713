"""Load and scale: a mix of birth, marriage and death dossiers driven by N concurrent clients through a real
gunicorn over loopback HTTP, with 1, 2 and 4 app processes and one separate `flask --app app worker`.

    .venv/bin/python bench/load.py [--postgres [URL]] [--sqlite] [--processes 1,2,4] [--clients 8,16]
                                   [--rate 20] [--seconds 20] [--mix 2:1:1] [--quick] [--keep]

Without --postgres or --sqlite both databases are measured (PostgreSQL at the default URL). Each database is
fresh (a new PostgreSQL database, created and dropped; a SQLite file in a temp dir), seeded with the demo
data plus registry persons for the marriages and deaths (one couple per marriage, one deceased per death,
added through the admin API). Every client is a thread with its own keep-alive `requests.Session`; it
submits a dossier (procedure drawn from the mix), then reads the dossier (`GET /dossiers/<code>`) and
completes whichever task is open with the role's official, until the dossier is completed; jobs (registry
calls, status mails) are run by the worker process, so a client waits for them as an official would.
A run lasts `--seconds`; only commands that finished inside the window count.

That is a closed loop (a client waits for each answer, so it measures saturation and the 1 → 2 process
ratio). `--rate R` adds open-loop runs: commands arrive on a fixed schedule of R per second whatever the
server does, and each latency counts from the scheduled arrival, so queueing shows (how the national-peak
target, 20 commands/s with p99 ≤ 100 ms, is stated).

Printed per run: commands/s (submissions and task completions), dossiers completed/s, p50/p95/p99 ms per
command kind; then the SQL statements per command kind, from one dossier of each procedure driven
in-process through the Flask test client (same code, counted with engine events). See bench/README.md.
"""

from __future__ import annotations

import argparse
import itertools
import os
import queue
import random
import subprocess
import sys
import threading
import time
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# bench/__init__ sets HOTICH_FAST_HASH and HOTICH_JOB_RUNNER=off before app is imported
from bench import ROOT  # noqa: E402
from bench.database import PASSWORD, PG_ADMIN_DEFAULT, BenchDatabase, make_app  # noqa: E402
from bench.drivers import LOCAL_TZ, birth_payload, today_local  # noqa: E402
from bench.sql import SqlCounter, SqlSample  # noqa: E402
from bench.stats import machine_info, median, table  # noqa: E402
from bench.transports import FlaskTransport, Gunicorn, HttpTransport  # noqa: E402

COMMUNE = "00070"  # the demo persons added here live in Phường Hoàn Kiếm
USERS = {"reception": "reception.hoankiem", "officer": "officer.hoankiem", "chairman": "chairman.hoankiem"}
ADMIN = "admin"
# the form each task is completed with (the happy path of every shipped procedure)
FORMS: dict[str, dict[str, Any]] = {
    "reception_check": {"decision": "accept"},
    "officer_examine": {"decision": "approve"},
    "register_sign": {"mode": "in_person", "officer_signed": True},
    "chairman_sign": {"decision": "sign", "signer_title": "chu_tich"},
    "marriage_handover": {"bride_present": True, "groom_present": True, "voluntary_confirmed": True},
    "return_result": {"delivered_via": "counter"},
}
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương")
MIDDLE = ("Văn", "Thị", "Minh", "Quang", "Ngọc", "Đức", "Thu", "Hữu", "Thanh", "Gia")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Khánh", "Lan", "Mai", "Nam", "Phúc", "Quân", "Sơn")


class LoadFailure(RuntimeError):
    pass


def person_name(i: int) -> str:
    return (
        f"{SURNAMES[i % len(SURNAMES)]} {MIDDLE[(i // len(SURNAMES)) % len(MIDDLE)]} "
        f"{GIVEN[(i // (len(SURNAMES) * len(MIDDLE))) % len(GIVEN)]}"
    )


class Pool:
    """Registry persons for marriages (couples) and deaths (the deceased), taken once each."""

    def __init__(self) -> None:
        self.couples: list[tuple[tuple[str, str], tuple[str, str]]] = []
        self.deceased: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def take(self, procedure: str) -> Any:
        with self.lock:
            items: list[Any] = self.couples if procedure == "marriage" else self.deceased
            return items.pop() if items else None


def add_persons(t: Any, pool: Pool, couples: int, deceased: int, start: int) -> int:
    """Registry persons through the admin API (POST /registry/persons); returns the next name index."""
    token = login(t, ADMIN)
    i = start
    for kind, count in (("couple", couples), ("deceased", deceased)):
        for _ in range(count):
            people = []
            for sex, born in (
                (("female", "1996-05-0"), ("male", "1994-07-1"))
                if kind == "couple"
                else (("male", "1950-02-1"),)
            ):
                name = person_name(i)
                body = {
                    "full_name": name,
                    "birth_date": f"{born}{i % 9 + 1}",
                    "sex": sex,
                    "ethnicity": "Kinh",
                    "nationality": "Việt Nam",
                    "residence_commune_code": COMMUNE,
                }
                status, resp = t.call("POST", "/api/v1/registry/persons", token, body)
                if status != 201:
                    raise LoadFailure(f"registry person: {status} {resp}")
                people.append((resp["personal_id"], name))
                i += 1
            if kind == "couple":
                pool.couples.append((people[0], people[1]))
            else:
                pool.deceased.append(people[0])
    return i


def marriage_payload(bride: tuple[str, str], groom: tuple[str, str]) -> dict[str, Any]:
    return {
        "procedure": "marriage",
        "commune_code": COMMUNE,
        "channel": "counter",
        "data": {
            "requester": {
                "full_name": groom[1],
                "personal_id": groom[0],
                "relationship": "groom",
                "phone": "0912000111",
            },
            "copies": 0,
            "bride": {"personal_id": bride[0], "full_name": bride[1], "marriage_count": 1},
            "groom": {"personal_id": groom[0], "full_name": groom[1], "marriage_count": 1},
        },
    }


def death_payload(deceased: tuple[str, str]) -> dict[str, Any]:
    """Died two days ago in hospital (on time, Luật Hộ tịch Art. 33); a relative registers at the counter."""
    died = datetime.now(LOCAL_TZ).replace(hour=10, minute=30, second=0, microsecond=0) - timedelta(days=2)
    return {
        "procedure": "death",
        "commune_code": COMMUNE,
        "channel": "counter",
        "data": {
            "requester": {
                "full_name": "Lê Thị Hạnh",
                "personal_id": "001148002345",
                "relationship": "relative",
                "phone": "0912000222",
            },
            "copies": 1,
            "deceased": {"personal_id": deceased[0], "full_name": deceased[1], "sex": "male"},
            "death": {
                "at": died.isoformat(),
                "place": "Bệnh viện Hữu nghị Việt Đức, Thành phố Hà Nội",
                "cause": "Bệnh lý tuổi già",
            },
            "death_notice": {
                "number": "123/GBT",
                "issuer_type": "health_facility",
                "issuer": "Bệnh viện Hữu nghị Việt Đức",
                "issued_on": died.date().isoformat(),
            },
        },
    }


def login(t: Any, user: str) -> str:
    status, body = t.call("POST", "/api/v1/auth/token", json={"username": user, "password": PASSWORD})
    if status != 200:
        raise LoadFailure(f"login {user}: {status} {body}")
    return str(body["token"])


@dataclass
class Results:
    """Latencies (ms) per command kind, with the time each finished (monotonic)."""

    ms: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    completed: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, ms: float) -> None:
        with self.lock:
            self.ms[kind].append((time.monotonic(), ms))


class Client:
    """One official's desk: submits dossiers and works each to the end over the JSON API."""

    def __init__(self, t: Any, pool: Pool, births: itertools.count[int], mix: list[str], seed: int) -> None:
        self.t = t
        self.pool = pool
        self.births = births
        self.mix = mix
        self.rng = random.Random(seed)
        self.tokens = {role: login(t, user) for role, user in USERS.items()}

    def payload(self) -> dict[str, Any]:
        procedure = self.rng.choice(self.mix)
        if procedure != "birth":
            taken = self.pool.take(procedure)
            if taken is not None:
                return marriage_payload(*taken) if procedure == "marriage" else death_payload(taken)
        return birth_payload(COMMUNE, next(self.births))

    def timed(self, res: Results | None, kind: str, method: str, path: str, role: str, json: Any) -> Any:
        t0 = time.perf_counter()
        status, body = self.t.call(method, path, self.tokens[role], json)
        ms = (time.perf_counter() - t0) * 1000
        if status >= 400:
            raise LoadFailure(f"{kind}: {method} {path}: {status} {body}")
        if res is not None:
            res.add(kind, ms)
        return body

    def dossier(self, res: Results | None, deadline: float, jobs: Any = None) -> None:
        """Submit one dossier and complete its tasks until it is completed (or the deadline passes)."""
        payload = self.payload()
        proc = payload["procedure"]
        code = self.timed(res, f"{proc}: submit", "POST", "/api/v1/dossiers", "reception", payload)["code"]
        idle = 0
        while time.monotonic() < deadline:
            if jobs is not None:
                jobs()
            status, d = self.t.call("GET", f"/api/v1/dossiers/{code}", self.tokens["officer"])
            if status != 200:
                raise LoadFailure(f"GET dossier {code}: {status} {d}")
            if d["status"] == "completed":
                if res is not None:
                    with res.lock:
                        res.completed.append(time.monotonic())
                return
            tasks = [t for t in d["tasks"] if t["task"] in FORMS]
            if not tasks:  # a job (registry call) is running in the worker
                idle += 1
                if jobs is None and idle > 2000:
                    raise LoadFailure(f"{code} waits with no task: {d['status']}")
                time.sleep(0.05)
                continue
            task = tasks[0]
            self.timed(
                res,
                f"{proc}: {task['task']}",
                "POST",
                f"/api/v1/tasks/{task['id']}/complete",
                task["role"],
                {"data": FORMS[task["task"]]},
            )


def start_worker(db: BenchDatabase, k: int = 0) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": db.url,
        "HOTICH_FAST_HASH": "1",
        "HOTICH_JOB_RUNNER": "off",
        "HOTICH_INSTANCE_PATH": str(db.workdir / "instance"),
        "HOTICH_MAIL_OUTBOX": str(db.workdir / "outbox"),
    }
    log = open(db.workdir / f"worker-{k}.log", "w")  # noqa: SIM115 - kept open for the child's lifetime
    return subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "flask"), "--app", "app", "worker", "--interval", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(1, int(-(-q * len(ordered) // 100)))  # nearest rank
    return ordered[min(rank, len(ordered)) - 1]


def run_load(base: str, pool: Pool, births: Any, mix: list[str], clients: int, seconds: float) -> Results:
    res = Results()
    desks = [Client(HttpTransport(base, "gunicorn"), pool, births, mix, seed=k) for k in range(clients)]
    start = time.monotonic()
    deadline = start + seconds

    def desk_loop(c: Client) -> None:
        try:
            while time.monotonic() < deadline:
                c.dossier(res, deadline)
        except Exception as exc:  # recorded and reported; the run fails at the end
            res.errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=desk_loop, args=(c,)) for c in desks]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    kept = {k: [(at, ms) for at, ms in v if at <= deadline] for k, v in res.ms.items()}
    res.ms = defaultdict(list, {k: v for k, v in kept.items() if v})
    res.completed = [at for at in res.completed if at <= deadline]
    return res


SUBMIT_EVERY = 6  # a dossier's life is one submission and about five task completions


@dataclass
class OpenLoop:
    """The dossiers of an open-loop run: each is in exactly one place (a task ready for the next arrival,
    waiting on a job, or in flight), so no task is completed twice."""

    ready: deque[tuple[str, str, dict[str, Any]]] = field(default_factory=deque)
    waiting: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    service_ms: list[float] = field(default_factory=list)  # send → answer, without the queueing
    late_starts: int = 0  # arrivals that found every client desk busy (queued on the client side)
    reads: int = 0  # GET /dossiers/<code> of the window: after each command, and the pollers'

    def route(self, res: Results, code: str, proc: str, d: dict[str, Any]) -> None:
        with self.lock:
            self.waiting.pop(code, None)
            if d["status"] == "completed":
                with res.lock:
                    res.completed.append(time.monotonic())
                return
            tasks = [t for t in d["tasks"] if t["task"] in FORMS]
            if tasks:
                self.ready.append((code, proc, tasks[0]))
            else:  # a job (registry call) is running in the worker
                self.waiting[code] = proc


def run_open_loop(
    base: str, pool: Pool, births: Any, mix: list[str], rate: float, seconds: float, desks: int = 32
) -> tuple[Results, OpenLoop]:
    """Commands arrive on a fixed schedule (`rate` per second), whatever the server's speed: the k-th is due
    at start + k/rate and its latency counts from then, so time spent queued (on the client's desks or in
    the server's backlog) counts. The arrivals follow a dossier's life: one in SUBMIT_EVERY is a submission,
    the others complete the oldest ready task (a submission when none is ready). Before the window, a
    backlog of dossiers is submitted and brought to their first task, as at a busy office's opening hour.
    Dossiers that wait on a job are polled every 50 ms (not counted)."""
    res, state = Results(), OpenLoop()
    free: queue.Queue[Client] = queue.Queue()
    for k in range(desks):
        free.put(Client(HttpTransport(base, "gunicorn"), pool, births, mix, seed=k))
    poller = Client(HttpTransport(base, "gunicorn"), pool, births, mix, seed=desks)
    rng = random.Random(7)
    backlog = int(rate * seconds / SUBMIT_EVERY) + 8
    warm = Results()

    def open_one(_: int) -> None:
        desk = free.get()
        try:
            payload = desk.payload()
            status, body = desk.t.call("POST", "/api/v1/dossiers", desk.tokens["reception"], payload)
            if status >= 400:
                raise LoadFailure(f"backlog submit: {status} {body}")
            with state.lock:
                state.waiting[body["code"]] = payload["procedure"]
        finally:
            free.put(desk)

    with ThreadPoolExecutor(max_workers=4) as warmers:
        list(warmers.map(open_one, range(backlog)))
    settle_by = time.monotonic() + 120
    while time.monotonic() < settle_by:
        with state.lock:
            codes = list(state.waiting.items())
        if not codes:
            break
        for code, proc in codes:
            status, d = poller.t.call("GET", f"/api/v1/dossiers/{code}", poller.tokens["officer"])
            if status == 200:
                state.route(warm, code, proc, d)
        time.sleep(0.1)
    print(f"  open loop: a backlog of {backlog} dossiers submitted and at their first task before the window")
    start = time.monotonic() + 0.2
    deadline = start + seconds

    def fire(due: float, item: tuple[str, str, dict[str, Any]] | None) -> None:
        if free.empty():
            with state.lock:
                state.late_starts += 1
        desk = free.get()
        try:
            sent = time.monotonic()
            if item is None:
                payload = desk.payload()
                code, proc = "", payload["procedure"]
                kind = f"{proc}: submit"
                status, body = desk.t.call("POST", "/api/v1/dossiers", desk.tokens["reception"], payload)
                if status < 400:
                    code = body["code"]
            else:
                code, proc, task = item
                kind = f"{proc}: {task['task']}"
                path = f"/api/v1/tasks/{task['id']}/complete"
                form = {"data": FORMS[task["task"]]}
                status, body = desk.t.call("POST", path, desk.tokens[task["role"]], form)
            done = time.monotonic()
            if status >= 400:
                raise LoadFailure(f"{kind}: {status} {body}")
            res.add(kind, (done - due) * 1000)
            with state.lock:
                state.service_ms.append((done - sent) * 1000)
            status, d = desk.t.call("GET", f"/api/v1/dossiers/{code}", desk.tokens["officer"])
            with state.lock:
                state.reads += 1
            if status != 200:
                raise LoadFailure(f"GET dossier {code}: {status} {d}")
            state.route(res, code, proc, d)
        except Exception as exc:  # recorded and reported; the run fails at the end
            res.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            free.put(desk)

    def poll() -> None:
        while time.monotonic() < deadline:
            with state.lock:
                codes = list(state.waiting.items())
            for code, proc in codes:
                status, d = poller.t.call("GET", f"/api/v1/dossiers/{code}", poller.tokens["officer"])
                with state.lock:
                    state.reads += 1
                if status == 200:
                    state.route(res, code, proc, d)
            time.sleep(0.05)

    polling = threading.Thread(target=poll)
    polling.start()
    with ThreadPoolExecutor(max_workers=desks) as pool_:
        k = 0
        while True:
            due = start + k / rate
            if due >= deadline:
                break
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            submit = rng.random() < 1 / SUBMIT_EVERY
            with state.lock:
                item = state.ready.popleft() if state.ready and not submit else None
            pool_.submit(fire, due, item)
            k += 1
    polling.join()
    kept = {k: [(at, ms) for at, ms in v if at <= deadline + 5] for k, v in res.ms.items()}
    res.ms = defaultdict(list, {k: v for k, v in kept.items() if v})
    return res, state


def print_open_run(title: str, res: Results, state: OpenLoop, rate: float, seconds: float) -> dict[str, Any]:
    s = print_run(title, res, seconds)
    service = state.service_ms
    s.update(
        rate=rate,
        service_p50=median(service) if service else None,
        service_p99=percentile(service, 99) if service else None,
        late_starts=state.late_starts,
    )
    if service:
        print(
            f"  offered {rate:g} commands/s on a fixed schedule; the latencies above count from the "
            f"scheduled time;\n  service time alone (send → answer) p50 {s['service_p50']:.1f} ms, "
            f"p99 {s['service_p99']:.1f} ms; {state.late_starts} arrivals found every client desk busy;\n"
            f"  besides the commands, {state.reads} dossier reads ({state.reads / seconds:.1f}/s: one after "
            f"each command, the rest the pollers')"
        )
    return s


class CpuSplit:
    """Where the machine's CPU went during a run: busy share of all cores (/proc/stat) and CPU seconds per
    kind of process (gunicorn, the job worker, the PostgreSQL backends of the bench database, this driver,
    anything else: other databases on the server, other work on the machine). Linux only."""

    KINDS = {"gunicorn": "app (gunicorn)", "flask": "job worker", "postgres": "PostgreSQL"}
    ORDER = ("app (gunicorn)", "PostgreSQL", "job worker", "driver (this script)", "other")

    def __init__(self, db: BenchDatabase) -> None:
        self.db = db
        self.mine = self._backends()
        self.start = self._sample()

    def _backends(self) -> set[int]:
        """PostgreSQL backends serving the bench database (the server may serve other databases too)."""
        if self.db.pg_admin is None:
            return set()
        import psycopg

        with psycopg.connect(self.db.pg_admin) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.db.pg_name,))
            return {int(r[0]) for r in rows}

    @staticmethod
    def _sample() -> tuple[float, float, dict[int, tuple[str, float]]]:
        try:
            fields = [float(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        except OSError:
            return 0.0, 0.0, {}
        ticks: dict[int, tuple[str, float]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                raw = (entry / "stat").read_text()
            except OSError:
                continue
            comm = raw[raw.index("(") + 1 : raw.rindex(")")]
            rest = raw[raw.rindex(")") + 2 :].split()
            ticks[int(entry.name)] = (comm, float(rest[11]) + float(rest[12]))  # utime + stime
        return sum(fields), fields[3] + fields[4], ticks

    def report(self) -> str:
        mine = self.mine | self._backends()
        total0, idle0, before = self.start
        total1, idle1, after = self._sample()
        if total1 <= total0:
            return ""
        me = os.getpid()
        per: dict[str, float] = defaultdict(float)
        for pid, (comm, ticks) in after.items():
            kind = "driver (this script)" if pid == me else self.KINDS.get(comm, "other")
            if kind == "PostgreSQL" and self.db.pg_admin is not None and pid not in mine:
                kind = "other"
            previous = before.get(pid)
            per[kind] += ticks - (previous[1] if previous and previous[0] == comm else 0.0)
        hz = os.sysconf("SC_CLK_TCK")
        busy = 1 - (idle1 - idle0) / (total1 - total0)
        parts = [f"{kind} {per.get(kind, 0.0) / hz:.1f}" for kind in self.ORDER]
        return (
            f"  machine CPU busy {busy:.0%} of {os.cpu_count()} cores; CPU seconds in the run: "
            + ", ".join(parts)
            + " (other: the server's other databases and processes, other work on the machine)"
        )


def summarize(res: Results, seconds: float) -> dict[str, Any]:
    every = [ms for v in res.ms.values() for _, ms in v]
    return {
        "commands": len(every),
        "per_s": len(every) / seconds,
        "dossiers_per_s": len(res.completed) / seconds,
        "p50": median(every) if every else None,
        "p95": percentile(every, 95) if every else None,
        "p99": percentile(every, 99) if every else None,
    }


def print_run(title: str, res: Results, seconds: float) -> dict[str, Any]:
    s = summarize(res, seconds)
    rows = []
    for kind in sorted(res.ms):
        v = [ms for _, ms in res.ms[kind]]
        rows.append([kind, len(v), median(v), percentile(v, 95), percentile(v, 99)])
    rows.append(["all commands", s["commands"], s["p50"], s["p95"], s["p99"]])
    print()
    print(table(["command", "n", "p50 ms", "p95 ms", "p99 ms"], rows, title))
    print(
        f"  throughput: {s['per_s']:.1f} commands/s, {s['dossiers_per_s']:.2f} dossiers completed/s "
        f"over {seconds:.0f} s"
    )
    if res.errors:
        print(f"  ERRORS ({len(res.errors)}): {res.errors[0]}")
    return s


def sql_per_command(app: Any, pool: Pool, births: Any) -> dict[str, SqlSample]:
    """One dossier of each procedure in-process (Flask test client), jobs run here; statements per command."""
    from app.extensions import db as sqla
    from app.services.jobs import run_pending

    with app.app_context():
        counter = SqlCounter(sqla.engine)
    samples: dict[str, SqlSample] = {}
    t = FlaskTransport(app)
    client = Client(t, pool, births, ["birth"], seed=0)

    def timed(res: Any, kind: str, method: str, path: str, role: str, json: Any) -> Any:
        with counter.window() as sample:
            status, body = t.call(method, path, client.tokens[role], json)
        if status >= 400:
            raise LoadFailure(f"{kind}: {status} {body}")
        samples[kind] = sample
        return body

    def jobs() -> None:
        with app.app_context():
            run_pending()
            sqla.session.remove()

    client.timed = timed  # type: ignore[method-assign]
    for procedure in ("birth", "marriage", "death"):
        client.mix = [procedure]
        client.dossier(None, time.monotonic() + 120, jobs=jobs)
    return samples


def measure(db: BenchDatabase, args: argparse.Namespace, mix: list[str]) -> list[dict[str, Any]]:
    app = make_app(db)
    pool = Pool()
    births = itertools.count(1)
    runs = len(args.processes) * (len(args.clients) + len(args.rate))
    # generous: a client rarely completes a dossier a second; an open-loop run starts about rate/3 a second
    # (its backlog included)
    per_run = max([*args.clients, *(r / 2.5 for r in args.rate), 1]) * args.seconds
    share = {p: mix.count(p) / len(mix) for p in ("marriage", "death")}
    t0 = time.perf_counter()
    add_persons(
        FlaskTransport(app),
        pool,
        couples=int(runs * per_run * share["marriage"] * 0.6) + 2,
        deceased=int(runs * per_run * share["death"] * 0.6) + 2,
        start=0,
    )
    print(
        f"  registry persons added: {len(pool.couples)} couples, {len(pool.deceased)} deceased "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    samples = sql_per_command(app, pool, births)
    rows = [[kind, s.raw, s.work, s.commits] for kind, s in sorted(samples.items())]
    print()
    print(
        table(
            ["command", "SQL raw", "SQL excl. BEGIN", "commits"],
            rows,
            f"-- SQL statements per command ({db.kind}, in-process, one dossier of each procedure)",
        )
    )
    if args.verbose:
        for kind, sample in sorted(samples.items()):
            print(f"-- {kind}: {sample.raw} statements")
            for k, stmt in enumerate(sample.statements, 1):
                print(f"   {k:2d}. {stmt[:160]}")
    workers = [start_worker(db, k) for k in range(args.workers)]
    summary = []
    try:
        for processes in args.processes:
            gunicorn = Gunicorn(db, workers=processes)
            try:
                for rate in args.rate:
                    cpu = CpuSplit(db)
                    res, state = run_open_loop(gunicorn.base, pool, births, mix, rate, args.seconds)
                    cpu_line = cpu.report()
                    s = print_open_run(
                        f"-- {db.kind}: gunicorn -w {processes} + {args.workers} worker(s), open loop "
                        f"{rate:g} commands/s, "
                        f"{args.seconds:.0f} s",
                        res,
                        state,
                        rate,
                        args.seconds,
                    )
                    print(cpu_line)
                    summary.append({"db": db.kind, "processes": processes, "clients": f"{rate:g}/s", **s})
                    if res.errors:
                        raise LoadFailure(f"{len(res.errors)} client errors: {res.errors[:3]}")
                for clients in args.clients:
                    cpu = CpuSplit(db)
                    res = run_load(gunicorn.base, pool, births, mix, clients, args.seconds)
                    cpu_line = cpu.report()
                    s = print_run(
                        f"-- {db.kind}: gunicorn -w {processes} + {args.workers} worker(s), "
                        f"{clients} clients, {args.seconds:.0f} s",
                        res,
                        args.seconds,
                    )
                    print(cpu_line)
                    summary.append({"db": db.kind, "processes": processes, "clients": clients, **s})
                    if res.errors:
                        raise LoadFailure(f"{len(res.errors)} client errors: {res.errors[:3]}")
            finally:
                gunicorn.stop()
    finally:
        for worker in workers:
            stop(worker)
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", nargs="?", const=PG_ADMIN_DEFAULT, help="PostgreSQL admin URL")
    parser.add_argument("--sqlite", action="store_true", help="measure SQLite")
    parser.add_argument("--processes", default="1,2,4", help="gunicorn worker counts")
    parser.add_argument("--clients", default="8,16", help="concurrent clients per run (closed loop)")
    parser.add_argument(
        "--rate",
        default="",
        help="open loop: commands/s offered on a fixed schedule, e.g. 20 or 10,20,30 (runs before the "
        "closed-loop runs; --clients '' skips those)",
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each run")
    parser.add_argument("--mix", default="2:1:1", help="birth:marriage:death weights")
    parser.add_argument("--workers", type=int, default=1, help="`flask worker` processes running the jobs")
    parser.add_argument("--quick", action="store_true", help="1 and 2 processes, 8 clients, 8 s (< 2 min)")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases")
    parser.add_argument("--verbose", action="store_true", help="list the SQL statements of every command")
    args = parser.parse_args()
    if args.quick:
        args.processes, args.clients, args.seconds = "1,2", "8", 8.0
    args.processes = [int(x) for x in args.processes.split(",")]
    args.clients = [int(x) for x in args.clients.split(",") if x]
    args.rate = [float(x) for x in args.rate.split(",") if x]
    weights = [int(x) for x in args.mix.split(":")]
    mix = ["birth"] * weights[0] + ["marriage"] * weights[1] + ["death"] * weights[2]
    targets: list[str | None] = []
    if args.postgres or not args.sqlite:
        targets.append(args.postgres or PG_ADMIN_DEFAULT)
    if args.sqlite or not args.postgres:
        targets.append(None)

    print("hộ tịch BPMN — load and scale (gunicorn over loopback HTTP, separate job worker)")
    print(machine_info())
    print(
        f"mix birth:marriage:death = {args.mix}; processes {args.processes}; clients {args.clients}; "
        f"{args.seconds:.0f} s per run; today {today_local().isoformat()} (Hà Nội)"
    )
    summary: list[dict[str, Any]] = []
    for target in targets:
        db = BenchDatabase(target, keep=args.keep)
        print(f"\n== {db.kind} ({db.url if target else 'WAL file in a temp dir'})")
        try:
            summary += measure(db, args, mix)
        finally:
            db.close()

    print()
    rows = [
        [s["db"], s["processes"], s["clients"], s["per_s"], s["dossiers_per_s"], s["p50"], s["p95"], s["p99"]]
        for s in summary
    ]
    print(
        table(
            ["database", "app processes", "clients", "commands/s", "dossiers/s", "p50 ms", "p95", "p99"],
            rows,
            "== summary",
        )
    )
    for kind in dict.fromkeys(s["db"] for s in summary):
        mine = [s for s in summary if s["db"] == kind]
        closed = [s for s in mine if "rate" not in s]
        best = max(closed or mine, key=lambda s: s["per_s"])
        print(
            f"  {kind}: saturation throughput {best['per_s']:.1f} commands/s "
            f"(gunicorn -w {best['processes']}, {best['clients']} clients)"
        )
        for s in mine:
            if "rate" in s and s["processes"] == 2 and s["p99"] is not None:
                verdict = "PASS" if s["p99"] <= 100 and s["per_s"] >= 0.95 * s["rate"] else "FAIL"
                print(
                    f"  {kind}: open loop {s['rate']:g} commands/s, 2 processes: {s['per_s']:.1f} commands/s "
                    f"done, p99 {s['p99']:.0f} ms from the scheduled time "
                    f"(target 20/s with p99 ≤ 100 ms: {verdict})"
                )
        by = {(s["processes"], s["clients"]): s["per_s"] for s in mine}
        if (1, 8) in by and (2, 8) in by and by[(1, 8)]:
            ratio = by[(2, 8)] / by[(1, 8)]
            verdict = "PASS" if ratio >= 1.7 else "FAIL"
            print(f"  {kind}: 1 → 2 processes with 8 clients: {ratio:.3f}× (target ≥ 1.7×: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
