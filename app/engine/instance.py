"""Running one workflow instance from wait state to wait state, and saving/loading it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from app.engine.clock import Clock, engine_clock
from app.engine.definition import SERIALIZER, DeferrableServiceTask, ProcessDefinition, canonical_json
from app.engine.scripting import MAX_STATE_BYTES, CivilScriptEngine, ServiceDispatcher
from app.instrumentation import measured_methods

MAX_TASKS = 5000


class EngineError(RuntimeError):
    """The engine refused a command (wrong state, wrong role, unknown task)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class StateTooLarge(EngineError):
    """The instance's data grew past the state cap (a process fault, not the caller's)."""


@dataclass(frozen=True)
class ReadyTask:
    id: str
    key: str
    title: str
    role: str


@dataclass(frozen=True)
class PendingCall:
    task_id: str
    task_key: str
    operation: str
    params: dict[str, Any]


@measured_methods("engine")  # the benchmarks' time breakdown (app/instrumentation.py)
class Instance:
    """A BpmnWorkflow bound to its definition, a clock and a service dispatcher for one command."""

    def __init__(self, definition: ProcessDefinition, workflow: BpmnWorkflow, clock: Clock) -> None:
        self._settled: list[Any] | None = None  # see settled()
        self._saved_ready: list[ReadyTask] | None = None  # ready_tasks() as last saved, until stepped
        self.definition = definition
        self.workflow = workflow
        self.clock = clock

    # -- creation and persistence -------------------------------------------------------------------
    @classmethod
    def start(
        cls, definition: ProcessDefinition, data: dict[str, Any], clock: Clock, dispatcher: ServiceDispatcher
    ) -> Instance:
        wf = BpmnWorkflow(
            definition.spec, definition.subprocess_specs, script_engine=CivilScriptEngine(dispatcher)
        )
        for task in wf.get_tasks(state=TaskState.READY):
            task.set_data(**data)
        instance = cls(definition, wf, clock)
        instance.advance()
        return instance

    @classmethod
    def load(
        cls, definition: ProcessDefinition, state: str, clock: Clock, dispatcher: ServiceDispatcher
    ) -> Instance:
        dct = json.loads(state)
        if dct.pop("serializer_version") != SERIALIZER.VERSION:
            raise EngineError("serializer_version", "stored state has another serializer version")
        dct.pop("spec_name", None)
        dct["spec"], dct["subprocess_specs"] = definition.spec, dict(definition.subprocess_specs)
        wf = SERIALIZER.from_dict(dct)
        wf.script_engine = CivilScriptEngine(dispatcher)
        return cls(definition, wf, clock)

    def dump(self) -> str:
        state = str(SERIALIZER.serialize_json(self.workflow))
        if len(state) > MAX_STATE_BYTES:  # scripts are bounded per call; this bounds what they accumulate
            raise StateTooLarge(
                "state_too_large",
                f"Dữ liệu quy trình vượt quá {MAX_STATE_BYTES // 1_000_000} MB; "
                "kịch bản tạo ra quá nhiều dữ liệu.",
            )
        return state

    def fingerprint(self) -> str:
        """Hash of what the instance means (task states and data), independent of uuids and timestamps."""
        rows = [[t.task_spec.name, t.state, t.data] for t in self.workflow.get_tasks()]
        return hashlib.sha256(canonical_json([rows, self.workflow.data]).encode()).hexdigest()

    @contextmanager
    def settled(self) -> Iterator[None]:
        """While the instance is not stepped (saving it after a command), the reads below filter one walk of
        the task tree instead of walking it once each. Stepping inside this block is an error."""
        self._settled = self.workflow.get_tasks()
        try:
            yield
            self._saved_ready = self.ready_tasks()  # what the caller answers with, after the save
        finally:
            self._settled = None

    def _tasks(self, state: int, manual: bool | None = None) -> list[Any]:
        """`workflow.get_tasks(state=…, manual=…)` for definite states (FUTURE…STARTED): the iterator prunes
        only predicted branches for those, so filtering the settled walk gives the same tasks, in order."""
        if self._settled is None:
            return list(self.workflow.get_tasks(state=state, manual=manual))
        return [
            t for t in self._settled if t.state & state and (manual is None or t.task_spec.manual == manual)
        ]

    # -- stepping ----------------------------------------------------------------------------------------
    def advance(self) -> None:
        """Run every engine task that can run now, including timers that are due (P1: refresh first)."""
        if self._settled is not None:
            raise RuntimeError("an instance is not stepped while it is being saved")
        self._saved_ready = None
        with engine_clock(self.clock):
            for _ in range(20):
                self.workflow.refresh_timers()
                self.workflow.do_engine_steps()
                if not self.workflow.get_tasks(state=TaskState.READY, manual=False):
                    break
        # every task of the tree, counted from the workflows' task tables instead of walking the tree
        count = len(self.workflow.tasks) + sum(len(sp.tasks) for sp in self.workflow.subprocesses.values())
        if count > MAX_TASKS:
            raise EngineError("too_many_tasks", "instance grew beyond the task limit")

    def ready_tasks(self) -> list[ReadyTask]:
        if self._saved_ready is not None and self._settled is None:
            return list(self._saved_ready)
        out = []
        for task in self._tasks(TaskState.READY, manual=True):
            info = self.definition.user_tasks.get(task.task_spec.name)
            if info is not None:
                out.append(ReadyTask(str(task.id), info.key, info.title, info.role))
        return out

    def find_ready(self, task_id: str | None = None, key: str | None = None) -> Any:
        for task in self.workflow.get_tasks(state=TaskState.READY, manual=True):
            if (task_id is not None and str(task.id) == task_id) or (
                key is not None and task.task_spec.name == key
            ):
                return task
        return None

    def complete_user_task(
        self, task: Any, role: str, form: dict[str, Any], extra: dict[str, Any] | None = None
    ) -> None:
        """Complete a READY user task of the caller's role, storing the form under the task's key (P5, P7)."""
        if task.state != TaskState.READY or not isinstance(task.task_spec, UserTask):
            raise EngineError("not_ready", "task is not open")
        if self.definition.role_of(task.task_spec) != role:
            raise EngineError("wrong_role", "task belongs to another role")
        self._saved_ready = None
        with engine_clock(self.clock):
            task.set_data(**{**(extra or {}), task.task_spec.name: form})
            task.run()
        self.advance()

    def send_message(self, name: str, payload: dict[str, Any]) -> None:
        """Deliver a message to this instance only (we route messages ourselves, P13)."""
        self._saved_ready = None
        with engine_clock(self.clock):
            self.workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload=payload))
        self.advance()

    def waits_for_message(self, name: str) -> bool:
        return any(e.name == name for e in self.workflow.waiting_events())

    def pending_calls(self) -> list[PendingCall]:
        out = []
        for task in self._tasks(TaskState.STARTED):
            if isinstance(task.task_spec, DeferrableServiceTask) and "service_call" in task.internal_data:
                call = task.internal_data["service_call"]
                out.append(PendingCall(str(task.id), task.task_spec.name, call["operation"], call["params"]))
        return out

    def complete_call(self, task_key: str, result: Any) -> None:
        """Feed back the result of a deferred service call and run on."""
        for task in self.workflow.get_tasks(state=TaskState.STARTED):
            if task.task_spec.name == task_key and isinstance(task.task_spec, DeferrableServiceTask):
                task.data[task.task_spec.result_variable] = result
                task.internal_data.pop("service_call", None)
                self._saved_ready = None
                with engine_clock(self.clock):
                    task.complete()
                self.advance()
                return
        raise EngineError("not_waiting", f"no service call {task_key} is waiting")

    def next_timer_at(self) -> datetime | None:
        dues = []
        for task in self._tasks(TaskState.WAITING):
            ed = getattr(task.task_spec, "event_definition", None)
            value = task.internal_data.get("event_value")
            if isinstance(ed, TimerEventDefinition) and isinstance(value, str):
                dues.append(datetime.fromisoformat(value))
        return min(dues) if dues else None

    # -- reading -----------------------------------------------------------------------------------------
    def status(self, previous: str) -> str:
        """The dossier status the diagram declares for where the instance now waits."""
        d = self.definition
        if self.workflow.is_completed():
            ends = [
                t for t in self.workflow.get_tasks(state=TaskState.COMPLETED) if d.status_of(t.task_spec.name)
            ]
            return d.status_of(ends[-1].task_spec.name) or previous if ends else previous
        for state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
            for task in self._tasks(state):
                status = d.status_of(task.task_spec.name)
                if status:
                    return status
        return previous

    def data(self) -> dict[str, Any]:
        """The merged data of the instance: the last completed task's view plus workflow data."""
        tasks = self._tasks(TaskState.READY | TaskState.WAITING | TaskState.STARTED)
        source = tasks[0].data if tasks else self.workflow.last_task.data if self.workflow.last_task else {}
        return {**self.workflow.data, **source}

    def completed_elements(self) -> list[str]:
        return [
            t.task_spec.name
            for t in self.workflow.get_tasks(state=TaskState.COMPLETED)
            if getattr(t.task_spec, "bpmn_id", None)
        ]

    def active_elements(self) -> list[str]:
        mask = TaskState.READY | TaskState.WAITING | TaskState.STARTED
        return [
            t.task_spec.name
            for t in self.workflow.get_tasks(state=mask)
            if getattr(t.task_spec, "bpmn_id", None)
        ]
