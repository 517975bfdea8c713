"""The fault suite (issue 11 §2): concurrent officials against the real stack while gunicorn workers — and
with them the job-runner threads inside them — are SIGKILLed at random moments; then what must hold.

Shared by `tests/concurrency/test_fault_suite.py` (bounded, asserts) and `bench/fault_suite.py` (prints the
report). Each official submits birth dossiers (with an `Idempotency-Key`, so a submission retried after a
dropped connection is not a second dossier) and drives them to `completed`; a request whose connection
dies with its worker is retried, as a browser or the portal would. Afterwards:

- every acknowledged command (a 201 submission, a 200 completion) is in the dossier's audit trail;
- no dossier is half-written: `/verify` (hash chain + re-execution: status, data, open tasks) passes;
- every dossier finished, no job is left running or failed, no incident;
- no job ran twice with two effects: one registry result per service task, one personal id per child and
  no two dossiers with the same one.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tests.concurrency.live_load import (
    CHAIRMAN,
    OFFICER,
    RECEPTION,
    TASK_FORMS,
    TASK_USER,
    Client,
    Report,
    Stack,
    birth_payload,
)

# a short lease, so a job claimed by a killed worker's runner is taken over within seconds, not a minute
FAULT_ENV = {"HOTICH_JOB_LEASE_SECONDS": "5"}
GIVEN_NAMES = ("An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Khang", "Lan", "Minh", "Nga", "Phúc", "Quân")


@dataclass
class FaultLoad:
    officials: int = 4  # concurrent client threads, each driving its own dossiers
    dossiers: int = 8
    kills: int = 3  # SIGKILLs of gunicorn workers during the load
    kill_gap_s: tuple[float, float] = (1.5, 4.0)
    max_seconds: float = 240.0  # load and settling together


@dataclass
class FaultReport:
    http: Report = field(default_factory=Report)
    acknowledged: list[tuple[str, str]] = field(default_factory=list)  # (dossier code, "submit" | task key)
    kills: list[tuple[float, int]] = field(default_factory=list)  # (seconds into the run, pid)
    retried: int = 0  # requests repeated after a dropped connection
    final: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> dossier
    verify: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    persons: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # personal id -> registry record
    wall_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def problems(self) -> list[str]:
        """Everything that must not happen, in words; empty when the run held."""
        out = [f"{r.method} {r.path} → {r.status}: {r.body[:200]}" for r in self.http.server_errors()]
        for code, command in self.acknowledged:
            events = self.events.get(code)
            if events is None:
                out.append(f"{code}: acknowledged {command}, but the dossier is missing")
            elif command != "submit" and not any(
                e["type"] == "task_completed" and e["task"] == command for e in events
            ):
                out.append(f"{code}: acknowledged completion of {command} is not in its audit trail")
        for code, dossier in self.final.items():
            if dossier.get("status") != "completed":
                out.append(f"{code}: not completed ({dossier.get('status')})")
            if dossier.get("registry_calls"):
                out.append(f"{code}: still waits on the registry: {dossier['registry_calls']}")
            check = self.verify.get(code, {})
            if not (check.get("chain_ok") and check.get("replay_ok")):
                out.append(f"{code}: /verify failed: {check}")
            results = Counter(e["task"] for e in self.events.get(code, []) if e["type"] == "external_result")
            out += [f"{code}: {task} fed {n} results" for task, n in results.items() if n > 1]
        ids = Counter(d.get("result", {}).get("personal_id") for d in self.final.values())
        out += [f"personal id {pid} given to {n} dossiers" for pid, n in ids.items() if pid and n > 1]
        out += [
            f"dossier with no personal id: {c}"
            for c, d in self.final.items()
            if not d["result"].get("personal_id")
        ]
        for code, dossier in self.final.items():
            pid = dossier["result"].get("personal_id")
            person = self.persons.get(pid) if pid else None
            if pid and (person is None or person["full_name"] != dossier["data"]["child"]["full_name"]):
                out.append(f"{code}: registry person {pid} is not its child: {person}")
        out += [f"incident: {i}" for i in self.incidents]
        return out

    def summary(self) -> str:
        statuses = Counter(d.get("status") for d in self.final.values())
        verified = sum(bool(v.get("chain_ok") and v.get("replay_ok")) for v in self.verify.values())
        distinct = len({d["result"].get("personal_id") for d in self.final.values()})
        return "\n".join(
            [
                f"{len(self.final)} dossiers, {len(self.acknowledged)} acknowledged commands, "
                f"{len(self.kills)} workers SIGKILLed at "
                + ", ".join(f"{t:.1f} s" for t, _ in self.kills)
                + f"; {self.retried} requests retried after a dropped connection; {self.wall_s:.1f} s",
                "final status: " + ", ".join(f"{s}×{n}" for s, n in sorted(statuses.items())),
                f"verify ok: {verified}/{len(self.final)}; incidents: {len(self.incidents)}; "
                f"distinct personal ids: {distinct}",
                self.http.summary(),
            ]
        )


def fault_payload(run: int, i: int) -> dict[str, Any]:
    """A valid birth dossier whose child is unique in this run (KS-10 never blocks it)."""
    body = birth_payload(i, "counter")
    child = body["data"]["child"]
    child["full_name"] = f"{child['full_name']} {GIVEN_NAMES[(run + i // 16) % len(GIVEN_NAMES)]}"
    return body


class FaultDriver:
    def __init__(self, stack: Stack, load: FaultLoad) -> None:
        self.stack, self.load = stack, load
        self.report = FaultReport()
        self.started = 0.0
        self.deadline = 0.0
        self.loading = threading.Event()  # set while officials still work: the killer only kills then
        self.run_id = random.randrange(1_000_000)
        self.tokens: dict[str, str] = {}

    # -- HTTP with retries after a dropped connection ---------------------------------------------------
    def client(self, user: str | None = None) -> Client:
        client = Client(self.stack.base_url, self.report.http)
        client.token = self.tokens.get(user) if user else None
        return client

    def call(self, client: Client, kind: str, method: str, path: str, **kwargs: Any) -> Any:
        """The response; a dropped connection (its worker was killed) or a 503 while gunicorn replaces the
        worker is retried until the deadline. None only when the run's time is up."""
        while time.monotonic() < self.deadline:
            resp = client.request(kind, method, path, **kwargs)
            if resp is not None and resp.status_code not in (502, 503, 504):
                return resp
            with self.report.lock:
                self.report.retried += 1
            time.sleep(0.3)
        return None

    def login_all(self) -> None:
        for user in (RECEPTION, OFFICER, CHAIRMAN, "auditor", "admin"):
            client = self.client()
            resp = self.call(
                client,
                "login",
                "POST",
                "/api/v1/auth/token",
                json={"username": user, "password": "demo12345"},
            )
            if resp is None or resp.status_code != 200:
                raise RuntimeError(
                    f"login of {user} failed: {resp.status_code if resp is not None else 'no answer'}"
                )
            self.tokens[user] = resp.json()["token"]
            client.close()

    def ack(self, code: str, command: str) -> None:
        with self.report.lock:
            self.report.acknowledged.append((code, command))

    # -- one official's dossier ---------------------------------------------------------------------------
    def drive_dossier(self, i: int) -> None:
        clients = {u: self.client(u) for u in (RECEPTION, OFFICER, CHAIRMAN)}
        key = f"fault-{self.run_id}-{i}-{uuid.uuid4().hex[:8]}"
        resp = self.call(
            clients[RECEPTION], "submit", "POST", "/api/v1/dossiers",
            json=fault_payload(self.run_id, i), headers={"Idempotency-Key": key},
        )  # fmt: skip
        # 200: the first attempt was committed before its worker was killed, and the retry with the same
        # Idempotency-Key is answered with that dossier (api.md) — the same submission, acknowledged now
        if resp is None or resp.status_code not in (200, 201):
            raise RuntimeError(f"submission {i} refused: {resp.status_code if resp is not None else '-'}")
        code = resp.json()["code"]
        self.ack(code, "submit")
        while time.monotonic() < self.deadline:
            status = self.call(clients[OFFICER], "poll", "GET", f"/api/v1/dossiers/{code}")
            if status is not None and status.status_code == 200 and status.json()["status"] == "completed":
                break
            if not self.complete_next(code, clients):
                time.sleep(0.3)  # a job of the runner (registry lookup, registration) is due
        for client in clients.values():
            client.close()

    def complete_next(self, code: str, clients: dict[str, Client]) -> bool:
        for task_key, user in TASK_USER.items():
            found = self.call(clients[user], "find task", "GET", f"/api/v1/tasks?dossier={code}")
            if found is None or found.status_code != 200:
                return False
            open_ = [t for t in found.json() if t["task"] == task_key]
            if not open_:
                continue
            path = f"/api/v1/tasks/{open_[0]['id']}/complete"
            done = self.call(clients[user], "complete", "POST", path, json={"data": TASK_FORMS[task_key]})
            if done is not None and done.status_code == 200:
                self.ack(code, task_key)
            # a 409 after a retry: the first attempt went through before its connection dropped, or not —
            # either way the task list says what is open next
            return True
        return False

    # -- the killer -----------------------------------------------------------------------------------------
    def kill_workers(self) -> None:
        rng = random.Random(self.run_id)
        for _ in range(self.load.kills):
            time.sleep(rng.uniform(*self.load.kill_gap_s))
            if not self.loading.is_set():
                return
            workers = self.stack.worker_pids()
            if not workers:
                continue
            pid = rng.choice(workers)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            with self.report.lock:
                self.report.kills.append((time.monotonic() - self.started, pid))

    # -- afterwards -----------------------------------------------------------------------------------
    def settle_and_collect(self, codes: list[str]) -> None:
        auditor, admin = self.client("auditor"), self.client("admin")
        while (
            time.monotonic() < self.deadline
        ):  # the jobs left to a killed runner, taken over after the lease
            resp = self.call(admin, "incidents", "GET", "/api/v1/incidents")
            pending = [
                c for c in codes
                if (d := self.call(auditor, "final", "GET", f"/api/v1/dossiers/{c}")) is not None
                and d.status_code == 200 and d.json().get("registry_calls")
            ]  # fmt: skip
            if not pending and resp is not None and resp.status_code == 200:
                break
            time.sleep(1.0)
        for code in codes:
            got = self.call(auditor, "final", "GET", f"/api/v1/dossiers/{code}")
            self.report.final[code] = (
                got.json() if got is not None and got.status_code == 200 else {"result": {}}
            )
            check = self.call(auditor, "verify", "GET", f"/api/v1/dossiers/{code}/verify")
            self.report.verify[code] = check.json() if check is not None and check.status_code == 200 else {}
            events = self.call(auditor, "events", "GET", f"/api/v1/dossiers/{code}/events")
            if events is not None and events.status_code == 200:
                self.report.events[code] = events.json()
        incidents = self.call(admin, "incidents", "GET", "/api/v1/incidents")
        self.report.incidents = (
            incidents.json() if incidents is not None and incidents.status_code == 200 else []
        )
        for dossier in self.report.final.values():
            pid = dossier["result"].get("personal_id")
            if pid:
                person = self.call(admin, "registry", "GET", f"/api/v1/registry/persons/{pid}")
                self.report.persons[pid] = (
                    person.json() if person is not None and person.status_code == 200 else None
                )
        auditor.close()
        admin.close()

    def run(self) -> FaultReport:
        self.started = time.monotonic()
        self.deadline = self.started + self.load.max_seconds
        self.login_all()
        self.loading.set()
        killer = threading.Thread(target=self.kill_workers, name="killer", daemon=True)
        killer.start()
        taken = itertools.count()  # as many as it takes: a fast stack must not run dry before the kills
        lock = threading.Lock()

        def official() -> None:
            # at least `dossiers` dossiers, and more while the killer still has kills to make: no kill
            # falls on an idle stack
            while time.monotonic() < self.deadline:
                with lock:
                    i = next(taken)
                if i >= self.load.dossiers and not killer.is_alive():
                    return
                self.drive_dossier(i)

        with ThreadPoolExecutor(max_workers=self.load.officials, thread_name_prefix="official") as pool:
            for future in [pool.submit(official) for _ in range(self.load.officials)]:
                future.result()
        self.loading.clear()
        killer.join()
        codes = sorted({code for code, command in self.report.acknowledged if command == "submit"})
        self.settle_and_collect(codes)
        self.report.wall_s = self.report.http.wall_s = time.monotonic() - self.started
        return self.report


def run_faults(stack: Stack, load: FaultLoad | None = None) -> FaultReport:
    return FaultDriver(stack, load or FaultLoad()).run()
