"""Re-executing a dossier from its audit events: replay for auditors and the integrity check (verify).

The verdict is computed by `judge` from plain values (events, the stored state, the sealed head), so the
offline check of a proof bundle (app.services.audit_bundle) runs exactly the same code as /verify.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.exceptions import WorkflowException
from sqlalchemy import select

from app.engine.clock import FixedClock
from app.engine.definition import ProcessDefinition
from app.engine.instance import EngineError, Instance
from app.engine.migration import migrate
from app.models import AuditEvent, AuditHead, Dossier, OpenTask, User, db
from app.services.access import ensure_readable
from app.services.audit import (
    Problem,
    RecordedEvent,
    chain_problem,
    context_intact,
    event_to_dict,
    head_problems,
    head_to_dict,
    plain,
    state_components,
    visible_state,
)
from app.services.audit_keys import Keyring, keyring
from app.services.errors import Forbidden
from app.services.operations import ReplayDispatcher
from app.services.process_migration import changes_for
from app.services.processes import definition_for

COMMAND_TYPES = (
    "submitted",
    "task_completed",
    "external_result",
    "message",
    "timer",
    "withdrawn",
    "migrated",
)
REPLAY_ERRORS = (EngineError, WorkflowException, LookupError, KeyError, ValueError, TypeError)


class ReplayFailed(Exception):
    """Re-executing the events failed at event `seq`."""

    def __init__(self, seq: int, cause: Exception) -> None:
        super().__init__(f"seq {seq}: {cause}")
        self.seq, self.cause = seq, cause


def load_events(dossier: Dossier, upto: int | None = None) -> list[RecordedEvent]:
    query = select(AuditEvent).where(AuditEvent.dossier_id == dossier.id).order_by(AuditEvent.seq)
    if upto is not None:
        query = query.where(AuditEvent.seq <= upto)
    return [RecordedEvent.of(e) for e in db.session.scalars(query)]


def state_seq(events: list[RecordedEvent], upto: int) -> int:
    """The seq after which the state `upto` asks for exists: a command's internal results are part of
    its transaction, so a seq inside that group means the end of the group."""
    last = upto
    for ev in events:
        if ev.seq > upto:
            if ev.type != "internal_result":
                break
            last = ev.seq
    return last


def replay_events(
    dossier: Dossier,
    events: list[RecordedEvent],
    upto: int | None = None,
    on_step: Callable[[RecordedEvent, Instance, str], None] | None = None,
) -> tuple[Instance | None, str]:
    """Run the recorded commands (up to seq `upto`) on the version the dossier started on, moving it at each
    `migrated` event as the migration did. `on_step` sees the instance and status after each command (the
    history page's per-step states)."""
    return replay_on(
        definition_for(started_on(dossier, events)),
        dossier.code,
        events,
        upto,
        on_migrated=migrate_as_recorded,
        on_step=on_step,
    )


def replay_on(
    definition: ProcessDefinition,
    code: str,
    events: list[RecordedEvent],
    upto: int | None = None,
    on_migrated: Callable[[Instance, RecordedEvent], None] | None = None,
    on_step: Callable[[RecordedEvent, Instance, str], None] | None = None,
) -> tuple[Instance | None, str]:
    """Run the recorded commands (up to seq `upto`) on `definition`; internal results are served back
    from the full list, so a command is never cut from its own results. No database is read, except by
    `on_migrated` (the versions a `migrated` event moved between); without it such an event fails the replay.
    """
    instance: Instance | None = None
    status = "submitted"
    for i, ev in enumerate(events):
        if upto is not None and ev.seq > upto:
            break
        if ev.type not in COMMAND_TYPES:
            continue
        recorded = []
        for follower in events[i + 1 :]:
            if follower.type != "internal_result":
                break
            recorded.append(follower.data)
        dispatcher = ReplayDispatcher(recorded)
        clock = FixedClock(ev.at)
        try:
            if ev.type == "submitted":
                meta = {
                    "procedure": ev.data["procedure"],
                    "channel": ev.data["channel"],
                    "commune_code": ev.data["commune_code"],
                    "code": code,
                    "received_at": ev.at.isoformat(),
                }
                instance = Instance.start(
                    definition, {"dossier": ev.data["data"], "meta": meta}, clock, dispatcher
                )
            else:
                if instance is None:
                    raise EngineError("no_start", "events before submission")
                instance.clock = clock
                instance.workflow.script_engine.dispatcher = dispatcher
                if ev.type == "migrated":
                    if on_migrated is None:
                        raise EngineError("no_migration", "the versions of a migration are not at hand")
                    on_migrated(instance, ev)
                else:
                    _apply(instance, ev)
        except REPLAY_ERRORS as exc:
            raise ReplayFailed(ev.seq, exc) from exc
        # a withdrawal cancels the instance: no diagram element carries that status
        status = "withdrawn" if ev.type == "withdrawn" else instance.status(status)
        if on_step is not None:
            on_step(ev, instance, status)
    return instance, status


def started_on(dossier: Dossier, events: list[RecordedEvent]) -> int:
    """The process version the dossier was submitted on: before its first migration, else its own."""
    for ev in events:
        if ev.type == "migrated":
            return int(ev.data["from_version_id"])
    return dossier.process_version_id


def migrate_as_recorded(instance: Instance, ev: RecordedEvent) -> None:
    """Move the instance between the versions a `migrated` event names, as the migration did."""
    migrate(instance, changes_for(ev.data["from_version_id"], ev.data["to_version_id"]))


def _apply(instance: Instance, ev: RecordedEvent) -> None:
    key = str(ev.task)
    if ev.type == "task_completed":
        task = instance.find_ready(key=key)
        if task is None:
            raise EngineError("not_ready", f"{key} is not open at seq {ev.seq}")
        actors = dict(task.data.get("actors") or {})
        actors[key] = ev.data.get("actor")
        role = instance.definition.user_tasks[key].role
        instance.complete_user_task(task, role, ev.data["form"], extra={"actors": actors})
    elif ev.type == "external_result":
        instance.complete_call(key, ev.data["result"])
    elif ev.type == "message":
        instance.send_message(ev.data["name"], ev.data["payload"])
    elif ev.type == "timer":
        instance.advance()
    elif ev.type == "withdrawn":
        instance.workflow.cancel()


def _auditor(actor: User, dossier: Dossier) -> Dossier:
    if actor.has_role("portal"):
        raise Forbidden("Cổng dịch vụ công không xem lịch sử xử lý.")
    return ensure_readable(actor, dossier)


def list_events(actor: User, dossier: Dossier) -> list[dict[str, Any]]:
    return [event_to_dict(e) for e in load_events(_auditor(actor, dossier))]


def replay(actor: User, dossier: Dossier, upto: int | None) -> dict[str, Any]:
    """The dossier as it was after event `upto`: data, status, open tasks, completed BPMN elements."""
    dossier = _auditor(actor, dossier)
    events = load_events(dossier)
    at = state_seq(events, upto) if upto is not None else None
    instance, status = replay_events(dossier, events, at)
    if instance is None:
        return {
            "upto": upto,
            "state_seq": at,
            "status": None,
            "data": None,
            "tasks": [],
            "completed_elements": [],
        }
    return {
        "upto": upto,
        "state_seq": at,
        "status": status,
        "data": instance.data().get("dossier"),
        "tasks": [{"task": t.key, "title": t.title, "role": t.role} for t in instance.ready_tasks()],
        "completed_elements": instance.completed_elements(),
        "active_elements": instance.active_elements(),
    }


@dataclass(frozen=True)
class StoredDossier:
    """What the system stores and shows of a dossier, as plain values (from the database or a bundle)."""

    code: str
    status: str
    data: dict[str, Any]
    engine_state: str
    open_tasks: list[str]
    visible: dict[str, Any]  # app.services.audit.visible_state
    head: dict[str, Any] | None
    last_event_seq: int
    last_event_hash: str


def stored_dossier(dossier: Dossier) -> StoredDossier:
    open_keys = sorted(db.session.scalars(select(OpenTask.task_key).where(OpenTask.dossier_id == dossier.id)))
    return StoredDossier(
        code=dossier.code,
        status=dossier.status,
        data=plain(dossier.data or {}),
        engine_state=dossier.state,
        open_tasks=open_keys,
        visible=visible_state(dossier),
        head=head_to_dict(db.session.get(AuditHead, dossier.id)),
        last_event_seq=dossier.last_event_seq,
        last_event_hash=dossier.last_event_hash,
    )


def verify(actor: User, dossier: Dossier) -> dict[str, Any]:
    """Is the hash chain intact and authenticated, and does re-executing the events give the stored state?"""
    dossier = _auditor(actor, dossier)
    events = load_events(dossier)
    return judge(
        definition_for(dossier.process_version_id),
        stored_dossier(dossier),
        events,
        keyring(),
        start=definition_for(started_on(dossier, events)),
        on_migrated=migrate_as_recorded,
    )


def judge(
    definition: ProcessDefinition,
    stored: StoredDossier,
    events: list[RecordedEvent],
    ring: Keyring,
    start: ProcessDefinition | None = None,
    on_migrated: Callable[[Instance, RecordedEvent], None] | None = None,
) -> dict[str, Any]:
    """The verdict on a dossier: `chain_ok` (hashes, links, MACs, the sealed head), `replay_ok` (re-execution
    and every sealed field agree with what is stored) and the first bad event, off by none."""
    chain: list[Problem] = []
    found = chain_problem(events, stored.code, ring)
    if found is not None:
        chain.append(found)
    elif events and events[-1].seq < stored.last_event_seq:
        missing = events[-1].seq + 1  # the last event(s) deleted: name the first missing one
        chain.append(Problem(f"Sự kiện số {missing} bị thiếu (đã bị xóa).", seq=missing))
    elif events and events[-1].hash != stored.last_event_hash:
        chain.append(
            Problem(f"Sự kiện số {events[-1].seq} khác với đầu chuỗi của hồ sơ.", seq=events[-1].seq)
        )
    fields: list[Problem] = []
    for problem in head_problems(stored.code, events, stored.head, state_components(stored.visible), ring):
        (fields if problem.field else chain).append(problem)
    replayed = _replay_problems(definition, stored, events, start or definition, on_migrated)
    bad = [p.seq for p in chain if p.seq is not None]
    problems = chain + fields + replayed
    return {
        "chain_ok": not chain,
        "replay_ok": not fields and not replayed,
        "first_bad_seq": min(bad) if bad else None,
        "problems": [p.to_dict() for p in problems],
    }


def _replay_problems(
    definition: ProcessDefinition,
    stored: StoredDossier,
    events: list[RecordedEvent],
    start: ProcessDefinition,
    on_migrated: Callable[[Instance, RecordedEvent], None] | None,
) -> list[Problem]:
    """What people see must be what re-execution gives: a forged data, status or task row fails here."""
    out: list[Problem] = []
    for doc in stored.visible.get("documents") or []:
        if not context_intact(doc.get("context"), str(doc.get("content_sha256"))):
            field = f"document.{doc.get('name')}"
            out.append(Problem(f"Giấy tờ «{doc.get('name')}» không khớp mã băm khi cấp.", field=field))
    try:
        instance, status = replay_on(start, stored.code, events, on_migrated=on_migrated)
    except ReplayFailed as exc:
        return [*out, Problem(f"Phát lại thất bại ở sự kiện số {exc.seq}: {exc.cause}", seq=exc.seq)]
    if instance is None:
        return [*out, Problem("Không có sự kiện tiếp nhận hồ sơ để phát lại.")]
    try:
        saved = Instance.load(definition, stored.engine_state, FixedClock(events[0].at), ReplayDispatcher([]))
        same_engine = instance.fingerprint() == saved.fingerprint()
    except REPLAY_ERRORS:
        same_engine = False
    if not same_engine:
        out.append(
            Problem("Trạng thái máy quy trình đã lưu khác với kết quả phát lại.", field="engine_state")
        )
    if status != stored.status:
        out.append(Problem(f"Trạng thái «{stored.status}» khác với phát lại («{status}»).", field="status"))
    if plain(instance.data().get("dossier") or stored.data) != plain(stored.data):
        out.append(Problem("Dữ liệu hồ sơ khác với kết quả phát lại.", field="data"))
    if sorted(t.key for t in instance.ready_tasks()) != sorted(stored.open_tasks):
        out.append(Problem("Danh sách việc đang mở khác với kết quả phát lại.", field="open_tasks"))
    return out
