"""A dossier's history for auditors: every event with who, role, when, what changed and what a lookup
returned, and the state after each step, re-executed on the dossier's own process version (replay).

One replay computes every step's state (`replay_events(on_step=...)`), so the page for any `upto` costs one
re-execution. Waits are office time on the working calendar (app/domain/waits.py); each user task's deadline
is its own limit (`due_working_days`), else the dossier's statutory due date as it stood when the task was
done, else — before acceptance — one working day (C7), as the task list computes it for open tasks.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.exceptions import WorkflowException

from app.domain.calendar import WorkingCalendar
from app.domain.waits import working_time_between
from app.engine.instance import EngineError, Instance
from app.forms.messages import field_title
from app.models import Dossier, ProcessVersion, User, db
from app.services import replay as replay_svc
from app.services.audit import RecordedEvent, chain_break, plain
from app.services.collaborators import collaborators
from app.services.processes import definition_for

ACCEPT_OPERATION = "dossier/accept"
LOOKUP_OPERATION = "registry/lookup_parties"
SYSTEM = "system"


@dataclass
class Change:
    path: str
    before: str | None
    after: str | None


@dataclass
class StepState:
    """The dossier after one command (and its internal results)."""

    seq: int
    status: str
    version_id: int  # the process version the dossier ran on after this step (a migration moves it)
    data: dict[str, Any]
    completed: dict[str, int]  # BPMN element id -> passes (a loop passes an element more than once)
    active: list[str]
    tasks: list[dict[str, str]]


@dataclass
class Step:
    seq: int
    at: datetime
    type: str
    actor: str
    task: str | None
    data: dict[str, Any]
    role: str | None = None
    changes: list[Change] = field(default_factory=list)
    opened_at: datetime | None = None
    waited: timedelta | None = None
    due_at: datetime | None = None
    late: bool = False
    lookup: dict[str, Any] | None = None

    @property
    def operation(self) -> str:
        return str(self.data.get("operation") or "")


@dataclass
class History:
    dossier: Dossier
    process_key: str
    process_version: int | None
    versions: list[int]  # process version ids the dossier ran on, in order (a migration adds one)
    task_titles: dict[str, str]
    field_titles: dict[str, str]  # instance-data path of a change -> the title people read
    steps: list[Step]
    states: list[StepState]
    legal_due_at: datetime | None
    replay_error: str | None
    verdict: dict[str, Any]

    @property
    def last_seq(self) -> int:
        return self.steps[-1].seq if self.steps else 0

    def state_at(self, upto: int) -> StepState | None:
        """The state after event `upto` (an internal result belongs to its command's state)."""
        found = None
        for state in self.states:
            if state.seq > upto:
                break
            found = state
        return found

    def late_steps(self) -> list[Step]:
        return [s for s in self.steps if s.late]


def dossier_history(actor: User, dossier: Dossier, *, verify: bool = True) -> History:
    """Every event of `dossier` with its state, waits and deadlines (readers of the replay: officials of
    the commune and auditors; never the portal)."""
    events = replay_svc.list_events(actor, dossier)  # the access check of the audit reads
    rows = replay_svc.load_events(dossier)
    first_version = replay_svc.started_on(dossier, rows)
    definition = definition_for(dossier.process_version_id)
    version = db.session.get(ProcessVersion, dossier.process_version_id)
    versions = [first_version] + [int(r.data["to_version_id"]) for r in rows if r.type == "migrated"]
    user_tasks = {k: v for vid in dict.fromkeys(versions) for k, v in definition_for(vid).user_tasks.items()}
    roles = _user_roles({str(e["actor"]) for e in events})
    steps = [
        Step(r.seq, r.at, r.type, r.actor, r.task, dict(r.data or {}), role=_role(r, user_tasks, roles))
        for r in rows
    ]
    by_seq = {s.seq: s for s in steps}
    states: list[StepState] = []
    previous_data: dict[str, Any] = {}

    current_version = first_version

    def on_step(ev: RecordedEvent, instance: Instance, status: str) -> None:
        nonlocal previous_data, current_version
        if ev.type == "migrated":
            current_version = int(ev.data["to_version_id"])
        engine_data = plain(instance.data())
        step = by_seq[ev.seq]
        step.changes = diff(previous_data, engine_data)
        previous_data = engine_data
        states.append(
            StepState(
                seq=ev.seq,
                status=status,
                version_id=current_version,
                data=dict(engine_data.get("dossier") or {}),
                completed=dict(Counter(instance.completed_elements())),
                active=sorted(set(instance.active_elements())),
                tasks=[{"task": t.key, "title": t.title, "role": t.role} for t in instance.ready_tasks()],
            )
        )

    replay_error = None
    try:
        replay_svc.replay_events(dossier, rows, on_step=on_step)
    except replay_svc.ReplayFailed as exc:
        replay_error = str(exc)
    except (
        EngineError,
        WorkflowException,
        LookupError,
        KeyError,
        ValueError,
        TypeError,
        AttributeError,
    ) as exc:
        replay_error = str(exc) or type(exc).__name__
    _waits(steps, states, user_tasks)
    for step in steps:
        if step.operation == LOOKUP_OPERATION and isinstance(step.data.get("result"), dict):
            step.lookup = step.data["result"]
    verdict = _verdict(actor, dossier, rows) if verify else {}
    task_titles = {k: v.title for k, v in user_tasks.items()}
    return History(
        dossier=dossier,
        process_key=definition.key,
        process_version=version.version if version else None,
        versions=list(dict.fromkeys(versions)),
        task_titles=task_titles,
        field_titles=change_titles(definition.key, task_titles, (c.path for s in steps for c in s.changes)),
        steps=steps,
        states=states,
        legal_due_at=legal_due_at(dossier),
        replay_error=replay_error,
        verdict=verdict,
    )


def _verdict(actor: User, dossier: Dossier, rows: list[RecordedEvent]) -> dict[str, Any]:
    """/verify's verdict; a row forged past what re-execution can read fails the replay, never the page."""
    try:
        return replay_svc.verify(actor, dossier)
    except (AttributeError, TypeError, KeyError, ValueError, LookupError, EngineError, WorkflowException):
        return {"chain_ok": chain_break(rows) is None, "replay_ok": False, "first_bad_seq": chain_break(rows)}


def legal_due_at(dossier: Dossier) -> datetime | None:
    """The statutory due date (an apology slip moves the appointment, never this yardstick)."""
    original = (dossier.result or {}).get("original_due_at")
    if isinstance(original, str):
        try:
            return datetime.fromisoformat(original)
        except ValueError:
            pass
    return dossier.due_at


def _waits(steps: list[Step], states: list[StepState], user_tasks: dict[str, Any]) -> None:
    """When each task or call opened, how long it waited in office time, its deadline, late or not."""
    calendar = collaborators().calendar
    state_of = {s.seq: s for s in states}
    since: dict[str, datetime] = {}
    active: set[str] = set()
    dossier_due: datetime | None = None
    for step in steps:
        if step.task and step.type in ("task_completed", "external_result") and step.task in since:
            step.opened_at = since.pop(step.task)
            step.waited = working_time_between(calendar, step.opened_at, step.at)
            info = user_tasks.get(step.task) if step.type == "task_completed" else None
            if info is not None:
                step.due_at = step_due_at(calendar, info, step.opened_at, dossier_due)
                step.late = step.at > step.due_at
            active.discard(step.task)  # done: if it is open again after this step, that is a new pass
        if step.operation == ACCEPT_OPERATION:
            due = (step.data.get("result") or {}).get("due_at")
            if isinstance(due, str):
                dossier_due = datetime.fromisoformat(due)
        state = state_of.get(step.seq)
        if state is not None:
            now_active = set(state.active)
            for element in now_active - active:
                since[element] = step.at
            for element in active - now_active:
                if element in since and element != step.task:
                    since.pop(element, None)  # left without a recorded event (e.g. cancelled)
            active = now_active


def step_due_at(
    calendar: WorkingCalendar, info: Any, opened_at: datetime, dossier_due: datetime | None
) -> datetime:
    """A user task's deadline: its own limit in working days from when it opened, else the dossier's due
    date as it stood then, else (before acceptance) one working day (C7) — as open tasks get it."""
    if getattr(info, "due_working_days", None):
        return calendar.due_at(opened_at, int(info.due_working_days))
    return dossier_due or calendar.due_at(opened_at, 1)


def _role(ev: RecordedEvent, user_tasks: dict[str, Any], roles: dict[str, list[str]]) -> str | None:
    if ev.actor == SYSTEM:
        return SYSTEM
    if ev.task and ev.type in ("task_completed", "claimed", "released"):
        info = user_tasks.get(ev.task)
        if info is not None:
            return str(info.role)
    held = roles.get(ev.actor) or []
    return held[0] if held else None


def _user_roles(usernames: set[str]) -> dict[str, list[str]]:
    if not usernames:
        return {}
    rows = db.session.execute(db.select(User.username, User.roles_csv).where(User.username.in_(usernames)))
    return {u: [r for r in csv.split(",") if r] for u, csv in rows}


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """{dotted path: JSON text} of every leaf (lists are leaves: they change as a whole)."""
    if isinstance(value, dict) and value:
        out: dict[str, str] = {}
        for key in sorted(value):
            out.update(flatten(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: json.dumps(value, ensure_ascii=False, sort_keys=True)} if prefix else {}


ACTOR_FIELDS = {"full_name": "họ tên", "username": "tài khoản"}
META_FIELDS = {
    "channel": "Kênh nộp hồ sơ",
    "code": "Mã hồ sơ",
    "commune_code": "Mã xã, phường tiếp nhận",
    "procedure": "Thủ tục",
    "received_at": "Thời điểm tiếp nhận",
}


def change_titles(process_key: str, task_titles: Mapping[str, str], paths: Iterable[str]) -> dict[str, str]:
    """Titles people read for the instance-data paths of the changes: the declaration's and the task forms'
    field titles ("Họ, chữ đệm, tên của người được khai sinh", "Trả kết quả: Hình thức trả"), who did a task
    ("Người thực hiện «Trả kết quả»: họ tên"), the dossier's reception facts. The registry's answers
    (`lookups.…`, shown as the step's look-up card) and the engine's own bookkeeping keep their path only."""
    forms = collaborators().forms
    out: dict[str, str] = {}
    for path in dict.fromkeys(paths):
        head, _, rest = path.partition(".")
        title: str | None = None
        if head == "meta":
            title = META_FIELDS.get(rest)
        elif head == "actors" and rest:
            task, _, attr = rest.partition(".")
            title = f"Người thực hiện «{task_titles.get(task, task)}»: {ACTOR_FIELDS.get(attr, attr)}"
        elif head == "dossier" and rest and forms.exists(process_key, "submission"):
            title = field_title(rest, forms.labels(process_key, "submission"))
        elif head in task_titles and rest and forms.exists(process_key, head):
            inner = field_title(rest, forms.labels(process_key, head))
            title = f"{task_titles[head]}: {inner}" if inner else None
        if title:
            out[path] = title
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Leaves added, changed or removed between two states of the instance data."""
    a, b = flatten(before), flatten(after)
    return [Change(p, a.get(p), b.get(p)) for p in sorted(set(a) | set(b)) if a.get(p) != b.get(p)]
