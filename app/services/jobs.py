"""The job runner: external calls, timers and status mails, outside any dossier transaction.

A runner first *reads* whether anything is due (no lock while idle), then claims due jobs with row locks
(FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite serializes writers), makes the call with no transaction open,
and feeds the result back as a recorded command. Failures retry with exponential backoff; after the last
attempt the job becomes an incident an admin can retry. A failing job or timer is that dossier's incident
and never stops other dossiers' work. A job whose lease expired (its worker died) is claimed again;
feeding a result twice is harmless because the command checks that the service task is still waiting, and
registry writes carry an idempotency key. Runners are woken right after the commit that created a job
(app.services.job_signal), so a lookup result is on the official's screen within milliseconds.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm.attributes import flag_modified

from app.engine.instance import EngineError
from app.instrumentation import measured
from app.integrations.registry import RegistryRejected
from app.models import Dossier, Job, User, db
from app.procedures import get as get_procedure
from app.services import job_signal
from app.services.audit import PendingEvent
from app.services.collaborators import collaborators
from app.services.commands import dossier_command, lock_dossier, run_command
from app.services.errors import Conflict, Forbidden, NotFound
from app.services.notifications import deliver_mail
from app.services.transaction import write

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)  # the default; HOTICH_JOB_LEASE_SECONDS sets it
BACKOFF_BASE_S = 2.0


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _due(now: datetime) -> Any:
    return or_(
        and_(Job.status == "pending", Job.run_at <= now),
        and_(Job.status == "running", Job.locked_until < now),
    )


def claim_jobs(worker: str, limit: int = 10) -> list[int]:
    """Atomically take up to `limit` due jobs (pending, or running with an expired lease).

    An idle runner only reads: the write lock is taken when there is something to claim."""
    now = collaborators().clock.now()
    if db.session.scalar(select(Job.id).where(_due(now)).limit(1)) is None:
        db.session.commit()
        return []

    lease = timedelta(seconds=collaborators().settings.get("job_lease_seconds", LEASE.total_seconds()))

    def claim() -> list[int]:
        query = select(Job).where(_due(now)).order_by(Job.run_at).limit(limit)
        jobs = db.session.scalars(query.with_for_update(skip_locked=True)).all()
        for job in jobs:
            job.status, job.locked_by, job.locked_until = "running", worker, now + lease
            job.attempts += 1
        return [j.id for j in jobs]

    return write(claim)


def perform_call(job: Job, dossier_data: dict[str, Any], procedure: str, code: str) -> Any:
    """Make the external call of a service-call job; no database transaction is open here."""
    op = job.payload["operation"]
    call = get_procedure(procedure).registry_call(op)
    if call is None:
        raise RegistryRejected(f"unknown operation {op}")
    return call(collaborators().registry, dossier_data, code, collaborators().clock.now())


def run_job(job_id: int) -> str:
    """Run one claimed job; any failure is recorded on the job (retry, then incident), never raised."""
    try:
        job = db.session.get(Job, job_id)
        if job is None:
            return "missing"
        kind, payload, dossier_id = job.kind, dict(job.payload), job.dossier_id
        dossier = db.session.get(Dossier, dossier_id)
        if dossier is None:
            raise LookupError(f"dossier {dossier_id} of job {job_id} is gone")
        data, procedure, code = dict(dossier.data), dossier.procedure, dossier.code
        db.session.commit()  # no transaction stays open across the external call
        if kind == "mail":
            deliver_mail(payload)
            write(lambda: _finish(job_id))
        elif kind == "timer":
            fire_timer(dossier_id, forced=True)
            write(lambda: _finish(job_id))
        else:
            result = perform_call(job, data, procedure, code)
            feed_result(job_id, result)
    except Exception as exc:  # noqa: BLE001 - every failure is retried, then becomes an incident
        log.warning("job %s failed: %s", job_id, exc)
        db.session.rollback()
        # a refusal by the registry (a 4xx) is an answer, not an outage: an incident at once, with its reason
        rejected = isinstance(exc, RegistryRejected)
        error = str(exc) if rejected else f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"
        try:
            write(lambda: _record_failure(job_id, error, rejected=rejected))
        except Exception:  # noqa: BLE001 - the lease expires and the job is claimed again
            log.exception("could not record the failure of job %s", job_id)
        return "failed"
    return "done"


@measured("feed-back command")  # timed on its own by bench/birth_path.py (app/instrumentation.py)
def feed_result(job_id: int, result: Any) -> None:
    """Record the external result as a command on the dossier and mark the job done, together."""

    def apply() -> None:
        job = db.session.get(Job, job_id, populate_existing=True)
        if job is None or job.status == "done":
            return
        dossier = lock_dossier(dossier_id=job.dossier_id)
        task_key, operation = job.payload["task"], job.payload["operation"]
        event = PendingEvent(
            "external_result", "system", task_key, {"operation": operation, "result": result, "job": job.id}
        )
        run_command(dossier, event, now, lambda instance: instance.complete_call(task_key, result))
        _apply_result(dossier, operation, result)
        _close(job)  # the row read at the top of this transaction: no second read of it

    now = collaborators().clock.now()
    try:
        write(apply)
    except EngineError:
        # the task no longer waits (its result was fed by an earlier run of this job): only close the job
        write(lambda: _finish(job_id))


def _finish(job_id: int) -> None:
    job = db.session.get(Job, job_id, populate_existing=True)
    if job is not None:
        _close(job)


def _close(job: Job) -> None:
    job.status, job.finished_at = "done", collaborators().clock.now()
    job.locked_by = job.locked_until = None
    # written even when the row as read had them empty: another runner may have set them since
    flag_modified(job, "locked_by")
    flag_modified(job, "locked_until")


def _apply_result(dossier: Dossier, operation: str, result: Any) -> None:
    """What the call's result changes on the dossier itself, as its procedure keeps it."""
    if not isinstance(result, dict):
        return
    found = get_procedure(dossier.procedure).registry_operations.get(operation)
    if found is not None and found.apply is not None:
        found.apply(dossier, result)


def _record_failure(job_id: int, error: str, *, rejected: bool = False) -> None:
    """Back off and retry later; after the last attempt, or at once when the registry rejected the
    request, the job is an incident (status failed)."""
    now = collaborators().clock.now()
    job = db.session.get(Job, job_id, populate_existing=True)
    if job is None:
        return
    job.last_error = error[:2000]
    job.locked_by = job.locked_until = None
    if rejected or job.attempts >= job.max_attempts:
        job.status = "failed"  # an incident: shown to admins and to the dossier's officials, retried by hand
        job.failure = "rejected" if rejected else "exhausted"
    else:
        job.status = "pending"
        job.run_at = now + timedelta(seconds=BACKOFF_BASE_S * 2 ** (job.attempts - 1))


def fire_due_timers(limit: int = 20) -> int:
    """Advance the dossiers whose next timer is due, each in its own transaction; a timer that fails
    becomes a `timer` job of that dossier (retried with backoff, then an incident) and blocks no other."""
    now = collaborators().clock.now()
    ids = db.session.scalars(select(Dossier.id).where(Dossier.next_timer_at < now).limit(limit)).all()
    db.session.commit()
    fired = 0
    for dossier_id in ids:
        try:
            fired += fire_timer(dossier_id)
        except Conflict:
            continue  # busy or changed meanwhile: the next round looks again
        except Exception as exc:  # noqa: BLE001 - this dossier's incident, not the runner's
            log.warning("timer of dossier %s failed: %s", dossier_id, exc)
            db.session.rollback()
            error = f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"
            try:
                write(lambda: _timer_incident(dossier_id, error, now))  # noqa: B023 - called at once
            except Exception:  # noqa: BLE001 - the next round tries this dossier again
                log.exception("could not record the timer incident of dossier %s", dossier_id)
    return fired


def fire_timer(dossier_id: int, *, forced: bool = False) -> int:
    """Fire the dossier's due timers in one command; 1 when an event was recorded.

    `forced`: a retried timer job (its `next_timer_at` was cleared when it failed)."""
    now = collaborators().clock.now()

    def apply(dossier: Dossier) -> int:
        due = dossier.next_timer_at
        # SpiffWorkflow fires a timer strictly after its time; `<=` would record an event that moves nothing
        if not forced and (due is None or due >= now):
            return 0
        event = PendingEvent("timer", "system", None, {"due": (due or now).isoformat()})
        run_command(dossier, event, now, lambda inst: inst.advance())
        return 1

    return dossier_command(apply, dossier_id=dossier_id)


def _timer_incident(dossier_id: int, error: str, now: datetime) -> None:
    dossier = lock_dossier(dossier_id=dossier_id)
    due = dossier.next_timer_at
    dossier.next_timer_at = None  # the job retries it; the timer scan must not spin on it
    db.session.add(
        Job(
            kind="timer",
            dossier_id=dossier_id,
            status="pending",
            attempts=1,
            run_at=now + timedelta(seconds=BACKOFF_BASE_S),
            created_at=now,
            last_error=error[:2000],
            payload={"operation": "timer", "due": due.isoformat() if due else None},
        )
    )


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
            "failure": j.failure,
            "last_error": j.last_error,
            "created_at": j.created_at.isoformat(),
        }
        for j, code in rows
    ]


def retry_incident(actor: User, job_id: int) -> None:
    if not actor.has_role("admin"):
        raise Forbidden("Chỉ quản trị viên thử lại sự cố.")

    def retry() -> None:
        job = db.session.get(Job, job_id, populate_existing=True)
        if job is None or job.status != "failed":
            raise NotFound("Không tìm thấy sự cố.")
        job.status, job.attempts, job.run_at = "pending", 0, collaborators().clock.now()
        job.failure = None
        job_signal.wake_after_commit()

    write(retry)


def run_forever(app: Any, stopped: threading.Event, interval: float = 1.0) -> None:
    """The runner loop of the thread runner and of `flask worker`: survives any failure of a round and
    sleeps until woken by a commit that created a job (or `interval` seconds, for due timers)."""
    waiter = _waiter(app)
    while not stopped.is_set():
        with app.app_context():
            try:
                run_pending(max_rounds=5)
                from app.services.audit_anchor import anchor_if_due

                anchor_if_due(collaborators().clock.now())  # the daily audit anchor, once a day
            except Exception:  # noqa: BLE001 - keep the runner alive; the error is logged
                log.exception("job runner round failed")
                db.session.rollback()
            finally:
                db.session.remove()
        waiter(interval)


def _waiter(app: Any) -> Any:
    """How the runner sleeps: LISTEN/NOTIFY on PostgreSQL (wakes on any machine's commit), else the
    in-process event set after this process's commits."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() != "postgresql":
        return job_signal.wait
    listener = job_signal.PgListener(url)
    return listener.wait


def warm_up() -> None:
    """What a worker's first dossier would otherwise wait for (bench/lookup_latency.py's cold first sample):
    the active diagrams parsed and the working calendar built (its holiday tables imported)."""
    from app.services.processes import warm_definitions

    warm_definitions()
    collaborators().calendar.is_working_day(collaborators().clock.now().date())
    db.session.commit()


class BackgroundRunner(threading.Thread):
    """The default run's job runner: a daemon thread of each web worker."""

    def __init__(self, app: Any, interval: float = 1.0) -> None:
        super().__init__(name="hotich-jobs", daemon=True)
        self.app, self.interval = app, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        with self.app.app_context():
            try:
                warm_up()
            except Exception:  # noqa: BLE001 - a cold cache only costs time; the runner still starts
                log.exception("could not warm the worker up")
                db.session.rollback()
            finally:
                db.session.remove()
        run_forever(self.app, self.stopped, self.interval)

    def stop(self) -> None:
        self.stopped.set()
        job_signal.wake()
