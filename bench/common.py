"""What the benchmarks share: the bench database, transports, SQL counting, the birth-path driver, the bulk
population of stored dossiers, statistics and table printing.

Import this module before anything from `app`: it sets HOTICH_FAST_HASH=1 (cheap logins) and puts the project
root on sys.path. The benchmark scripts do that with two lines at their top.
"""

from __future__ import annotations

import os
import platform
import re
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
os.environ["HOTICH_FAST_HASH"] = "1"
os.environ["HOTICH_JOB_RUNNER"] = "off"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy import event  # noqa: E402

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PASSWORD = "demo12345"
PG_ADMIN_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


# -- statistics and printing ------------------------------------------------------------------------------
def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def p95(xs: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[max(0, min(len(s) - 1, int(0.95 * len(s) + 0.999999) - 1))]


def fmt(value: float | int | str | None, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value != value:  # nan
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def table(headers: list[str], rows: list[list[Any]], title: str | None = None) -> str:
    cells = [[fmt(c) if not isinstance(c, str) else c for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    out = []
    if title:
        out.append(title)
    line = "  ".join(h.ljust(widths[0]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(headers))
    out.append(line)
    out.append("  ".join("-" * w for w in widths))
    for r in cells:
        out.append("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)))
    return "\n".join(out)


def machine_info() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    return (
        f"machine: {platform.system()} {platform.release()}, {os.cpu_count()} CPU ({cpu}); "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"SQLAlchemy {sa.__version__}, SpiffWorkflow {version('SpiffWorkflow')}, Flask {version('flask')}"
    )


def today_local() -> date:
    return datetime.now(LOCAL_TZ).date()


# -- the bench database ------------------------------------------------------------------------------------
class BenchDatabase:
    """A fresh database for one benchmark run: a SQLite file in a temp dir (WAL, as the app configures it),
    or a new database on the PostgreSQL server given by --postgres (dropped at the end)."""

    def __init__(self, postgres: str | None, keep: bool = False) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="hotich-bench-"))
        self.keep = keep
        self.pg_admin: str | None = None
        self.pg_name: str | None = None
        if postgres:
            import psycopg

            self.pg_admin = postgres.replace("postgresql+psycopg://", "postgresql://")
            self.pg_name = f"hotich_bench_{secrets.token_hex(5)}"
            with psycopg.connect(self.pg_admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.pg_name}"')
            self.url = self.pg_admin.rsplit("/", 1)[0] + "/" + self.pg_name
        else:
            self.url = f"sqlite:///{self.workdir / 'bench.db'}"
        self.kind = "postgresql" if postgres else "sqlite"
        os.environ["HOTICH_INSTANCE_PATH"] = str(self.workdir / "instance")
        os.environ.setdefault("SECRET_KEY", secrets.token_hex(16))

    def size_bytes(self) -> int:
        if self.kind == "sqlite":
            return sum(p.stat().st_size for p in self.workdir.glob("bench.db*"))
        import psycopg

        assert self.pg_admin is not None
        with psycopg.connect(self.pg_admin) as conn:
            row = conn.execute("SELECT pg_database_size(%s)", (self.pg_name,)).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        if self.pg_name and not self.keep:
            import psycopg

            assert self.pg_admin is not None
            with psycopg.connect(self.pg_admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
        if not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
        else:
            print(f"kept: {self.workdir} {self.url}")


def make_app(db: BenchDatabase) -> Any:
    """The application on the bench database with the real SystemClock; schema and demo seed created."""
    from app import create_app
    from app.extensions import db as sqla
    from app.services.seed import seed_demo

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": db.url,
            "HOTICH_JOB_RUNNER": "off",
            "HOTICH_MAIL_OUTBOX": str(db.workdir / "outbox"),
        }
    )
    with app.app_context():
        sqla.create_all()
        seed_demo(PASSWORD)
        sqla.session.remove()
    return app


# -- SQL counting ------------------------------------------------------------------------------------------
TX_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|END|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


@dataclass
class SqlSample:
    statements: list[str] = field(default_factory=list)
    commits: int = 0

    @property
    def raw(self) -> int:
        return len(self.statements)

    @property
    def tx(self) -> int:
        return sum(1 for s in self.statements if TX_CONTROL.match(s))

    @property
    def work(self) -> int:
        return self.raw - self.tx


class SqlCounter:
    """Counts the statements sent to the driver (`before_cursor_execute` on db.engine) and the commits.

    On SQLite the app emits BEGIN / BEGIN IMMEDIATE through the cursor (so they appear as statements) while
    COMMIT goes through the DB-API `commit()` (counted separately). On PostgreSQL psycopg begins implicitly.
    """

    def __init__(self, engine: Any) -> None:
        self.current: SqlSample | None = None
        event.listen(engine, "before_cursor_execute", self._on_execute)
        event.listen(engine, "commit", self._on_commit)

    def _on_execute(
        self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if self.current is not None:
            self.current.statements.append(" ".join(statement.split()))

    def _on_commit(self, conn: Any) -> None:
        if self.current is not None:
            self.current.commits += 1

    @contextmanager
    def window(self) -> Iterator[SqlSample]:
        outer = self.current
        sample = SqlSample()
        self.current = sample
        try:
            yield sample
        finally:
            self.current = outer
            if outer is not None:
                outer.statements.extend(sample.statements)
                outer.commits += sample.commits


# -- transports ------------------------------------------------------------------------------------------
class FlaskTransport:
    """The Flask WSGI test client, in-process: latency = the server's time plus a thin WSGI shim."""

    name = "in-process (Flask test client)"

    def __init__(self, app: Any) -> None:
        self.client = app.test_client()

    def call(self, method: str, path: str, token: str | None = None, json: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = self.client.open(path, method=method, headers=headers, json=json)
        return resp.status_code, resp.get_json(silent=True)


class HttpTransport:
    """A keep-alive `requests.Session` to a real server over loopback."""

    def __init__(self, base_url: str, name: str) -> None:
        import requests

        self.base = base_url
        self.name = name
        self.session = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, json: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = self.session.request(method, self.base + path, headers=headers, json=json, timeout=60)
        try:
            body = resp.json()
        except ValueError:
            body = None
        return resp.status_code, body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Gunicorn:
    """`gunicorn -w 2 'app:create_app()'` on a free loopback port against the bench database (jobs off)."""

    def __init__(self, db: BenchDatabase, workers: int = 2) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": db.url,
            "HOTICH_FAST_HASH": "1",
            "HOTICH_JOB_RUNNER": "off",
            "HOTICH_INSTANCE_PATH": str(db.workdir / "instance"),
            "HOTICH_MAIL_OUTBOX": str(db.workdir / "outbox"),
        }
        self.log = open(db.workdir / f"gunicorn-{self.port}.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{self.port}",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log.name}")
            try:
                requests.get(self.base + "/login", timeout=2)
                return
            except requests.ConnectionError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start in time")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# -- the birth path ----------------------------------------------------------------------------------------
COMMUNES: dict[str, dict[str, Any]] = {
    "00070": {
        "users": {r: f"{r}.hoankiem" for r in ("reception", "officer", "chairman")},
        "father": ("001095012345", "Nguyễn Văn An"),
        "mother": ("001196023456", "Trần Thị Bích Ngọc"),
        "place": "Phường Hoàn Kiếm, Thành phố Hà Nội",
    },
    "00004": {
        "users": {r: f"{r}.badinh" for r in ("reception", "officer", "chairman")},
        "father": ("001094005678", "Bùi Văn Hải"),
        "mother": ("001195006789", "Đỗ Thị Thanh Tâm"),
        "place": "Phường Ba Đình, Thành phố Hà Nội",
    },
}
# the bench's own children; disjoint from the cloned children (CLONE_GIVEN) so no KS-10 duplicate can arise
BENCH_MIDDLE = ("Thị", "Ngọc", "Minh", "Gia", "Bảo", "Khánh", "Thanh", "Hoài")
BENCH_GIVEN = (
    "Ánh Dương", "Mai Anh", "Khánh Linh", "Bảo Châu", "Minh Thư", "Hà My", "Ngọc Diệp", "Thảo Nguyên",
    "Phương Linh", "Tú Anh", "Diệu Linh", "Gia Hân", "Quỳnh Chi", "Tuệ An", "Bích Ngân", "Hải Yến",
    "Thu Trang", "Lan Chi", "Kim Ngân", "Cẩm Tú", "Như Ý", "An Nhiên", "Thiên Kim", "Hồng Nhung",
    "Vân Anh", "Mỹ Duyên", "Minh Châu", "Ngọc Hân", "Yến Nhi", "Bảo Ngọc", "Tường Vi", "Khả Hân",
)  # fmt: skip
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


REQUESTER_EMAIL = True  # bench scripts switch it off with --no-email


def bench_child(i: int, surname: str) -> tuple[str, int]:
    """A distinct (name, birth-date offset) per index: a birth is registered only once (KS-10)."""
    names = len(BENCH_MIDDLE) * len(BENCH_GIVEN)
    k = i % names
    name = f"{surname} {BENCH_MIDDLE[k % len(BENCH_MIDDLE)]} {BENCH_GIVEN[k // len(BENCH_MIDDLE)]}"
    return name, 1 + (i // names) % 50


def birth_payload(commune: str, i: int) -> dict[str, Any]:
    """A valid, on-time counter submission: born 1–50 days ago (Hà Nội time), parents from the demo
    registry."""
    info = COMMUNES[commune]
    (father_id, father_name), (mother_id, _) = info["father"], info["mother"]
    name, days = bench_child(i, father_name.split()[0])
    born = today_local() - timedelta(days=days)
    requester: dict[str, Any] = {
        "full_name": father_name,
        "personal_id": father_id,
        "relationship": "father",
        "phone": "0912345678",
    }
    if REQUESTER_EMAIL:  # every status change then mails the requester (file outbox), as in production
        requester["email"] = f"requester{i}@example.vn"
    return {
        "procedure": "birth",
        "commune_code": commune,
        "channel": "counter",
        "data": {
            "requester": requester,
            "copies": 1,
            "child": {
                "full_name": name,
                "birth_date": born.isoformat(),
                "sex": "female",
                "ethnicity": "Kinh",
                "nationality": "Việt Nam",
                "birth_place": "Bệnh viện Phụ sản Hà Nội, Phường Láng, Thành phố Hà Nội",
                "home_town": info["place"],
            },
            "mother": {"personal_id": mother_id},
            "father": {"personal_id": father_id},
            "birth_certificate": {
                "number": f"BV-{born.year}-{i:05d}",
                "issuer": "Bệnh viện Phụ sản Hà Nội",
                "issued_on": min(born + timedelta(days=1), today_local()).isoformat(),
            },
        },
    }


# the path, in order: (step name, kind, role, task key, form)
PATH: list[tuple[str, str, str | None, str | None, dict[str, Any] | None]] = [
    ("submit", "submit", "reception", None, None),
    ("job lookup_parties", "job", None, None, None),
    ("complete reception_check", "task", "reception", "reception_check", {"decision": "accept"}),
    ("complete officer_examine", "task", "officer", "officer_examine", {"decision": "approve"}),
    (
        "complete chairman_sign",
        "task",
        "chairman",
        "chairman_sign",
        {"decision": "sign", "signer_title": "chu_tich"},
    ),
    ("job register_birth", "job", None, None, None),
    ("complete return_result", "task", "reception", "return_result", {"delivered_via": "counter"}),
]
STAGES = ("reception_check", "officer_examine", "chairman_sign", "return_result", "completed")


class BenchFailure(RuntimeError):
    pass


@dataclass
class Recorder:
    """Latency (ms), SQL samples and (with a Probe) time per category, per step name."""

    ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    sql: dict[str, list[SqlSample]] = field(default_factory=lambda: defaultdict(list))
    parts: dict[str, list[dict[str, float]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, step: str, ms: float, sql: SqlSample | None, parts: dict[str, float] | None = None) -> None:
        self.ms[step].append(ms)
        if sql is not None:
            self.sql[step].append(sql)
        if parts is not None:
            self.parts[step].append(parts)


class Probe:
    """Exclusive time per category inside a request: `engine` (app.engine.runtime.Instance methods),
    `service ops` (internal operations the engine dispatches: rules, receipt, documents, register book),
    `mail` (composing the requester's status mail and handing it to the outbox after commit),
    `SQL driver` (inside cursor.execute and the DB-API commit/rollback); the remainder of the request is
    SQLAlchemy ORM work, Flask/WSGI, JSON, form validation and the services' own code.
    Installed only for the breakdown pass (the wrappers cost a few µs per call)."""

    CATEGORIES = ("engine", "service ops", "mail", "SQL driver")

    def __init__(self) -> None:
        self.acc: dict[str, float] = defaultdict(float)
        self.stack: list[str] = []
        self.t_last = 0.0
        self._undo: list[Callable[[], None]] = []

    def enter(self, cat: str) -> None:
        now = time.perf_counter()
        if self.stack:
            self.acc[self.stack[-1]] += now - self.t_last
        self.stack.append(cat)
        self.t_last = now

    def exit(self) -> None:
        now = time.perf_counter()
        if self.stack:
            self.acc[self.stack.pop()] += now - self.t_last
        self.t_last = now

    def reset(self) -> None:
        self.acc.clear()
        self.stack.clear()

    def snapshot(self, total_ms: float) -> dict[str, float]:
        out = {c: self.acc.get(c, 0.0) * 1000 for c in self.CATEGORIES}
        out["rest"] = total_ms - sum(out.values())
        return out

    def _wrap(self, owner: Any, name: str, cat: str) -> None:
        raw = owner.__dict__[name]
        is_cm = isinstance(raw, classmethod)
        fn = raw.__func__ if is_cm else raw
        probe = self

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            probe.enter(cat)
            try:
                return fn(*args, **kwargs)
            finally:
                probe.exit()

        setattr(owner, name, classmethod(wrapper) if is_cm else wrapper)
        self._undo.append(lambda: setattr(owner, name, raw))

    def _wrap_function(self, module: Any, name: str, cat: str) -> None:
        raw = getattr(module, name)
        probe = self

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            probe.enter(cat)
            try:
                return raw(*args, **kwargs)
            finally:
                probe.exit()

        setattr(module, name, wrapper)
        self._undo.append(lambda: setattr(module, name, raw))

    def install(self, engine: Any) -> None:
        from app.engine.runtime import Instance
        from app.services.operations import CommandDispatcher

        for name, value in list(Instance.__dict__.items()):
            if not name.startswith("_") and (callable(value) or isinstance(value, classmethod)):
                self._wrap(Instance, name, "engine")
        self._wrap(CommandDispatcher, "dispatch", "service ops")
        try:  # status mails (present since the notifications commit)
            from app.integrations import mail
            from app.services import commands

            if "queue_status_mail" in commands.__dict__:
                self._wrap_function(commands, "queue_status_mail", "mail")
            for cls in (getattr(mail, "FileOutbox", None), getattr(mail, "SmtpOutbox", None)):
                if cls is not None and "send" in cls.__dict__:
                    self._wrap(cls, "send", "mail")
        except ImportError:
            pass
        before = lambda *a, **k: self.enter("SQL driver")  # noqa: E731
        after = lambda *a, **k: self.exit()  # noqa: E731
        error = lambda *a, **k: self.exit()  # noqa: E731
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        event.listen(engine, "handle_error", error)
        self._undo += [
            lambda: event.remove(engine, "before_cursor_execute", before),
            lambda: event.remove(engine, "after_cursor_execute", after),
            lambda: event.remove(engine, "handle_error", error),
        ]
        dialect = engine.dialect
        for name in ("do_commit", "do_rollback"):
            original = getattr(dialect, name)

            def timed(conn: Any, _orig: Any = original) -> Any:
                self.enter("SQL driver")
                try:
                    return _orig(conn)
                finally:
                    self.exit()

            setattr(dialect, name, timed)
            self._undo.append(lambda n=name, o=original: setattr(dialect, n, o))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()


class Driver:
    """Drives birth dossiers through the JSON API (any transport) and runs jobs in-process."""

    def __init__(
        self, app: Any, transport: Any, counter: SqlCounter | None, recorder: Recorder | None = None
    ):
        self.app = app
        self.t = transport
        self.counter = counter
        self.rec = recorder or Recorder()
        self.tokens: dict[str, str] = {}
        self.probe: Probe | None = None
        self._feed: list[tuple[float, SqlSample | None, dict[str, float] | None]] = []
        self._install_feed_probe()

    # the feed-back command (jobs.feed_result) is timed on its own by wrapping the module attribute that
    # run_job calls; nothing in app/ changes
    def _install_feed_probe(self) -> None:
        from app.services import jobs

        original = getattr(jobs.feed_result, "__wrapped_original__", jobs.feed_result)
        driver = self

        def timed_feed_result(job_id: int, result: Any) -> None:
            with driver._sql() as sample:
                if driver.probe:
                    driver.probe.reset()
                t0 = time.perf_counter()
                try:
                    original(job_id, result)
                finally:
                    ms = (time.perf_counter() - t0) * 1000
                    driver._feed.append((ms, sample, driver.probe.snapshot(ms) if driver.probe else None))

        timed_feed_result.__wrapped_original__ = original  # type: ignore[attr-defined]
        jobs.feed_result = timed_feed_result

    @contextmanager
    def _sql(self) -> Iterator[SqlSample | None]:
        if self.counter is None:
            yield None
            return
        with self.counter.window() as sample:
            yield sample

    def token(self, user: str) -> str:
        if user not in self.tokens:
            status, body = self.t.call(
                "POST", "/api/v1/auth/token", json={"username": user, "password": PASSWORD}
            )
            if status != 200:
                raise BenchFailure(f"login {user}: {status} {body}")
            self.tokens[user] = body["token"]
        return self.tokens[user]

    def request(self, step: str | None, method: str, path: str, user: str, json: Any = None) -> Any:
        token = self.token(user)
        count_sql = self.counter is not None and isinstance(self.t, FlaskTransport)
        if self.probe:
            self.probe.reset()
        if count_sql:
            assert self.counter is not None
            with self.counter.window() as sample:
                t0 = time.perf_counter()
                status, body = self.t.call(method, path, token, json)
                ms = (time.perf_counter() - t0) * 1000
        else:
            t0 = time.perf_counter()
            status, body = self.t.call(method, path, token, json)
            ms = (time.perf_counter() - t0) * 1000
            sample = None
        if status >= 400:
            raise BenchFailure(f"{method} {path}: {status} {body}")
        if step:
            self.rec.add(step, ms, sample, self.probe.snapshot(ms) if self.probe else None)
        return body

    def run_jobs(self, step: str | None) -> int:
        """One runner round in this process, against the same database: claim due jobs, run each
        (registry call + feed-back command). Timed as claim / call+feed-back / feed-back alone."""
        from app.extensions import db
        from app.services.jobs import claim_jobs, run_job, worker_id

        self._feed.clear()
        with self.app.app_context():
            with self._sql() as claim_sql:
                t0 = time.perf_counter()
                ids = claim_jobs(worker_id())
                claim_ms = (time.perf_counter() - t0) * 1000
            with self._sql() as run_sql:
                t0 = time.perf_counter()
                outcomes = [run_job(job_id) for job_id in ids]
                run_ms = (time.perf_counter() - t0) * 1000
            db.session.remove()
        if any(o != "done" for o in outcomes):
            raise BenchFailure(f"job outcomes {outcomes}")
        if step:
            self.rec.add(f"{step}: claim", claim_ms, claim_sql)
            self.rec.add(f"{step}: call + feed-back", run_ms, run_sql)
            for ms, sample, parts in self._feed:
                self.rec.add(f"{step}: feed-back command", ms, sample, parts)
        return len(ids)

    def submit(self, commune: str, i: int, step: str | None = "submit") -> str:
        body = self.request(
            step,
            "POST",
            "/api/v1/dossiers",
            COMMUNES[commune]["users"]["reception"],
            birth_payload(commune, i),
        )
        return str(body["code"])

    def complete(
        self, commune: str, code: str, role: str, key: str, form: dict[str, Any], step: str | None
    ) -> dict[str, Any]:
        user = COMMUNES[commune]["users"][role]
        tasks = self.request(
            f"find {key} (GET /tasks?dossier=)" if step else None,
            "GET",
            f"/api/v1/tasks?dossier={code}",
            user,
        )
        matching = [t for t in tasks if t["task"] == key]
        if not matching:
            raise BenchFailure(f"{key} not open for {user} on {code}: {tasks}")
        body: dict[str, Any] = self.request(
            step, "POST", f"/api/v1/tasks/{matching[0]['id']}/complete", user, {"data": form}
        )
        return body

    def path(self, commune: str, i: int, upto: str = "completed", record: bool = True) -> str:
        """One dossier from submission to `upto` (the stage whose task is left open, or 'completed')."""
        code = ""
        for step, kind, role, key, form in PATH:
            name = step if record else None
            if kind == "task" and key == upto:
                return code
            if kind == "submit":
                code = self.submit(commune, i, name)
            elif kind == "job":
                if self.run_jobs(name) < 1:
                    raise BenchFailure(f"no job was due for {code} at {step}")
            else:
                assert role and key and form is not None
                self.complete(commune, code, role, key, form, name)
        return code


# -- bulk population of stored dossiers ---------------------------------------------------------------------
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
        copy_rows("job", "dossier_id", {"dossier_id": "m.new_id"}),
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
