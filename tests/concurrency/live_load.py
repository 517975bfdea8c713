"""The real `make run` stack as subprocesses, and a bounded concurrent load against it over HTTP.

Shared by `tests/concurrency/test_live_stack.py` (which asserts on the result) and `bench/live_stack.py`
(which prints it). The stack is started exactly as the Makefile's `run` target does: `flask db upgrade`,
`flask seed-demo`, then `HOTICH_JOB_RUNNER=thread gunicorn --workers 2 'app:create_app()'`, so two worker
processes each serve requests *and* run a job-runner thread against the same database.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
from requests.adapters import HTTPAdapter

ROOT = Path(__file__).resolve().parents[2]
# the executables of the interpreter running us (.venv/bin in `make test`), so any checkout works
BIN = Path(sys.executable).parent
PASSWORD = "demo12345"
WORKERS = 2
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
REQUEST_TIMEOUT = 40.0  # above SQLite's 30 s busy timeout, so a lock wait shows as a status, not a timeout

RECEPTION, OFFICER, CHAIRMAN = "reception.hoankiem", "officer.hoankiem", "chairman.hoankiem"
ROLE_USER = {"reception": RECEPTION, "officer": OFFICER, "chairman": CHAIRMAN}
# the birth path's decisions (spec/api.md "The shipped processes' task contract")
TASK_FORMS: dict[str, dict[str, Any]] = {
    "reception_check": {"decision": "accept"},
    "officer_examine": {"decision": "approve"},
    "register_sign": {"mode": "in_person", "officer_signed": True},
    "chairman_sign": {"decision": "sign", "signer_title": "chu_tich"},
    "return_result": {"delivered_via": "counter"},
}
TASK_USER = {
    "reception_check": RECEPTION,
    "officer_examine": OFFICER,
    "register_sign": OFFICER,
    "chairman_sign": CHAIRMAN,
    "return_result": RECEPTION,
}
# distinct children of Nguyễn Văn An and Trần Thị Bích Ngọc (demo registry, Phường Hoàn Kiếm), none of them
# a demo dossier's child, each born on a different day: a birth is registered only once (KS-10)
CHILD_NAMES = (
    "Nguyễn Minh Khôi", "Nguyễn Gia Bảo", "Nguyễn Thảo Vy", "Nguyễn Đức Minh", "Nguyễn Hà Linh",
    "Nguyễn Quốc Anh", "Nguyễn Tuệ Lâm", "Nguyễn Phúc An", "Nguyễn Khánh Vy", "Nguyễn Bảo Long",
    "Nguyễn Minh Thư", "Nguyễn Hải Đăng", "Nguyễn Ngọc Diệp", "Nguyễn Đăng Khoa", "Nguyễn An Nhiên",
    "Nguyễn Trung Kiên",
)  # fmt: skip


# -- the stack -------------------------------------------------------------------------------------------
@contextmanager
def fresh_postgres_database(admin_url: str, prefix: str = "hotich_live") -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of `admin_url` (psycopg form), dropped afterwards."""
    import uuid

    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    base_url: str
    log_path: Path
    master_pid: int = 0  # gunicorn's master (the fault suite kills its workers)

    def worker_pids(self) -> list[int]:
        """The live gunicorn workers: the master's child processes (from /proc)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the process ended meanwhile
            if int(fields[1]) == self.master_pid and fields[0] != "Z":
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def log_errors(self, limit: int = 10) -> str:
        """The distinct exceptions and failed jobs in the server log, most frequent first."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        lines = re.findall(
            r"^(?:[\w.]+(?:Error|Exception): .*|.*WARNING in jobs: job \d+ failed.*)$", text, re.M
        )
        # one line per kind of failure: drop the timestamp and job id of a job failure
        kinds = Counter(
            re.sub(r"^.*WARNING in jobs: job \d+ failed", "job failed", line)[:200] for line in lines
        )
        return "\n".join(f"{n:>5} × {line}" for line, n in kinds.most_common(limit)) or "(none)"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _executable(name: str) -> str:
    path = BIN / name
    if not path.exists():
        raise RuntimeError(f"{path} not found: run the tests with the project's .venv (make setup)")
    return str(path)


@contextmanager
def live_stack(
    workdir: Path,
    database_url: str | None = None,
    ready_timeout: float = 60,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """`make run` in `workdir` (instance folder, log) on a free port; the process group is always killed."""
    instance = workdir / "instance"
    log_path = workdir / "stack.log"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "HOTICH_JOB_RUNNER")}
    env.update(
        {
            "HOTICH_INSTANCE_PATH": str(instance),
            "HOTICH_FAST_HASH": "1",  # cheap argon2 parameters; the rate limiter and writes are unchanged
            "HOTICH_MAIL_OUTBOX": str(workdir / "outbox"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra_env or {})
    port = free_port()
    with open(log_path, "ab") as log:
        for args in (["db", "upgrade"], ["seed-demo"]):
            subprocess.run(
                [_executable("flask"), "--app", "app", *args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=120,
            )
        # as the Makefile: the job runner thread only in the gunicorn workers, not in the CLI commands
        proc = subprocess.Popen(
            [
                _executable("gunicorn"),
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{port}",
                "--access-logfile",
                "-",
                "app:create_app()",
            ],
            cwd=ROOT,
            env={**env, "HOTICH_JOB_RUNNER": "thread"},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: teardown kills the master and both workers
        )
    stack = Stack(f"http://127.0.0.1:{port}", log_path, proc.pid)
    try:
        _wait_ready(stack, proc, ready_timeout)
        yield stack
    finally:
        _kill_group(proc)


def _wait_ready(stack: Stack, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n{stack.log_tail()}")
        try:
            if requests.get(stack.base_url + "/login", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s:\n{stack.log_tail()}")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to gunicorn's process group (graceful), SIGKILL if it lingers."""
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    if proc.poll() is None:
        proc.wait(timeout=5)


# -- what the load records -------------------------------------------------------------------------------
@dataclass
class Record:
    kind: str
    method: str
    path: str
    status: int  # 0: no HTTP answer (connection error, timeout)
    ms: float
    body: str = ""
    error: str = ""


@dataclass
class Report:
    records: list[Record] = field(default_factory=list)
    races: list[tuple[str, list[int]]] = field(default_factory=list)  # (task key, statuses of the racers)
    lookup_s: dict[str, float | None] = field(default_factory=dict)  # dossier code -> until reception_check
    final_status: dict[str, str] = field(default_factory=dict)
    wall_s: float = 0.0
    skipped: int = 0  # operations not started because the run hit its time cap
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, record: Record) -> None:
        with self.lock:
            self.records.append(record)

    def server_errors(self) -> list[Record]:
        return [r for r in self.records if r.status >= 500]

    def no_answer(self) -> list[Record]:
        return [r for r in self.records if r.status == 0]

    def summary(self) -> str:
        by_kind: dict[str, list[Record]] = defaultdict(list)
        for r in self.records:
            by_kind[r.kind].append(r)
        lines = [
            f"{len(self.records)} requests in {self.wall_s:.1f} s; "
            f"5xx: {len(self.server_errors())}, no answer: {len(self.no_answer())}, "
            f"operations skipped at the time cap: {self.skipped}",
            f"{'kind':<18} {'n':>5} {'p50 ms':>8} {'p95 ms':>8}  statuses",
        ]
        for kind in sorted(by_kind):
            rs = by_kind[kind]
            ms = sorted(r.ms for r in rs)
            statuses = ", ".join(f"{s}×{n}" for s, n in sorted(Counter(r.status for r in rs).items()))
            lines.append(f"{kind:<18} {len(rs):>5} {_pct(ms, 50):>8.1f} {_pct(ms, 95):>8.1f}  {statuses}")
        waits = sorted(s for s in self.lookup_s.values() if s is not None)
        if self.lookup_s:
            lines.append(
                f"registry lookup → reception_check: {len(waits)}/{len(self.lookup_s)} dossiers, "
                f"p50 {_pct(waits, 50):.1f} s, max {max(waits, default=float('nan')):.1f} s"
            )
        outcomes = Counter(f"{key} {sorted(s)}" for key, s in self.races)
        lines += [f"race {k}: {n}" for k, n in sorted(outcomes.items())]
        if self.final_status:
            lines.append(
                "final dossier status: "
                + ", ".join(f"{s}×{n}" for s, n in sorted(Counter(self.final_status.values()).items()))
            )
        return "\n".join(lines)


def _pct(sorted_values: list[float], pct: int) -> float:
    """Nearest-rank percentile."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-pct * len(sorted_values) // 100))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def describe(records: list[Record], limit: int = 40) -> str:
    """One line per distinct response, most frequent first: count, method, path, status, first 200
    characters of the body (or the connection error)."""
    lines = Counter(
        f"{r.method} {r.path} → {r.status or 'no answer'}: {_readable(r.body or r.error)[:200]}"
        for r in records
    )
    out = [f"{n:>4} × {line}" for line, n in lines.most_common(limit)]
    if len(lines) > limit:
        out.append(f"… and {len(lines) - limit} more distinct responses")
    return "\n".join(out)


def _readable(body: str) -> str:
    """A JSON body with its Vietnamese unescaped, an HTML page as its text; on one line."""
    try:
        return json.dumps(json.loads(body), ensure_ascii=False)
    except ValueError:
        text = (
            re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", body, flags=re.S) if "<html" in body else body
        )
        return " ".join(text.split())


# -- the HTTP client -------------------------------------------------------------------------------------
class SourceAddressAdapter(HTTPAdapter):
    """Connect from a given loopback address, so the per-client login rate limit sees several clients."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


class Client:
    """One requests.Session (used by one thread at a time) that records every response."""

    def __init__(self, base_url: str, report: Report, source: str | None = None) -> None:
        self.base_url, self.report = base_url, report
        self.session = requests.Session()
        if source:
            self.session.mount("http://", SourceAddressAdapter(source))
        self.token: str | None = None

    def request(self, kind: str, method: str, path: str, **kwargs: Any) -> requests.Response | None:
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        started = time.perf_counter()
        try:
            resp = self.session.request(
                method,
                self.base_url + path,
                headers=headers,
                timeout=REQUEST_TIMEOUT,
                allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException as exc:
            ms = (time.perf_counter() - started) * 1000
            self.report.add(Record(kind, method, path, 0, ms, error=f"{type(exc).__name__}: {exc}"))
            return None
        ms = (time.perf_counter() - started) * 1000
        self.report.add(Record(kind, method, path, resp.status_code, ms, body=resp.text[:4000]))
        return resp

    def login(self, username: str, password: str = PASSWORD, kind: str = "login api") -> int:
        body = {"username": username, "password": password}
        resp = self.request(kind, "POST", "/api/v1/auth/token", json=body)
        if resp is not None and resp.status_code == 200:
            self.token = resp.json()["token"]
        return resp.status_code if resp is not None else 0

    def close(self) -> None:
        self.session.close()


# -- the load --------------------------------------------------------------------------------------------
@dataclass
class Load:
    """How much to do: a fixed count of operations, cut short at `max_seconds`."""

    threads: int = 14
    dossiers: int = 16
    logins: int = 120
    wrong_logins: int = 30
    page_logins: int = 24
    read_rounds: int = 150
    registry_writes: int = 40
    max_seconds: float = 30.0
    lookup_timeout: float = 20.0  # submission → reception_check open (the job runner's registry lookup)


def birth_payload(i: int, channel: str) -> dict[str, Any]:
    """A valid, on-time birth dossier for Phường Hoàn Kiếm: born 1–16 days ago (Hà Nội time)."""
    today = datetime.now(LOCAL_TZ).date()
    born = today - timedelta(days=1 + i % len(CHILD_NAMES))
    return {
        "procedure": "birth",
        "commune_code": "00070",
        "channel": channel,
        "data": {
            "requester": {
                "full_name": "Nguyễn Văn An",
                "personal_id": "001095012345",
                "relationship": "father",
                "phone": "0912345678",
            },
            "copies": 1,
            "child": {
                "full_name": CHILD_NAMES[i % len(CHILD_NAMES)],
                "birth_date": born.isoformat(),
                "sex": "male" if i % 2 else "female",
                "ethnicity": "Kinh",
                "nationality": "Việt Nam",
                "birth_place": "Bệnh viện Phụ sản Hà Nội, Phường Láng, Thành phố Hà Nội",
                "home_town": "Phường Hoàn Kiếm, Thành phố Hà Nội",
            },
            "mother": {"personal_id": "001196023456"},
            "father": {"personal_id": "001095012345"},
            "birth_certificate": {
                "number": f"BV-{born.year}-L{i:04d}",
                "issuer": "Bệnh viện Phụ sản Hà Nội",
                "issued_on": born.isoformat(),
            },
        },
    }


def person_payload(i: int) -> dict[str, Any]:
    return {
        "full_name": f"Phạm Văn {('Tải', 'Thử', 'Tốc', 'Độ')[i % 4]}",
        "birth_date": f"{1970 + i % 30}-0{1 + i % 9}-1{i % 10}",
        "sex": "male",
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "residence_commune_code": "00070",
        "marital_status": "single",
    }


class Driver:
    def __init__(self, stack: Stack, load: Load) -> None:
        self.stack, self.load = stack, load
        self.report = Report()
        self.deadline = 0.0

    def client(self, source: str | None = None) -> Client:
        return Client(self.stack.base_url, self.report, source)

    def logged_in(self, username: str, kind: str = "login api") -> Client:
        """A client with a token; a failed login (a defect, recorded) is retried a few times, then the
        client goes on without one (its requests get 401s) so the run still reports what it found."""
        client = self.client()
        for _ in range(5):
            if client.login(username, kind=kind) == 200:
                break
            time.sleep(0.2)
        return client

    def expired(self) -> bool:
        return time.monotonic() > self.deadline

    # one operation each; every one checks the deadline first so the run stays bounded
    def op_login(self, i: int) -> None:
        users = (RECEPTION, OFFICER, CHAIRMAN, "portal", "admin", "auditor", "reception.badinh")
        client = self.client()
        client.login(users[i % len(users)])
        client.close()

    def op_wrong_login(self, i: int) -> None:
        # other clients than 127.0.0.1 and users nobody else logs in as: the limiter's 429s stay theirs
        client = self.client(source=f"127.0.0.{2 + i % 4}")
        client.login(("analyst", "khong.ton.tai")[i % 2], password="sai-mat-khau", kind="login api wrong")
        client.close()

    def op_page_login(self, i: int) -> None:
        client = self.client()
        page = client.request("login page", "GET", "/login")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text if page is not None else "")
        if match:
            user = (RECEPTION, OFFICER, CHAIRMAN)[i % 3]
            form = {"csrf_token": match.group(1), "username": user, "password": PASSWORD}
            resp = client.request("login page", "POST", "/login", data=form)
            if resp is not None and resp.status_code == 303:
                client.request("read page", "GET", "/inbox")
        client.close()

    def with_token(self, token: str | None) -> Client:
        client = self.client()
        client.token = token
        return client

    def op_reads(self, token: str | None, official: bool) -> None:
        """What a user's screen loads: the dossier list, a dossier, and (officials) the task lists."""
        client = self.with_token(token)
        listing = client.request("read api", "GET", "/api/v1/dossiers")
        client.request("read api", "GET", "/api/v1/dossiers?procedure=birth&status=submitted")
        if official:
            client.request("read api", "GET", "/api/v1/tasks")
            client.request("read api", "GET", "/api/v1/tasks?mine=1")
        items = listing.json().get("items", []) if listing is not None and listing.status_code == 200 else []
        if items:
            client.request("read api", "GET", f"/api/v1/dossiers/{items[len(items) // 2]['code']}")
        client.close()

    def op_registry_write(self, token: str | None, i: int) -> None:
        client = self.with_token(token)
        resp = client.request("registry write", "POST", "/api/v1/registry/persons", json=person_payload(i))
        if resp is not None and resp.status_code == 201:
            client.request("read api", "GET", f"/api/v1/registry/persons/{resp.json()['personal_id']}")
        client.close()

    def op_dossier(self, i: int) -> None:
        """Submit a birth dossier, then drive it to `completed`, every task completed by two racers."""
        online = i % 2 == 1
        submitter = self.logged_in("portal" if online else RECEPTION)
        resp = submitter.request(
            "submit", "POST", "/api/v1/dossiers", json=birth_payload(i, "online" if online else "counter")
        )
        if resp is None or resp.status_code != 201:
            return
        code = resp.json()["code"]
        submitted_at = time.monotonic()
        self.report.lookup_s[code] = None
        racers = {u: (self.logged_in(u), self.logged_in(u)) for u in set(TASK_USER.values())}
        viewer = self.logged_in(OFFICER)
        status = "submitted"
        while not self.expired() or self.report.lookup_s[code] is None:
            waited = time.monotonic() - submitted_at
            if self.report.lookup_s[code] is None and waited > self.load.lookup_timeout:
                break  # the registry lookup never came back: the test reports it
            got = viewer.request("poll dossier", "GET", f"/api/v1/dossiers/{code}")
            if got is not None and got.status_code == 200:
                status = got.json()["status"]
            if status in ("completed", "refused", "receipt_refused"):
                break
            if status == "awaiting_confirmation":
                confirm = f"/api/v1/dossiers/{code}/confirm-draft"
                submitter.request("confirm draft", "POST", confirm, json={"confirmed": True})
                continue
            if not self._race_next_task(code, racers, submitted_at):
                time.sleep(0.3)  # waiting for a job (registry lookup, registration) of the runner
        self.report.final_status[code] = status
        for client in (submitter, viewer, *(c for pair in racers.values() for c in pair)):
            client.close()

    def _race_next_task(
        self, code: str, racers: dict[str, tuple[Client, Client]], submitted_at: float
    ) -> bool:
        """Complete the dossier's next open task (found as its role would); False when none is open yet."""
        for key, user in TASK_USER.items():
            first, second = racers[user]
            resp = first.request("find task", "GET", f"/api/v1/tasks?dossier={code}")
            if resp is None or resp.status_code != 200:
                return False
            open_ = [t for t in resp.json() if t["task"] == key]
            if not open_:
                continue
            if key == "reception_check" and self.report.lookup_s[code] is None:
                self.report.lookup_s[code] = time.monotonic() - submitted_at
            statuses = self._race(f"/api/v1/tasks/{open_[0]['id']}/complete", key, first, second)
            with self.report.lock:
                self.report.races.append((key, statuses))
            return True
        return False

    def _race(self, path: str, key: str, *clients: Client) -> list[int]:
        """The same completion by two officials at the same moment; their statuses."""
        barrier = threading.Barrier(len(clients))
        statuses: list[int] = []

        def complete(client: Client) -> None:
            barrier.wait()
            got = client.request("complete task", "POST", path, json={"data": TASK_FORMS[key]})
            statuses.append(got.status_code if got is not None else 0)

        threads = [threading.Thread(target=complete, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return statuses

    def run(self) -> Report:
        load = self.load
        started = time.monotonic()
        self.deadline = started + load.max_seconds
        reader_users = (RECEPTION, OFFICER, CHAIRMAN, "auditor", "portal")
        readers = [self.logged_in(u) for u in reader_users]
        tokens = [(c.token, u in ROLE_USER.values()) for c, u in zip(readers, reader_users, strict=True)]
        admin = self.logged_in("admin").token
        for c in readers:
            c.close()
        ops: list[Callable[[], None]] = [lambda i=i: self.op_dossier(i) for i in range(load.dossiers)]
        others: list[Callable[[], None]] = (
            [lambda i=i: self.op_login(i) for i in range(load.logins)]
            + [lambda i=i: self.op_wrong_login(i) for i in range(load.wrong_logins)]
            + [lambda i=i: self.op_page_login(i) for i in range(load.page_logins)]
            + [lambda i=i: self.op_reads(*tokens[i % len(tokens)]) for i in range(load.read_rounds)]
            + [lambda i=i: self.op_registry_write(admin, i) for i in range(load.registry_writes)]
        )
        random.Random(7).shuffle(others)  # the kinds interleaved, in the same order every run
        ops += others  # behind the long-running dossiers, which start first

        def bounded(op: Callable[[], None]) -> None:
            if not self.expired():
                op()
                return
            with self.report.lock:
                self.report.skipped += 1

        with ThreadPoolExecutor(max_workers=load.threads, thread_name_prefix="load") as pool:
            for future in [pool.submit(bounded, op) for op in ops]:
                future.result()  # a bug in the driver itself surfaces here, not as a silent gap
        self.report.wall_s = time.monotonic() - started
        return self.report


def drive(stack: Stack, load: Load | None = None) -> Report:
    return Driver(stack, load or Load()).run()
