"""The birth path: demo communes, valid submissions, and the Driver that takes a dossier through every step
over the JSON API (any transport) and runs its jobs in this process."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench import sections
from bench.database import PASSWORD
from bench.probe import Probe
from bench.sql import SqlCounter, SqlSample
from bench.transports import FlaskTransport

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def today_local() -> date:
    return datetime.now(LOCAL_TZ).date()


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
    # Luật Hộ tịch Art. 16(2): entry, personal id, register signed, then the chairman
    ("job register_birth", "job", None, None, None),
    (
        "complete register_sign",
        "task",
        "officer",
        "register_sign",
        {"mode": "in_person", "officer_signed": True},
    ),
    (
        "complete chairman_sign",
        "task",
        "chairman",
        "chairman_sign",
        {"decision": "sign", "signer_title": "chu_tich"},
    ),
    ("complete return_result", "task", "reception", "return_result", {"delivered_via": "counter"}),
]
STAGES = (
    "reception_check",
    "officer_examine",
    "register_sign",
    "chairman_sign",
    "return_result",
    "completed",
)


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

    # the feed-back command (services.jobs.feed_result, which run_job calls) is timed on its own through the
    # app's "feed-back command" section (app/instrumentation.py); the newest Driver measures it
    def _install_feed_probe(self) -> None:
        sections.claim("feed-back command", self._timed_feed_back)

    @contextmanager
    def _timed_feed_back(self) -> Iterator[None]:
        with self._sql() as sample:
            if self.probe:
                self.probe.reset()
            t0 = time.perf_counter()
            try:
                yield
            finally:
                ms = (time.perf_counter() - t0) * 1000
                self._feed.append((ms, sample, self.probe.snapshot(ms) if self.probe else None))

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
