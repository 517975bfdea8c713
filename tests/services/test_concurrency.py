"""Two officials completing the same task at the same moment: exactly one wins, the other gets 409.

Runs with real concurrent connections on SQLite (BEGIN IMMEDIATE) and PostgreSQL (SELECT … FOR UPDATE):
`make test` runs this module on both.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from app.extensions import db
from app.models import AuditEvent, Dossier, OpenTask
from app.services import commands
from app.services.jobs import run_pending
from tests.api_client import Api, birth_submission


def _ready_dossier(app: Any, api: Api) -> str:
    code = str(api.post("reception.hoankiem", "/dossiers", json=birth_submission()).get_json()["code"])
    with app.app_context():
        run_pending()
        db.session.remove()
    return code


def _events(app: Any, code: str) -> list[str]:
    with app.app_context():
        d = db.session.query(Dossier).filter_by(code=code).one()
        types = [
            e.type for e in db.session.query(AuditEvent).filter_by(dossier_id=d.id).order_by(AuditEvent.seq)
        ]
        db.session.remove()
        return types


@pytest.mark.parametrize("round_", range(3))
def test_same_task_completed_concurrently_exactly_one_wins(app: Any, round_: int) -> None:
    api = Api(app.test_client())
    code = _ready_dossier(app, api)
    task = api.task("reception.hoankiem", code, "reception_check")
    token = api.token("reception.hoankiem")
    before = _events(app, code)
    barrier = threading.Barrier(2)
    results: list[int] = []

    def worker() -> None:
        client = app.test_client()
        barrier.wait()
        resp = client.post(
            f"/api/v1/tasks/{task['id']}/complete",
            json={"data": {"decision": "accept"}},
            headers={"Authorization": f"Bearer {token}"},
        )
        results.append(resp.status_code)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409], results
    after = _events(app, code)
    assert after[: len(before)] == before
    assert after[len(before) :].count("task_completed") == 1
    dossier = api.get("officer.hoankiem", f"/dossiers/{code}").get_json()
    assert dossier["status"] == "processing"
    assert [t["task"] for t in dossier["tasks"]] == ["officer_examine"]
    assert api.get("auditor", f"/dossiers/{code}/verify").get_json()["replay_ok"] is True


def test_parallel_submissions_get_distinct_codes(app: Any) -> None:
    api = Api(app.test_client())
    token = api.token("reception.hoankiem")
    codes: list[str] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        client = app.test_client()
        barrier.wait()
        resp = client.post(
            "/api/v1/dossiers", json=birth_submission(), headers={"Authorization": f"Bearer {token}"}
        )
        assert resp.status_code == 201, resp.get_json()
        codes.append(resp.get_json()["code"])

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(codes)) == 4
    assert sorted(int(c.rsplit("-", 1)[1]) for c in codes) == [1, 2, 3, 4]


def test_a_crash_mid_command_leaves_the_dossier_as_it_was(app: Any, monkeypatch: Any) -> None:
    api = Api(app.test_client())
    code = _ready_dossier(app, api)
    task = api.task("reception.hoankiem", code, "reception_check")
    with app.app_context():
        d = db.session.query(Dossier).filter_by(code=code).one()
        snapshot = (d.state, d.status, d.row_version, d.last_event_seq)
        db.session.remove()

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("power cut while writing events")

    monkeypatch.setattr(commands, "append_events", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    resp = api.post(
        "reception.hoankiem", f"/tasks/{task['id']}/complete", json={"data": {"decision": "accept"}}
    )
    assert resp.status_code == 500
    with app.app_context():
        d = db.session.query(Dossier).filter_by(code=code).one()
        assert (d.state, d.status, d.row_version, d.last_event_seq) == snapshot
        assert [t.task_key for t in db.session.query(OpenTask).filter_by(dossier_id=d.id)] == [
            "reception_check"
        ]
        db.session.remove()
    monkeypatch.undo()
    assert (
        api.post(
            "reception.hoankiem", f"/tasks/{task['id']}/complete", json={"data": {"decision": "accept"}}
        ).status_code
        == 200
    )


@pytest.mark.parametrize("loser_does", ["complete", "claim"])
def test_a_command_that_waited_for_the_lock_sees_the_winners_head_and_tasks(
    app: Any, backend: str, monkeypatch: Any, loser_does: str
) -> None:
    """The lock statement also reads the sealed head and the open tasks. On PostgreSQL a SELECT … FOR UPDATE
    that waited re-reads the locked dossier row but not the joined rows: the loser must notice (its head is
    older than the dossier) and read them again, so it answers 409 task_closed and seals nothing stale."""
    from sqlalchemy import event

    from app.services import tasks as task_service

    api = Api(app.test_client())
    code = _ready_dossier(app, api)
    task = api.task("reception.hoankiem", code, "reception_check")
    token = api.token("reception.hoankiem")
    winner_locked = threading.Event()
    real_run_command = task_service.run_command

    def slow_run_command(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == "winner":
            winner_locked.set()
            threading.Event().wait(0.6)  # holds the dossier lock while the loser queues behind it
        return real_run_command(*args, **kwargs)

    monkeypatch.setattr(task_service, "run_command", slow_run_command)
    with app.app_context():
        engine = db.engine
    head_reads: dict[str, int] = {}

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        name = threading.current_thread().name
        if statement.lstrip().startswith("SELECT audit_head."):
            head_reads[name] = head_reads.get(name, 0) + 1

    results: dict[str, tuple[int, str | None]] = {}

    def complete(name: str) -> None:
        action = "complete" if name == "winner" else loser_does
        resp = app.test_client().post(
            f"/api/v1/tasks/{task['id']}/{action}",
            json={"data": {"decision": "accept"}} if action == "complete" else None,
            headers={"Authorization": f"Bearer {token}"},
        )
        results[name] = (resp.status_code, ((resp.get_json() or {}).get("error") or {}).get("code"))

    event.listen(engine, "before_cursor_execute", count)
    try:
        winner = threading.Thread(target=complete, args=("winner",), name="winner")
        winner.start()
        assert winner_locked.wait(10)
        loser = threading.Thread(target=complete, args=("loser",), name="loser")
        loser.start()
        winner.join()
        loser.join()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert results["winner"][0] == 200
    assert results["loser"] == (409, "task_closed")
    if backend == "postgres":
        assert head_reads.get("loser") == 1  # the stale joined head was read again under the lock
    assert _events(app, code).count("task_completed") == 1
    verdict = api.get("auditor", f"/dossiers/{code}/verify").get_json()
    assert (verdict["chain_ok"], verdict["replay_ok"], verdict["problems"]) == (True, True, [])
