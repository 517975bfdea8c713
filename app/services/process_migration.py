"""Moving running dossiers to another version of their process (analysts; api.md § Versions, diff, migration).

A dry run changes nothing and says, per dossier, whether it can move and why not. A real run moves each one
that can in its own transaction (the one command path: lock, engine, open tasks, audit event, commit), records
a `migrated` event (from, to, the diff) and pins the dossier to the new version; replay applies the same
migration at that event, so `/verify` still re-executes the dossier. Moving back is the same call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from SpiffWorkflow.exceptions import WorkflowException
from sqlalchemy import func, select, update

from app.engine.clock import FixedClock
from app.engine.instance import EngineError, Instance, StateTooLarge
from app.engine.migration import SpecChanges, changes_between, migrate, migration_refusal
from app.engine.scripting import DEFERRED, ServiceDispatcher
from app.models import Dossier, OpenTask, ProcessVersion, User, db
from app.services.audit import PendingEvent
from app.services.collaborators import collaborators
from app.services.commands import lock_dossier, persist
from app.services.errors import BadRequest, Forbidden, NotFound
from app.services.operations import EXTERNAL_OPERATIONS, CommandDispatcher
from app.services.processes import definition_for
from app.services.transaction import write

MAX_BATCH = 2000
PREFETCH = 200
FINISHED = ("withdrawn",)  # finished without completed_at


class _Refused(Exception):
    """This dossier cannot move; raised inside its transaction so everything it touched rolls back."""

    def __init__(self, reason: str, version_id: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.version_id = version_id


class _WouldRun(Exception):
    """A dry run reached a service operation the real run would execute (so it stops there)."""


class _ProbeDispatcher(ServiceDispatcher):
    """Dry runs: external calls are deferred as usual; an internal operation is never executed."""

    def dispatch(self, task: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation in EXTERNAL_OPERATIONS:
            return DEFERRED
        raise _WouldRun(operation)


@dataclass(frozen=True)
class _Target:
    key: str
    id: int
    version: int
    versions: dict[int, int]  # version id -> number, every version of the process


def changes_for(from_version_id: int, to_version_id: int) -> SpecChanges:
    """The aligned difference of two stored versions (computed once per pair, like the definitions)."""
    cache: dict[tuple[int, int], SpecChanges] = current_app.extensions.setdefault("hotich_spec_changes", {})
    key = (from_version_id, to_version_id)
    if key not in cache:
        cache[key] = changes_between(definition_for(from_version_id), definition_for(to_version_id))
    return cache[key]


def _parse(payload: Any) -> tuple[int, list[str] | None, bool]:
    if not isinstance(payload, dict):
        raise BadRequest("Nội dung yêu cầu phải là một đối tượng JSON.")
    to_version = payload.get("to_version")
    if not isinstance(to_version, int) or isinstance(to_version, bool) or to_version < 1:
        raise BadRequest(
            "Thiếu phiên bản đích hợp lệ.", fields={"to_version": "Phải là số phiên bản (số nguyên dương)."}
        )
    dossiers = payload.get("dossiers")
    codes: list[str] | None
    if dossiers == "all_running":
        codes = None
    elif isinstance(dossiers, list) and dossiers and all(isinstance(c, str) and c for c in dossiers):
        if len(dossiers) > MAX_BATCH:
            raise BadRequest(
                f"Mỗi lần chuyển tối đa {MAX_BATCH} hồ sơ.", fields={"dossiers": f"Tối đa {MAX_BATCH} mã."}
            )
        codes = list(dict.fromkeys(c.strip() for c in dossiers))
    else:
        raise BadRequest(
            "Danh sách hồ sơ không hợp lệ.",
            fields={"dossiers": 'Phải là danh sách mã hồ sơ, hoặc "all_running".'},
        )
    dry_run = payload.get("dry_run", True)
    if not isinstance(dry_run, bool):
        raise BadRequest("«dry_run» phải là true hoặc false.", fields={"dry_run": "Phải là true hoặc false."})
    return to_version, codes, dry_run


def _target(key: str, version: int) -> ProcessVersion:
    row = db.session.scalars(
        select(ProcessVersion).where(ProcessVersion.key == key, ProcessVersion.version == version)
    ).first()
    if row is None:
        raise NotFound(f"Không tìm thấy phiên bản {version} của quy trình «{key}».")
    return row


def running_codes(key: str, target_id: int) -> list[str]:
    """The running dossiers of process `key` on any version other than the target, oldest first."""
    return list(
        db.session.scalars(
            select(Dossier.code)
            .join(ProcessVersion, ProcessVersion.id == Dossier.process_version_id)
            .where(ProcessVersion.key == key, Dossier.process_version_id != target_id)
            .where(Dossier.completed_at.is_(None), Dossier.status.not_in(FINISHED))
            .order_by(Dossier.id)
        )
    )


def migrate_dossiers(actor: User, key: str, payload: Any) -> dict[str, Any]:
    """Dry-run or move a batch of dossiers to version `to_version` of process `key`; one item per dossier."""
    if not actor.has_role("analyst"):
        raise Forbidden("Chỉ chuyên viên quy trình được chuyển hồ sơ sang phiên bản khác.")
    to_version, codes, dry_run = _parse(payload)
    target = _target(key, to_version)
    target_id, target_version = target.id, target.version
    rows = db.session.execute(
        select(ProcessVersion.id, ProcessVersion.version).where(ProcessVersion.key == key)
    )
    versions = {int(row[0]): int(row[1]) for row in rows}
    if codes is None:
        codes = running_codes(key, target_id)
    target_ = _Target(key, target_id, target_version, versions)
    items: list[dict[str, Any]] = []
    loaded: dict[str, Dossier] = {}
    for n, code in enumerate(codes):
        if dry_run and n % PREFETCH == 0:  # a dry run reads the batch in a few queries, not one per dossier
            chunk = codes[n : n + PREFETCH]
            loaded = {d.code: d for d in db.session.scalars(select(Dossier).where(Dossier.code.in_(chunk)))}
        item: dict[str, Any] = {"code": code, "from_version": None, "to_version": target_version, "ok": False}
        try:
            from_id = _dry_run(loaded.get(code), target_) if dry_run else _move(actor, code, target_)
            item.update(from_version=versions.get(from_id), ok=True)
        except _Refused as exc:
            item.update(from_version=versions.get(exc.version_id or 0), reason=exc.reason)
        except NotFound:
            item["reason"] = f"Không tìm thấy hồ sơ «{code}»."
        items.append(item)
    moved = sum(1 for i in items if i["ok"])
    return {
        "dry_run": dry_run,
        "to_version": target_version,
        "ok": moved,
        "refused": len(items) - moved,
        "items": items,
    }


def _prepare(
    dossier: Dossier, target: _Target, now: datetime, dispatcher: ServiceDispatcher
) -> tuple[Instance, SpecChanges]:
    """Load the dossier's instance and decide; raises _Refused with the reason when it cannot move."""
    from_id = dossier.process_version_id
    if from_id not in target.versions:
        raise _Refused("Hồ sơ thuộc quy trình khác.", None)
    if from_id == target.id:
        raise _Refused(f"Hồ sơ đã ở phiên bản {target.version}.", from_id)
    if dossier.completed_at is not None or dossier.status in FINISHED:
        raise _Refused("Hồ sơ đã kết thúc, không còn bước nào để chuyển.", from_id)
    try:
        changes = changes_for(from_id, target.id)
    except EngineError as exc:
        raise _Refused(str(exc), from_id) from exc
    instance = Instance.load(definition_for(from_id), dossier.state, FixedClock(now), dispatcher)
    reason = migration_refusal(instance, changes, f"phiên bản {target.version}")
    if reason:
        raise _Refused(reason, from_id)
    return instance, changes


def _run_migration(instance: Instance, changes: SpecChanges, version_id: int, dump: bool) -> None:
    try:
        migrate(instance, changes)
        if dump:  # the state cap, and proof the new state serializes (a real run's persist dumps it)
            instance.dump()
    except _WouldRun:
        raise
    except (EngineError, WorkflowException, KeyError, ValueError, TypeError) as exc:
        cause: BaseException | None = exc
        while cause is not None:  # the engine wraps what a service task raised
            if isinstance(cause, _WouldRun):
                raise cause from None
            cause = cause.__cause__ or cause.__context__
        raise _Refused(f"Quy trình không chạy tiếp được trên phiên bản mới: {exc}", version_id) from exc


def _dry_run(dossier: Dossier | None, target: _Target) -> int:
    """Everything the real run does, in memory only: nothing is locked, written or called."""
    if dossier is None:
        raise NotFound("Không tìm thấy hồ sơ.")
    now = collaborators().clock.now()
    instance, changes = _prepare(dossier, target, now, _ProbeDispatcher())
    try:
        _run_migration(instance, changes, dossier.process_version_id, dump=True)
    except _WouldRun:
        pass  # the real run executes that operation in the dossier's transaction
    return dossier.process_version_id


def _move(actor: User, code: str, target: _Target) -> int:
    """One dossier, one transaction: lock it, migrate its instance, persist it with its `migrated` event."""

    def work() -> int:
        dossier = lock_dossier(code=code)
        from_id = dossier.process_version_id
        now = collaborators().clock.now()
        dispatcher = CommandDispatcher(dossier, now)
        instance, changes = _prepare(dossier, target, now, dispatcher)
        pending_before = {c.task_id for c in instance.pending_calls()}
        with db.session.no_autoflush:
            _run_migration(instance, changes, from_id, dump=False)
            event = PendingEvent(
                "migrated",
                actor.username,
                None,
                {
                    "from_version": target.versions[from_id],
                    "to_version": target.version,
                    "from_version_id": from_id,
                    "to_version_id": target.id,
                    "diff": changes.summary,
                },
            )
            dossier.process_version_id = target.id
            try:
                persist(dossier, instance, [event, *dispatcher.events], now, pending_before)
            except StateTooLarge as exc:
                raise _Refused(str(exc), from_id) from exc
            # an open task keeps its id (and claim) across the move: its title and role are the new version's
            for task in instance.ready_tasks():
                db.session.execute(
                    update(OpenTask).where(OpenTask.id == task.id).values(title=task.title, role=task.role)
                )
        return from_id

    return write(work)


def running_by_version(actor: User, key: str) -> list[dict[str, Any]]:
    """Every version of process `key` with its number of running dossiers (the migration page's overview)."""
    if not actor.has_role("analyst"):
        raise Forbidden("Chỉ chuyên viên quy trình được chuyển hồ sơ sang phiên bản khác.")
    counts = dict(
        (int(version_id), int(count))
        for version_id, count in db.session.execute(
            select(Dossier.process_version_id, func.count())
            .where(Dossier.completed_at.is_(None), Dossier.status.not_in(FINISHED))
            .group_by(Dossier.process_version_id)
        )
    )
    rows = db.session.scalars(
        select(ProcessVersion).where(ProcessVersion.key == key).order_by(ProcessVersion.version)
    ).all()
    if not rows:
        raise NotFound(f"Quy trình «{key}» chưa được triển khai.")
    return [
        {"version": v.version, "active": v.active, "name": v.name, "running": counts.get(v.id, 0)}
        for v in rows
    ]
