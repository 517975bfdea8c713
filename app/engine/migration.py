"""Moving a running instance to another version of its process (SpiffWorkflow's spec diff and migration).

`changes_between` aligns the two specs once (task specs by BPMN id, `SpiffWorkflow.bpmn.util.diff.SpecDiff`);
`migration_refusal` says, in Vietnamese, why an instance cannot move (None when it can); `migrate` moves it:
every task takes the aligned spec of the new version, waiting and open steps are reset and predicted again
(`migrate_workflow`), the timers that did not change keep their due time, and the engine runs to the next
wait state. The same function runs in the real migration and in its replay, so re-execution gives the
stored state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.util.task import TaskState

from app.engine.clock import engine_clock
from app.engine.definition import SERIALIZER, DeferrableServiceTask, ProcessDefinition
from app.engine.instance import EngineError, Instance

# states in which a step is "in progress": the dossier is waiting there
ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class SpecChanges:
    """How version `new` differs from `old`, aligned by BPMN id (computed once per pair of versions)."""

    old: ProcessDefinition
    new: ProcessDefinition
    diff: SpecDiff
    summary: dict[str, list[str]] = field(default_factory=dict)  # BPMN ids: added, removed, changed


def _bpmn_id(spec: Any) -> str | None:
    return getattr(spec, "bpmn_id", None)


def changes_between(old: ProcessDefinition, new: ProcessDefinition) -> SpecChanges:
    """Align the task specs of two versions and list the BPMN elements added, removed and changed."""
    if old.subprocess_specs or new.subprocess_specs:
        raise EngineError("subprocess", "Chưa hỗ trợ chuyển phiên bản cho quy trình có quy trình con.")
    diff = SpecDiff(SERIALIZER.registry, old.spec, new.spec)
    summary = {
        "added": sorted(s.name for s in diff.added if _bpmn_id(s)),
        "removed": sorted(s.name for s in diff.removed if _bpmn_id(s)),
        "changed": sorted(s.name for s in diff.changed if _bpmn_id(s)),
    }
    return SpecChanges(old, new, diff, summary)


def _title(definition: ProcessDefinition, spec: Any) -> str:
    info = definition.user_tasks.get(spec.name)
    return info.title if info else str(getattr(spec, "bpmn_name", None) or spec.name)


def migration_refusal(instance: Instance, changes: SpecChanges, version_label: str) -> str | None:
    """Why this instance cannot move to the new version (Vietnamese), or None when it can."""
    wf, old, new = instance.workflow, changes.old, changes.new
    if wf.spec is not old.spec:
        return "Hồ sơ không chạy trên phiên bản được so sánh."
    if wf.is_completed():
        return "Hồ sơ đã kết thúc, không còn bước nào để chuyển."
    removed = set(changes.diff.removed)
    changed = changes.diff.changed
    for task in wf.get_tasks(skip_subprocesses=True):
        spec = task.task_spec
        if spec in removed and _bpmn_id(spec):
            if task.state & ACTIVE:
                return f"Bước đang chờ «{_title(old, spec)}» không còn trong {version_label}."
            if task.state & (TaskState.COMPLETED | TaskState.ERROR | TaskState.CANCELLED):
                return f"Bước «{_title(old, spec)}» hồ sơ đã đi qua không còn trong {version_label}."
        if not task.state & ACTIVE or spec not in changed:
            continue
        if "typename" in changed[spec]:  # aligned by position to a step of another kind
            return f"Bước đang chờ «{_title(old, spec)}» là một bước khác loại trong {version_label}."
        if isinstance(spec, UserTask) and task.state == TaskState.READY:
            before, after = old.user_tasks.get(spec.name), new.user_tasks.get(spec.name)
            if before and after and before.form != after.form:
                return (
                    f"Biểu mẫu của việc đang mở «{before.title}» đã đổi ({before.form} → {after.form}) "
                    f"trong {version_label}; hãy hoàn thành việc này trước khi chuyển."
                )
        what = set(changed[spec]) - {"inputs", "outputs"}  # only its neighbours changed: harmless
        if isinstance(spec, DeferrableServiceTask) and task.state == TaskState.STARTED and what:
            return (
                f"Hồ sơ đang chờ kết quả «{_title(old, spec)}», bước này đã thay đổi trong {version_label}."
            )
    return None


def migrate(instance: Instance, changes: SpecChanges) -> None:
    """Move the instance to `changes.new` and run it to its next wait state (on the instance's clock)."""
    wf = instance.workflow
    unchanged_timers = {
        task.task_spec.name: task.internal_data["event_value"]
        for task in wf.get_tasks(state=TaskState.WAITING, skip_subprocesses=True)
        if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)
        and "event_value" in task.internal_data
        and task.task_spec not in changes.diff.changed
    }
    with engine_clock(instance.clock):
        migrate_workflow(WorkflowDiff(wf, changes.diff), wf, changes.new.spec)
        # a reset timer would start counting again from now: an unchanged one keeps its due time
        for task in wf.get_tasks(state=TaskState.WAITING, skip_subprocesses=True):
            if task.task_spec.name in unchanged_timers:
                task.internal_data["event_value"] = unchanged_timers[task.task_spec.name]
    wf.subprocess_specs = dict(changes.new.subprocess_specs)
    instance.definition = changes.new
    instance.advance()
