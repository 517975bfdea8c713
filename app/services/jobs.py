"""The job runner: external calls and timers, outside any dossier transaction.

A runner claims due jobs with row locks (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite serializes writers),
makes the call with no transaction open, and feeds the result back as a recorded command. Failures retry
with exponential backoff; after the last attempt the job becomes an incident an admin can retry. A job whose
lease expired (its worker died) is claimed again; feeding a result twice is harmless because the command
checks that the service task is still waiting, and registry writes carry an idempotency key.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from app.engine.runtime import EngineError
from app.integrations.registry import RegistryRejected
from app.models import Dossier, Job, User, db
from app.procedures import get as get_procedure
from app.services.audit import PendingEvent
from app.services.commands import begin_write, commit_command, lock_dossier, run_command
from app.services.errors import Conflict, Forbidden, NotFound, ServiceError
from app.services.runtime import runtime

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
BACKOFF_BASE_S = 2.0


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def claim_jobs(worker: str, limit: int = 10) -> list[int]:
    """Atomically take up to `limit` due jobs (pending, or running with an expired lease)."""
    now = runtime().clock.now()
    begin_write()
    query = (
        select(Job)
        .where(
            or_(
                and_(Job.status == "pending", Job.run_at <= now),
                and_(Job.status == "running", Job.locked_until < now),
            )
        )
        .order_by(Job.run_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    jobs = db.session.scalars(query).all()
    for job in jobs:
        job.status, job.locked_by, job.locked_until = "running", worker, now + LEASE
        job.attempts += 1
    ids = [j.id for j in jobs]
    db.session.commit()
    return ids


def perform_call(job: Job, dossier_data: dict[str, Any], procedure: str, code: str) -> Any:
    """Make the external call of a service-call job; no database transaction is open here."""
    op = job.payload["operation"]
    call = get_procedure(procedure).registry_call(op)
    if call is None:
        raise RegistryRejected(f"unknown operation {op}")
    return call(runtime().registry, dossier_data, code, runtime().clock.now())


def run_job(job_id: int) -> str:
    """Run one claimed job: call out, then feed the result back in its own transaction."""
    job = db.session.get(Job, job_id)
    if job is None:
        return "missing"
    dossier = db.session.get(Dossier, job.dossier_id)
    assert dossier is not None
    data, procedure, code, attempts = dict(dossier.data), dossier.procedure, dossier.code, job.attempts
    db.session.commit()  # no transaction stays open across the external call
    try:
        result = perform_call(job, data, procedure, code)
    except Exception as exc:  # noqa: BLE001 - every failure is retried, then becomes an incident
        log.warning("job %s failed (attempt %s): %s", job_id, attempts, exc)
        _record_failure(job_id, f"{type(exc).__name__}: {exc}")
        return "failed"
    try:
        feed_result(job_id, result)
    except ServiceError as exc:
        _record_failure(job_id, f"{type(exc).__name__}: {exc.message}")
        return "failed"
    return "done"


def feed_result(job_id: int, result: Any) -> None:
    """Record the external result as a command on the dossier and mark the job done, together."""
    now = runtime().clock.now()
    begin_write()
    job = db.session.get(Job, job_id, populate_existing=True)
    if job is None or job.status == "done":
        db.session.rollback()
        return
    dossier = lock_dossier(dossier_id=job.dossier_id)
    task_key = job.payload["task"]
    event = PendingEvent(
        "external_result",
        "system",
        task_key,
        {"operation": job.payload["operation"], "result": result, "job": job.id},
    )

    def action(instance: Any) -> None:
        instance.complete_call(task_key, result)

    try:
        run_command(dossier, event, now, action)
    except EngineError:
        # the task no longer waits (result fed by an earlier run of this job): nothing to do
        db.session.rollback()
        begin_write()
        job = db.session.get(Job, job_id, populate_existing=True)
        assert job is not None
    _apply_result(dossier, job.payload["operation"], result)
    job.status, job.finished_at, job.locked_by, job.locked_until = "done", now, None, None
    commit_command()


def _apply_result(dossier: Dossier, operation: str, result: Any) -> None:
    """What the call's result changes on the dossier itself, as its procedure keeps it."""
    if not isinstance(result, dict):
        return
    found = get_procedure(dossier.procedure).registry_operations.get(operation)
    if found is not None and found.apply is not None:
        found.apply(dossier, result)


def _record_failure(job_id: int, error: str) -> None:
    now = runtime().clock.now()
    db.session.rollback()
    begin_write()
    job = db.session.get(Job, job_id, populate_existing=True)
    if job is None:
        db.session.rollback()
        return
    job.last_error = error[:2000]
    job.locked_by = job.locked_until = None
    if job.attempts >= job.max_attempts:
        job.status = "failed"  # an incident: shown to admins, retried by hand
    else:
        job.status = "pending"
        job.run_at = now + timedelta(seconds=BACKOFF_BASE_S * 2 ** (job.attempts - 1))
    db.session.commit()


def fire_due_timers(limit: int = 20) -> int:
    """Advance the dossiers whose next timer is due; each in its own transaction."""
    now = runtime().clock.now()
    ids = db.session.scalars(select(Dossier.id).where(Dossier.next_timer_at < now).limit(limit)).all()
    db.session.commit()
    fired = 0
    for dossier_id in ids:
        begin_write()
        dossier = lock_dossier(dossier_id=dossier_id)
        # SpiffWorkflow fires a timer strictly after its time; `<=` would record an event that moves nothing
        if dossier.next_timer_at is None or dossier.next_timer_at >= now:
            db.session.rollback()
            continue
        event = PendingEvent("timer", "system", None, {"due": dossier.next_timer_at.isoformat()})
        run_command(dossier, event, now, lambda inst: inst.advance())
        try:
            commit_command()
            fired += 1
        except Conflict:
            continue
    return fired


def run_pending(max_rounds: int = 50) -> int:
    """Run due jobs and timers until none are left (tests and the CLI); returns the number of jobs run."""
    worker = worker_id()
    total = 0
    for _ in range(max_rounds):
        ids = claim_jobs(worker)
        fired = fire_due_timers()
        for job_id in ids:
            run_job(job_id)
        total += len(ids)
        if not ids and not fired:
            break
    return total


def list_incidents(actor: User) -> list[dict[str, Any]]:
    if not actor.has_role("admin"):
        raise Forbidden("Chỉ quản trị viên xem sự cố.")
    rows = db.session.execute(
        select(Job, Dossier.code)
        .join(Dossier, Dossier.id == Job.dossier_id)
        .where(Job.status == "failed")
        .order_by(Job.id)
    ).all()
    return [
        {
            "id": j.id,
            "dossier_code": code,
            "operation": j.payload.get("operation"),
            "attempts": j.attempts,
            "last_error": j.last_error,
            "created_at": j.created_at.isoformat(),
        }
        for j, code in rows
    ]


def retry_incident(actor: User, job_id: int) -> None:
    if not actor.has_role("admin"):
        raise Forbidden("Chỉ quản trị viên thử lại sự cố.")
    begin_write()
    job = db.session.get(Job, job_id)
    if job is None or job.status != "failed":
        raise NotFound("Không tìm thấy sự cố.")
    job.status, job.attempts, job.run_at = "pending", 0, runtime().clock.now()
    db.session.commit()


class BackgroundRunner(threading.Thread):
    """The default run's job runner: a daemon thread polling for due jobs and timers."""

    def __init__(self, app: Any, interval: float = 1.0) -> None:
        super().__init__(name="hotich-jobs", daemon=True)
        self.app, self.interval = app, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            with self.app.app_context():
                try:
                    run_pending(max_rounds=5)
                except Exception:  # noqa: BLE001 - keep the runner alive; the error is logged
                    log.exception("job runner round failed")
                    db.session.rollback()
                finally:
                    db.session.remove()
            self.stopped.wait(self.interval)


def now_utc() -> datetime:
    return runtime().clock.now()
