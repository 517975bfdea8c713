"""The transaction of one command: lock the dossier, drive the engine, save everything together.

Camunda's idea of a transaction: a command moves an instance from one wait state to the next, and the engine
state, the open-task table, the audit events and the jobs commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from SpiffWorkflow.exceptions import WorkflowException
from sqlalchemy import bindparam, delete, select, update

from app.domain.text import fold
from app.engine.clock import FixedClock
from app.engine.instance import EngineError, Instance, StateTooLarge
from app.models import AuditHead, ClosedTask, Dossier, Job, OpenTask, db
from app.procedures import all_procedures
from app.services import locked_rows
from app.services.audit import PendingEvent, append_events, remember_before
from app.services.errors import NotFound, ServiceError
from app.services.job_signal import wake_after_commit
from app.services.notifications import queue_status_mail
from app.services.operations import CommandDispatcher, task_due_at
from app.services.processes import definition_for
from app.services.transaction import write
from app.services.working_calendar import generation_column, note_generation

T = TypeVar("T")


class EngineFailure(ServiceError):
    """The process failed at run time (a script error, a bound hit): that command fails, nothing else."""

    status, code = 422, "process_failed"


def dossier_command(
    work: Callable[[Dossier], T], *, code: str | None = None, dossier_id: int | None = None
) -> T:
    """Run `work` on the locked dossier in one write transaction (see app.services.transaction.write)."""
    return write(lambda: work(lock_dossier(code=code, dossier_id=dossier_id)))


def lock_dossier(*, code: str | None = None, dossier_id: int | None = None) -> Dossier:
    """Load and lock the dossier row (SELECT … FOR UPDATE on PostgreSQL) with fresh values.

    The same statement reads what the command needs besides: the sealed audit head (sealed again at
    commit), the open tasks (synchronised), the attachments and document names (rules, the appointment slip,
    unique document names) and the working calendar's generation (app.services.working_calendar)."""
    statement = _lock_statement(db.session.get_bind().dialect.name, by_code=code is not None)
    rows = db.session.execute(statement, {"key": code if code is not None else dossier_id}).all()
    if not rows:
        raise NotFound("Không tìm thấy hồ sơ.")
    dossier: Dossier = rows[0][0]
    head: AuditHead | None = rows[0][1]
    tasks = [row[2] for row in rows if row[2] is not None]
    attachments: list[tuple[int, str, str]] | None = sorted(
        (int(i), str(k), str(f)) for i, k, f in locked_rows.json_list(rows[0][4])
    )
    names: set[str] | None = {str(n) for n in locked_rows.json_list(rows[0][5])}
    note_generation(rows[0][3])
    if head is None or (head.seq, head.hash) != (dossier.last_event_seq, dossier.last_event_hash):
        # PostgreSQL, READ COMMITTED: when the lock had to wait for another command, the dossier row is
        # re-read at its new version but the rest of the row is the statement's older snapshot. Every
        # command appends events and seals the head, so an older head gives it away: read the head and the
        # open tasks again under the lock, and let the others be read when needed. (Also a dossier whose
        # head predates sealing.)
        head = db.session.get(AuditHead, dossier.id, populate_existing=True)
        tasks = list(
            db.session.scalars(
                select(OpenTask)
                .where(OpenTask.dossier_id == dossier.id)
                .execution_options(populate_existing=True)
            )
        )
        attachments, names = None, None
        note_generation(None, known=False)
    transaction = db.session().get_transaction()
    locked_rows.note(dossier.id, locked_rows.LockedRows(transaction, tasks, head, attachments, names))
    remember_before(dossier)  # the sealed head takes only what this command changes (app.services.audit)
    return dossier


@lru_cache(maxsize=8)
def _lock_statement(dialect: str, *, by_code: bool) -> Any:
    """The lock statement of `lock_dossier`, built once per dialect (its only parameter is `key`)."""
    query = (
        select(
            Dossier,
            AuditHead,
            OpenTask,
            generation_column(),
            locked_rows.attachments_column(dialect),
            locked_rows.document_names_column(dialect),
        )
        .outerjoin(AuditHead, AuditHead.dossier_id == Dossier.id)
        .outerjoin(OpenTask, OpenTask.dossier_id == Dossier.id)
        .with_for_update(of=Dossier)
        .execution_options(populate_existing=True)
    )
    return query.where((Dossier.code if by_code else Dossier.id) == bindparam("key"))


def locked_open_tasks(dossier: Dossier) -> list[OpenTask]:
    """The dossier's open tasks as `lock_dossier` read them in this transaction (read now if it did not)."""
    noted = locked_rows.noted(dossier)
    if noted is not None:
        return list(noted.open_tasks)
    query = select(OpenTask).where(OpenTask.dossier_id == dossier.id)
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def run_command(
    dossier: Dossier,
    event: PendingEvent,
    now: datetime,
    action: Callable[[Instance], None],
    open_task_ids: set[str] | None = None,
    status: str | None = None,
) -> Instance:
    """Load the dossier's instance, apply `action`, and persist the result with `event` (the caller runs
    inside `write`, which commits). `status` overrides the status the diagram declares (withdrawal)."""
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
        except StateTooLarge as exc:
            raise EngineFailure(str(exc)) from exc
        except EngineError:
            raise
        except WorkflowException as exc:
            raise EngineFailure(f"Lỗi khi chạy quy trình: {exc}") from exc
        try:
            events = [event, *dispatcher.events]
            persist(dossier, instance, events, now, pending_before, open_task_ids, status)
        except StateTooLarge as exc:
            raise EngineFailure(str(exc)) from exc
    return instance


def persist(
    dossier: Dossier,
    instance: Instance,
    events: list[PendingEvent],
    now: datetime,
    pending_before: set[str],
    open_task_ids: set[str] | None = None,
    status: str | None = None,
) -> None:
    """Write engine state, derived columns, the open-task table, new jobs, status mails and the events."""
    with instance.settled():  # the instance is only read from here on: one walk of its task tree
        _persist(dossier, instance, events, now, pending_before, open_task_ids, status)


def _persist(
    dossier: Dossier,
    instance: Instance,
    events: list[PendingEvent],
    now: datetime,
    pending_before: set[str],
    open_task_ids: set[str] | None,
    status: str | None,
) -> None:
    data = instance.data()
    previous = dossier.status if dossier.last_event_seq else None  # None: a new dossier
    dossier.state = instance.dump()
    dossier.data = data.get("dossier") or dossier.data
    dossier.status = status or instance.status(dossier.status)
    dossier.next_timer_at = instance.next_timer_at()
    text = search_text(dossier.code, dossier.data)
    text_changed = text != dossier.search_text
    dossier.search_text = text
    if instance.workflow.is_completed() and dossier.completed_at is None:
        dossier.completed_at = now
    sync_open_tasks(dossier, instance, now, open_task_ids, text_changed)
    queue_status_mail(dossier, previous, now)  # a mail job in this transaction: the durable outbox
    for call in instance.pending_calls():
        if call.task_id not in pending_before:
            wake_after_commit()
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
    dossier: Dossier,
    instance: Instance,
    now: datetime,
    existing: set[str] | None = None,
    text_changed: bool = False,
) -> None:
    """Make the open-task rows match the READY user tasks (claims on tasks still open are kept).

    `existing` is the dossier's open-task ids when the caller already read them under the lock. A task's
    search text is its dossier's (the SQLite name search finds tasks through the dossiers' FTS5 index),
    so tasks still open get the new text when the names changed."""
    ready = {t.id: t for t in instance.ready_tasks()}
    if existing is None:
        existing = {t.id for t in locked_open_tasks(dossier)}
    gone = existing - set(ready)
    kept = existing & set(ready)
    if text_changed and kept:
        db.session.execute(
            update(OpenTask).where(OpenTask.id.in_(kept)).values(search_text=dossier.search_text)
        )
    if gone:
        db.session.execute(delete(OpenTask).where(OpenTask.id.in_(gone)))
        db.session.add_all(
            ClosedTask(id=task_id, dossier_id=dossier.id, commune_code=dossier.commune_code, closed_at=now)
            for task_id in gone
        )
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
