"""The transaction of one command: lock the dossier, drive the engine, save everything together.

Camunda's idea of a transaction: a command moves an instance from one wait state to the next, and the engine
state, the open-task table, the audit events and the jobs commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from SpiffWorkflow.exceptions import WorkflowException
from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.domain.text import fold
from app.engine.clock import FixedClock
from app.engine.runtime import EngineError, Instance
from app.models import Dossier, Job, OpenTask, db
from app.procedures import all_procedures
from app.services.audit import PendingEvent, append_events
from app.services.errors import Conflict, NotFound, ServiceError
from app.services.notifications import queue_status_mail
from app.services.operations import CommandDispatcher, task_due_at
from app.services.processes import definition_for


class EngineFailure(ServiceError):
    status, code = 500, "engine_error"


def begin_write() -> None:
    """End any read transaction and start a write transaction (BEGIN IMMEDIATE on SQLite).

    SQLite cannot upgrade a WAL read snapshot once another writer committed (SQLITE_BUSY_SNAPSHOT), so a
    command takes the write lock first and waits its turn (busy timeout); PostgreSQL locks the row instead.
    """
    db.session.commit()
    db.session.connection(execution_options={"hotich_write": True})


def lock_dossier(*, code: str | None = None, dossier_id: int | None = None) -> Dossier:
    """Load and lock the dossier row (SELECT … FOR UPDATE on PostgreSQL) with fresh values."""
    query = select(Dossier).with_for_update().execution_options(populate_existing=True)
    query = query.where(Dossier.code == code) if code is not None else query.where(Dossier.id == dossier_id)
    dossier = db.session.scalars(query).first()
    if dossier is None:
        raise NotFound("Không tìm thấy hồ sơ.")
    return dossier


def run_command(
    dossier: Dossier,
    event: PendingEvent,
    now: datetime,
    action: Callable[[Instance], None],
    open_task_ids: set[str] | None = None,
) -> Instance:
    """Load the dossier's instance, apply `action`, and persist the result with `event` (caller commits)."""
    dispatcher = CommandDispatcher(dossier, now)
    instance = Instance.load(
        definition_for(dossier.process_version_id), dossier.state, FixedClock(now), dispatcher
    )
    pending_before = {c.task_id for c in instance.pending_calls()}
    # no autoflush: the dossier row is written once, at commit, instead of before every query an
    # internal operation makes
    with db.session.no_autoflush:
        try:
            action(instance)
        except EngineError:
            raise
        except WorkflowException as exc:
            raise EngineFailure(f"Lỗi khi chạy quy trình: {exc}") from exc
        persist(dossier, instance, [event, *dispatcher.events], now, pending_before, open_task_ids)
    return instance


def persist(
    dossier: Dossier,
    instance: Instance,
    events: list[PendingEvent],
    now: datetime,
    pending_before: set[str],
    open_task_ids: set[str] | None = None,
) -> None:
    """Write engine state, derived columns, the open-task table, new jobs and the events."""
    data = instance.data()
    previous = dossier.status if dossier.last_event_seq else None  # None: a new dossier
    dossier.state = instance.dump()
    dossier.data = data.get("dossier") or dossier.data
    dossier.status = instance.status(dossier.status)
    dossier.next_timer_at = instance.next_timer_at()
    dossier.search_text = search_text(dossier.code, dossier.data)
    if instance.workflow.is_completed() and dossier.completed_at is None:
        dossier.completed_at = now
    sync_open_tasks(dossier, instance, now, open_task_ids)
    queue_status_mail(dossier, previous, now)  # handed to the outbox after commit, never inside it
    for call in instance.pending_calls():
        if call.task_id not in pending_before:
            db.session.add(
                Job(
                    kind="service_call",
                    dossier_id=dossier.id,
                    status="pending",
                    run_at=now,
                    created_at=now,
                    payload={
                        "task": call.task_key,
                        "task_id": call.task_id,
                        "operation": call.operation,
                        "params": call.params,
                    },
                )
            )
    append_events(dossier, now, events)


def sync_open_tasks(
    dossier: Dossier, instance: Instance, now: datetime, existing: set[str] | None = None
) -> None:
    """Make the open-task rows match the READY user tasks (claims on tasks still open are kept).

    `existing` is the dossier's open-task ids when the caller already read them under the lock."""
    ready = {t.id: t for t in instance.ready_tasks()}
    if existing is None:
        existing = set(db.session.scalars(select(OpenTask.id).where(OpenTask.dossier_id == dossier.id)))
    gone = existing - set(ready)
    if gone:
        db.session.execute(delete(OpenTask).where(OpenTask.id.in_(gone)))
    for task_id, task in ready.items():
        if task_id in existing:
            continue
        db.session.add(
            OpenTask(
                id=task_id,
                dossier_id=dossier.id,
                dossier_code=dossier.code,
                procedure=dossier.procedure,
                task_key=task.key,
                title=task.title,
                role=task.role,
                commune_code=dossier.commune_code,
                created_at=now,
                due_at=task_due_at(dossier, instance.definition.user_tasks.get(task.key), now),
                search_text=dossier.search_text,
            )
        )


def search_paths() -> list[tuple[str, str]]:
    """The name fields every registered procedure lets the inbox search, each once."""
    return list(dict.fromkeys(path for p in all_procedures() for path in p.search_fields))


def search_text(code: str, data: dict[str, Any]) -> str:
    """Diacritics-insensitive text the inbox searches ("nguyen van a" finds "Nguyễn Văn A")."""
    parts = [code.lower()]
    for block, key in search_paths():
        value = (data.get(block) or {}).get(key) if isinstance(data.get(block), dict) else None
        if isinstance(value, str):
            parts.append(fold(value))
    return " | ".join(parts)


def commit_command() -> None:
    """Commit; a concurrent writer that got there first turns into 409 and nothing of ours is kept."""
    try:
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict("Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại.", code="stale") from exc
    except OperationalError as exc:
        db.session.rollback()
        if "locked" in str(exc).lower():
            raise Conflict("Hồ sơ đang được xử lý, vui lòng thử lại.", code="busy") from exc
        raise
