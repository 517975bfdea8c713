"""Re-executing a dossier from its audit events: replay for auditors and the integrity check (verify)."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.exceptions import WorkflowException
from sqlalchemy import select

from app.engine.clock import FixedClock
from app.engine.instance import EngineError, Instance
from app.engine.migration import migrate
from app.models import AuditEvent, Document, Dossier, OpenTask, User, db
from app.services.access import ensure_readable
from app.services.audit import chain_break, document_intact, event_to_dict, plain
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


def _events(dossier: Dossier, upto: int | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.dossier_id == dossier.id).order_by(AuditEvent.seq)
    if upto is not None:
        query = query.where(AuditEvent.seq <= upto)
    return list(db.session.scalars(query))


def state_seq(events: list[AuditEvent], upto: int) -> int:
    """The seq after which the state `upto` asks for exists: a command's internal results are part of
    its transaction, so a seq inside that group means the end of the group."""
    last = upto
    for ev in events:
        if ev.seq > upto:
            if ev.type != "internal_result":
                break
            last = ev.seq
    return last


def _documents(dossier: Dossier) -> list[Document]:
    return list(db.session.scalars(select(Document).where(Document.dossier_id == dossier.id)))


def replay_events(
    dossier: Dossier, events: list[AuditEvent], upto: int | None = None
) -> tuple[Instance | None, str]:
    """Run the recorded commands (up to seq `upto`) on the version the dossier started on, switching version
    at each `migrated` event; internal results are served back from the full list, so a command is never cut
    from its own results."""
    definition = definition_for(started_on(dossier, events))
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
        if ev.type == "submitted":
            meta = {
                "procedure": ev.data["procedure"],
                "channel": ev.data["channel"],
                "commune_code": ev.data["commune_code"],
                "code": dossier.code,
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
                migrate(instance, changes_for(ev.data["from_version_id"], ev.data["to_version_id"]))
            else:
                _apply(instance, ev)
        # a withdrawal cancels the instance: no diagram element carries that status
        status = "withdrawn" if ev.type == "withdrawn" else instance.status(status)
    return instance, status


def started_on(dossier: Dossier, events: list[AuditEvent]) -> int:
    """The process version the dossier was submitted on: before its first migration, else its own."""
    for ev in events:
        if ev.type == "migrated":
            return int(ev.data["from_version_id"])
    return dossier.process_version_id


def _apply(instance: Instance, ev: AuditEvent) -> None:
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
    return [event_to_dict(e) for e in _events(_auditor(actor, dossier))]


def replay(actor: User, dossier: Dossier, upto: int | None) -> dict[str, Any]:
    """The dossier as it was after event `upto`: data, status, open tasks, completed BPMN elements."""
    dossier = _auditor(actor, dossier)
    events = _events(dossier)
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


def verify(actor: User, dossier: Dossier) -> dict[str, Any]:
    """Is the hash chain intact, and does re-executing the events give the stored state?"""
    dossier = _auditor(actor, dossier)
    events = _events(dossier)
    bad = chain_break(events)
    if bad is None and events and events[-1].seq < dossier.last_event_seq:
        bad = events[-1].seq + 1  # the last event(s) deleted: name the first missing one
    elif bad is None and events and events[-1].hash != dossier.last_event_hash:
        bad = events[-1].seq
    replay_ok = False
    try:
        instance, status = replay_events(dossier, events)
        stored = Instance.load(
            definition_for(dossier.process_version_id),
            dossier.state,
            FixedClock(dossier.received_at),
            ReplayDispatcher([]),
        )
        # what people see must be what re-execution gives: a forged data or status row fails here
        open_keys = sorted(
            db.session.scalars(select(OpenTask.task_key).where(OpenTask.dossier_id == dossier.id))
        )
        replay_ok = (
            instance is not None
            and instance.fingerprint() == stored.fingerprint()
            and status == dossier.status
            and plain(instance.data().get("dossier") or dossier.data) == plain(dossier.data)
            and sorted(t.key for t in instance.ready_tasks()) == open_keys
            and all(document_intact(d) for d in _documents(dossier))
        )
    except (EngineError, WorkflowException, LookupError, KeyError, ValueError):
        replay_ok = False
    return {"chain_ok": bad is None, "replay_ok": replay_ok, "first_bad_seq": bad}
