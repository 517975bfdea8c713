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

from app.domain.calendar import LOCAL_TZ
from app.engine.runtime import EngineError
from app.instrumentation import measured
from app.integrations.registry import RegistryRejected
from app.models import Dossier, Job, User, db
from app.services.audit import PendingEvent
from app.services.commands import begin_write, commit_command, lock_dossier, run_command
from app.services.errors import Conflict, Forbidden, NotFound, ServiceError
from app.services.operations import PARTY_ROLES
from app.services.runtime import runtime

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
BACKOFF_BASE_S = 2.0
FAMILY_DEPTH = 3


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
    registry = runtime().registry
    op = job.payload["operation"]
    if op == "registry/lookup_parties":
        result: dict[str, Any] = {}
        for role in PARTY_ROLES[procedure]:
            pid = (
                (dossier_data.get(role) or {}).get("personal_id")
                if isinstance(dossier_data.get(role), dict)
                else None
            )
            if pid:
                result[role] = registry.lookup(pid)
        if procedure == "marriage":
            result["family"] = _family(registry, [r["personal_id"] for r in result.values() if r])
        return result
    if op == "registry/register_birth":
        child = dossier_data.get("child") or {}
        if (child.get("nationality") or "Việt Nam") != "Việt Nam":
            return {"personal_id": None, "reason": "Không cấp số định danh: trẻ không có quốc tịch Việt Nam."}
        record = {
            "full_name": child.get("full_name"),
            "birth_date": child.get("birth_date"),
            "sex": child.get("sex"),
            "ethnicity": child.get("ethnicity"),
            "nationality": child.get("nationality") or "Việt Nam",
            "mother_personal_id": (dossier_data.get("mother") or {}).get("personal_id"),
            "father_personal_id": (dossier_data.get("father") or {}).get("personal_id"),
            "residence_commune_code": None,
        }
        mother = registry.lookup(record["mother_personal_id"]) if record["mother_personal_id"] else None
        record["residence_commune_code"] = (mother or {}).get("residence_commune_code")
        return {"personal_id": registry.create_person(record, code)}
    if op == "registry/register_marriage":
        return _register_marriage(registry, dossier_data, code)
    if op == "registry/register_death":
        person = dossier_data.get("deceased") or {}
        pid = person.get("personal_id")
        if not pid or registry.lookup(pid) is None:
            # a person the registry does not know: the extract is still issued, the registry is told by hand
            return {"recorded": False, "reason": "Người chết không có trong Cơ sở dữ liệu dân cư."}
        registry.record_death(pid, str((dossier_data.get("death") or {}).get("at"))[:10], code)
        return {"recorded": True, "locked": True}
    raise RegistryRejected(f"unknown operation {op}")


def _register_marriage(registry: Any, dossier_data: dict[str, Any], code: str) -> dict[str, Any]:
    """Both parties married, each other's spouse; then read them back (KH-13, LHT Art. 5(6))."""
    from app.domain.rules.marriage import check_registered_marriage

    a = (dossier_data.get("bride") or {}).get("personal_id")
    b = (dossier_data.get("groom") or {}).get("personal_id")
    known = {pid: registry.lookup(pid) for pid in (a, b) if pid}
    if not a or not b or any(record is None for record in known.values()):
        return {
            "recorded": False,
            "reason": "Một bên không có trong Cơ sở dữ liệu quốc gia về dân cư; cập nhật tình trạng hôn nhân "
            "theo quy trình điều chỉnh dữ liệu.",
        }
    married_on = runtime().clock.now().astimezone(LOCAL_TZ).date()
    registry.record_marriage(a, b, married_on.isoformat(), code)
    problems = check_registered_marriage(registry.lookup(a), registry.lookup(b), married_on)
    return {"recorded": True, "check": [f.to_dict() for f in problems]}


def _family(registry: Any, roots: list[str]) -> dict[str, Any]:
    """Parents (and their parents) up to three generations, for the prohibited-relationship rules."""
    family: dict[str, Any] = {}
    frontier = list(roots)
    for _ in range(FAMILY_DEPTH):
        nxt = []
        for pid in frontier:
            rec = family.get(pid) or registry.lookup(pid)
            if not rec:
                continue
            family[pid] = rec
            nxt += [
                p
                for p in (rec.get("mother_personal_id"), rec.get("father_personal_id"))
                if p and p not in family
            ]
        frontier = nxt
    return family


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


@measured("feed-back command")  # timed on its own by bench/birth_path.py (app/instrumentation.py)
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
    if not isinstance(result, dict):
        return
    if operation == "registry/register_birth":
        dossier.result = {**dossier.result, "personal_id": result.get("personal_id")}
    elif operation in ("registry/register_marriage", "registry/register_death"):
        registry = {k: result[k] for k in ("recorded", "reason", "locked") if k in result}
        known = dossier.result.get("flags") or []
        flags = []
        for f in result.get("check") or []:
            flag = {"rule": f["rule"], "severity": "flag", "message": f["message"], "field": f.get("field")}
            if flag not in known:
                flags.append(flag)
        dossier.result = {
            **dossier.result,
            "registry": registry,
            "flags": [*(dossier.result.get("flags") or []), *flags],
        }
        if flags:
            dossier.findings = [*(dossier.findings or []), *flags]


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
