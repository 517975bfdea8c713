"""The one write path and the job runner around it: contention is retried, closed tasks are 409, duplicate
Idempotency-Keys give the first dossier, one dossier's failure never stops another's work, and the runner is
woken by the commit that gave it work. `make test` runs this module on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from app.engine.clock import FixedClock
from app.engine.instance import Instance
from app.extensions import db
from app.models import Dossier, Job, LoginThrottle
from app.services import jobs
from app.services.transaction import Busy, write
from tests.api_client import Api, birth_submission


def _ready(app: Any, api: Api) -> str:
    code = str(api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"])
    with app.app_context():
        jobs.run_pending()
        db.session.remove()
    return code


def _locked() -> OperationalError:
    return OperationalError("INSERT …", {}, Exception("database is locked"))


# -- write() ----------------------------------------------------------------------------------------------
def test_contention_is_retried_and_then_the_work_commits(app: Any) -> None:
    calls: list[int] = []

    def work() -> str:
        calls.append(1)
        db.session.add(LoginThrottle(key=f"try:{len(calls)}"))
        if len(calls) < 3:
            raise _locked()
        return "ok"

    with app.app_context():
        assert write(work) == "ok"
        # the two failed attempts were rolled back: only the third attempt's row exists
        assert [a.key for a in db.session.scalars(select(LoginThrottle))] == ["try:3"]
        db.session.remove()


def test_contention_that_never_ends_is_409_busy_and_writes_nothing(app: Any) -> None:
    def work() -> None:
        db.session.add(LoginThrottle(key="never"))
        raise _locked()

    with app.app_context():
        with pytest.raises(Busy) as caught:
            write(work, attempts=3)
        assert caught.value.status == 409 and caught.value.code == "busy"
        assert db.session.scalars(select(LoginThrottle)).all() == []
        db.session.remove()


def test_any_other_error_rolls_back_and_is_not_retried(app: Any) -> None:
    calls: list[int] = []

    def work() -> None:
        calls.append(1)
        db.session.add(LoginThrottle(key="boom"))
        raise ValueError("a bug")

    with app.app_context():
        with pytest.raises(ValueError):
            write(work)
        assert calls == [1] and db.session.scalars(select(LoginThrottle)).all() == []
        db.session.remove()


# -- the task contract --------------------------------------------------------------------------------------
def test_a_closed_task_is_409_for_every_later_attempt_and_unknown_ids_stay_404(app: Any, client: Any) -> None:
    api = Api(client)
    code = _ready(app, api)
    task = api.task("reception.hoankiem", code, "reception_check")
    url = f"/tasks/{task['id']}/complete"
    assert api.post("reception.hoankiem", url, json={"data": {"decision": "accept"}}).status_code == 200
    again = api.post("reception.hoankiem", url, json={"data": {"decision": "accept"}})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "task_closed"
    for action in ("claim", "release"):
        assert api.post("reception.hoankiem", f"/tasks/{task['id']}/{action}").status_code == 409
    # another commune never learns that the task existed
    other = api.post("reception.badinh", url, json={"data": {"decision": "accept"}})
    assert other.status_code == 404
    unknown = api.post(
        "reception.hoankiem", "/tasks/00000000-0000-0000-0000-000000000000/complete", json={"data": {}}
    )
    assert unknown.status_code == 404
    unknown = api.post(
        "reception.hoankiem",
        "/tasks/00000000-0000-0000-0000-000000000000/complete",
        json={"data": {"decision": "accept"}},
    )
    assert unknown.status_code == 404


def test_concurrent_duplicate_idempotency_keys_all_get_the_first_dossier(app: Any) -> None:
    api = Api(app.test_client())
    token = api.token("portal")
    body = birth_submission()
    body["channel"] = "online"
    barrier = threading.Barrier(6)
    answers: list[tuple[int, str]] = []

    def submit() -> None:
        client = app.test_client()
        barrier.wait()
        resp = client.post(
            "/api/v1/dossiers",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "portal-req-42"},
        )
        answers.append((resp.status_code, (resp.get_json() or {}).get("code", "")))

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(s for s, _ in answers)
    assert statuses.count(201) == 1 and all(s in (200, 201) for s in statuses), answers
    assert len({c for _, c in answers}) == 1
    with app.app_context():
        assert len(db.session.scalars(select(Dossier)).all()) == 1
        db.session.remove()


# -- jobs ----------------------------------------------------------------------------------------------------
def test_a_failing_timer_is_that_dossiers_incident_and_blocks_no_other_dossier(
    app: Any, client: Any, clock: FixedClock, monkeypatch: Any
) -> None:
    api = Api(client)
    broken = _ready(app, api)
    api.complete("reception.hoankiem", broken, "reception_check", {"decision": "accept"})
    original = Instance.advance

    def advance(self: Instance) -> None:
        if (self.data().get("meta") or {}).get("code") == broken:
            raise RuntimeError("timer script failed")
        original(self)

    monkeypatch.setattr(Instance, "advance", advance)
    clock.advance(hours=8, seconds=1)  # the broken dossier's apology timer is due
    healthy = str(api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"])
    with app.app_context():
        jobs.run_pending(max_rounds=3)
        db.session.remove()
    # the other dossier's lookup ran: its reception task is there
    assert [t["task"] for t in api.get("reception.hoankiem", f"/tasks?dossier={healthy}").get_json()] == [
        "reception_check"
    ]
    with app.app_context():
        dossier = db.session.scalars(select(Dossier).where(Dossier.code == broken)).one()
        assert dossier.next_timer_at is None  # the scan no longer spins on it
        timer = db.session.scalars(select(Job).where(Job.kind == "timer")).one()
        assert timer.dossier_id == dossier.id and "timer script failed" in (timer.last_error or "")
        db.session.remove()
    for _ in range(6):  # back off, then an incident
        clock.advance(seconds=60)
        with app.app_context():
            jobs.run_pending(max_rounds=2)
            db.session.remove()
    incidents = api.get("admin", "/incidents").get_json()
    assert [(i["dossier_code"], i["operation"]) for i in incidents] == [(broken, "timer")]
    monkeypatch.undo()
    assert api.post("admin", f"/incidents/{incidents[0]['id']}/retry").status_code == 200
    with app.app_context():
        jobs.run_pending()
        db.session.remove()
    assert api.get("admin", "/incidents").get_json() == []
    names = {d["name"] for d in api.get("officer.hoankiem", f"/dossiers/{broken}/documents").get_json()}
    assert "phieu_xin_loi" in names  # the retried timer fired: the apology slip was issued


def test_the_runner_survives_a_job_that_crashes_while_feeding_its_result(
    app: Any, client: Any, monkeypatch: Any
) -> None:
    api = Api(client)
    first = str(api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"])
    second = str(api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"])
    original = jobs._apply_result

    def apply_result(dossier: Dossier, operation: str, result: Any) -> None:
        if dossier.code == first:
            raise KeyError("unexpected registry answer")
        original(dossier, operation, result)

    monkeypatch.setattr(jobs, "_apply_result", apply_result)
    with app.app_context():
        jobs.run_pending(max_rounds=2)
        failed = db.session.scalars(
            select(Job).join(Dossier, Dossier.id == Job.dossier_id).where(Dossier.code == first)
        ).all()
        lookup = next(j for j in failed if j.kind == "service_call")
        assert lookup.status == "pending" and "unexpected registry answer" in (lookup.last_error or "")
        db.session.remove()
    # the crashed feed changed nothing on its dossier; the other dossier went on
    assert api.get("reception.hoankiem", f"/tasks?dossier={first}").get_json() == []
    assert [t["task"] for t in api.get("reception.hoankiem", f"/tasks?dossier={second}").get_json()] == [
        "reception_check"
    ]


def test_the_thread_runner_is_woken_by_the_commit_not_by_its_poll(app: Any, client: Any) -> None:
    """A 30 s poll interval, yet the lookup result is there at once: the commit woke the runner."""
    api = Api(client)
    api.token("reception.hoankiem")
    runner = jobs.BackgroundRunner(app, interval=30.0)
    runner.start()
    try:
        time.sleep(0.3)  # the runner did its first round and now sleeps
        started = time.monotonic()
        code = api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"]
        tasks: list[Any] = []
        while time.monotonic() - started < 5 and not tasks:
            tasks = api.get("reception.hoankiem", f"/tasks?dossier={code}").get_json()
            time.sleep(0.01)
        elapsed = time.monotonic() - started
    finally:
        runner.stop()
        runner.join(timeout=35)
    assert [t["task"] for t in tasks] == ["reception_check"]
    assert elapsed < 2.0, f"lookup visible after {elapsed:.2f} s"


def test_an_idle_runner_only_reads(app: Any, client: Any) -> None:
    """Nothing due (the dossier's jobs ran, its timers lie ahead): a round takes no write lock and writes
    nothing, so an idle runner never queues behind the officials' commands."""
    _ready(app, Api(client))
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()).upper())

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", seen)
        try:
            assert jobs.run_pending() == 0
        finally:
            event.remove(engine, "before_cursor_execute", seen)
            db.session.remove()
    assert statements, "the round read nothing"
    writes = [
        s
        for s in statements
        if s.startswith(("INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE")) or "FOR UPDATE" in s
    ]
    assert writes == []


def test_the_runner_loop_survives_a_round_that_raises(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`run_forever` (the thread runner and `flask worker`) logs a failing round and goes on with the next."""
    rounds: list[int] = []
    stopped = threading.Event()

    def flaky(max_rounds: int = 50) -> int:
        rounds.append(max_rounds)
        if len(rounds) == 1:
            raise RuntimeError("a round that fails")
        if len(rounds) >= 3:
            stopped.set()
        return 0

    monkeypatch.setattr(jobs, "run_pending", flaky)
    loop = threading.Thread(target=jobs.run_forever, args=(app, stopped, 0.01), daemon=True)
    loop.start()
    loop.join(timeout=10)
    assert not loop.is_alive() and len(rounds) >= 3
