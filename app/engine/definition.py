"""Process definitions: parsed once per content hash, with lanes mapped to roles and user tasks described.

A diagram's contract with the application:
- each lane id is `lane_<role>` (reception, officer, chairman, system);
- user tasks carry `spiffworkflow:properties`: `formJsonSchemaFilename` (the form in forms/<key>/),
  `dossier_status` (the dossier status while the task is open), optionally `blocked_decisions`
  (comma-separated decisions refused while a `block` finding stands) and `due_working_days`;
- end events and waiting catch events carry a `dossier_status` property too;
- service tasks name an operation the dispatcher knows (spiffworkflow:serviceTaskOperator).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.spiff.specs.defaults import ServiceTask, UserTask

from app.engine.scripting import DEFERRED
from app.engine.xml import parse_untrusted_xml
from app.instrumentation import section

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
KNOWN_ROLES = ("reception", "officer", "chairman", "system")


class DeferrableServiceTask(ServiceTask):
    """A service task whose call the dispatcher may run now or defer to a job (the task waits STARTED)."""

    def _execute(self, task: Any) -> bool | None:
        params = {name: value["value"] for name, value in self.evaluate_params(task).items()}
        dispatcher = task.workflow.top_workflow.script_engine.dispatcher
        with section("service ops"):  # the benchmarks' time breakdown (app/instrumentation.py)
            result = dispatcher.dispatch(task, self.operation_name, params)
        if result is DEFERRED:
            task.internal_data["service_call"] = {"operation": self.operation_name, "params": params}
            return None
        task.data[self.result_variable] = result
        return True


class CivilParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ServiceTaskParser, DeferrableServiceTask),
    }


class _InstanceOnlyConverter(BpmnWorkflowConverter):
    """Serializes the instance without re-embedding the process spec in every row."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["spec_name"] = workflow.spec.name
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[DeferrableServiceTask] = ServiceTaskConverter
    config[BpmnWorkflow] = _InstanceOnlyConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"]))
    return BpmnWorkflowSerializer(registry)


SERIALIZER = _make_serializer()


@dataclass(frozen=True)
class UserTaskInfo:
    key: str
    title: str
    role: str
    form: str | None
    dossier_status: str | None
    blocked_decisions: tuple[str, ...]
    due_working_days: int | None


@dataclass
class ProcessDefinition:
    key: str
    name: str
    sha256: str
    spec: Any
    subprocess_specs: dict[str, Any]
    lane_roles: dict[str, str]  # lane name -> role
    user_tasks: dict[str, UserTaskInfo]
    properties: dict[str, dict[str, str]] = field(default_factory=dict)  # element id -> spiff properties

    def role_of(self, task_spec: Any) -> str | None:
        return self.lane_roles.get(task_spec.lane) if task_spec.lane else None

    def status_of(self, element_id: str) -> str | None:
        return self.properties.get(element_id, {}).get("dossier_status")


class DefinitionError(ValueError):
    """The diagram does not load; `issues` lists what is wrong, element by element."""

    def __init__(self, issues: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(i["message"] for i in issues))
        self.issues = issues


def _issue(code: str, message: str, element_id: str | None = None) -> dict[str, Any]:
    return {"element_id": element_id, "code": code, "message": message}


def _properties(node: etree._Element) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in node.iterfind(f".//{{{SPIFF_NS}}}property")}


def _parse(xml: bytes, key: str) -> ProcessDefinition:
    try:
        tree = parse_untrusted_xml(xml)
    except ValueError as exc:
        raise DefinitionError([_issue("unsafe_xml", str(exc))]) from exc
    root = tree.getroot()
    process = root.find(f"{{{BPMN_NS}}}process[@id='{key}']") if "'" not in key else None
    if process is None:
        raise DefinitionError([_issue("process_key", f"Sơ đồ không có quy trình với id «{key}».")])
    try:
        VALIDATOR.validate(tree, f"{key}.bpmn")
    except ValidationException as exc:
        message = f"Sơ đồ không đúng lược đồ BPMN 2.0 (XSD): {str(exc).strip()}"
        raise DefinitionError([_issue("xsd", message, getattr(exc, "id", None))]) from exc
    parser = CivilParser(validator=None)  # validated just above
    try:
        parser.add_bpmn_xml(tree, filename=f"{key}.bpmn")
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except Exception as exc:  # noqa: BLE001 - any parser failure becomes a typed, analyst-readable issue
        element = getattr(exc, "id", None) or key
        message = f"Cấu trúc chưa được hỗ trợ để chạy: {str(exc).strip()}"
        raise DefinitionError([_issue("unsupported", message, element)]) from exc
    lane_roles: dict[str, str] = {}
    issues: list[dict[str, Any]] = []
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        role = (lane.get("id") or "").removeprefix("lane_")
        if role not in KNOWN_ROLES:
            issues.append(
                _issue(
                    "unknown_lane_role",
                    f"Làn «{lane.get('name')}» không ứng với vai trò nào "
                    f"(id phải là lane_<{'|'.join(KNOWN_ROLES)}>).",
                    lane.get("id"),
                )
            )
        lane_roles[lane.get("name") or lane.get("id") or ""] = role
    properties = {el.get("id"): _properties(el) for el in process.iter() if el.get("id")}
    user_tasks: dict[str, UserTaskInfo] = {}
    for name, ts in spec.task_specs.items():
        if not isinstance(ts, UserTask):
            continue
        props = properties.get(name, {})
        role = lane_roles.get(ts.lane) if ts.lane else None
        if role is None or role == "system":
            issues.append(
                _issue("lane_missing", f"Nhiệm vụ «{ts.bpmn_name}» phải nằm trong làn của một vai trò.", name)
            )
        due = props.get("due_working_days")
        user_tasks[name] = UserTaskInfo(
            key=name,
            title=ts.bpmn_name or name,
            role=role or "",
            form=props.get("formJsonSchemaFilename"),
            dossier_status=props.get("dossier_status"),
            blocked_decisions=tuple(d for d in (props.get("blocked_decisions") or "").split(",") if d),
            due_working_days=int(due) if due and due.isdigit() else None,
        )
    if issues:
        raise DefinitionError(issues)
    return ProcessDefinition(
        key=key,
        name=process.get("name") or key,
        sha256=hashlib.sha256(xml).hexdigest(),
        spec=spec,
        subprocess_specs=subprocess_specs,
        lane_roles=lane_roles,
        user_tasks=user_tasks,
        properties=properties,
    )


# bounded: every draft the modeler saves or test-runs is validated, so contents come and go (deployed versions
# are also kept per application by app/services/processes.py definition_for)
CACHE_SIZE = 64
_cache: OrderedDict[str, ProcessDefinition] = OrderedDict()
_cache_lock = threading.Lock()


def load_definition(xml: bytes, key: str) -> ProcessDefinition:
    """Parse and validate a diagram once per content hash; later calls return the cached definition."""
    digest = hashlib.sha256(xml).hexdigest() + ":" + key
    with _cache_lock:
        cached = _cache.get(digest)
        if cached is not None:
            _cache.move_to_end(digest)
            return cached
    definition = _parse(xml, key)
    with _cache_lock:
        _cache[digest] = definition
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return definition


def service_operations(definition: ProcessDefinition) -> dict[str, str]:
    """Service task id -> operation name."""
    return {
        name: ts.operation_name
        for name, ts in definition.spec.task_specs.items()
        if isinstance(ts, ServiceTask)
    }


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
