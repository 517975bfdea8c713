"""Domain lint of a diagram: the structural rules the modeler mirrors in the browser (the server decides).

Each finding is {"element_id", "code", "message"} with a Vietnamese message, so the workshop can point the
analyst at the element. Forms and service operations are checked by the services layer (they need the app).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from app.engine.definition import BPMN_NS, SPIFF_NS
from app.engine.scripting import UnsafeScriptError, compile_expression, compile_script, script_globals

# variables the application itself puts into the process data (app/services/dossiers.py start data, message
# payloads delivered by app/services/commands.py)
START_VARIABLES = frozenset({"dossier", "meta"})
ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
FLOW_NODES = (
    "startEvent",
    "endEvent",
    "task",
    "userTask",
    "manualTask",
    "serviceTask",
    "scriptTask",
    "businessRuleTask",
    "sendTask",
    "receiveTask",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "subProcess",
    "callActivity",
)


@dataclass(frozen=True)
class Checkpoint:
    """A human step the law requires before (or, for a handover, after) the register entry."""

    task_id: str  # BPMN user task id, e.g. "chairman_sign"
    role: str  # the lane role it must sit in, e.g. "chairman"
    title: str  # Vietnamese, for the finding: "Chủ tịch ký"


VOID_OPERATION = "register/void"


def _finding(element_id: str | None, code: str, message: str) -> dict[str, Any]:
    return {"element_id": element_id, "code": code, "message": message}


def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


@dataclass
class _Graph:
    nodes: dict[str, etree._Element]
    outgoing: dict[str, list[etree._Element]]  # node id -> sequence flows
    lane_of: dict[str, str]  # node id -> lane id
    boundary: dict[str, list[str]]  # activity id -> boundary event ids

    def host_of(self, boundary_id: str) -> str | None:
        return next((host for host, events in self.boundary.items() if boundary_id in events), None)

    def successors(self, node_id: str) -> list[str]:
        out = [f.get("targetRef") or "" for f in self.outgoing.get(node_id, [])]
        return out + self.boundary.get(node_id, [])


def _graph(process: etree._Element) -> _Graph:
    nodes: dict[str, etree._Element] = {}
    for tag in FLOW_NODES:
        for el in process.iter(_q(tag)):
            if el.get("id"):
                nodes[el.get("id") or ""] = el
    outgoing: dict[str, list[etree._Element]] = {}
    for flow in process.iter(_q("sequenceFlow")):
        outgoing.setdefault(flow.get("sourceRef") or "", []).append(flow)
    lane_of: dict[str, str] = {}
    for lane in process.iter(_q("lane")):
        for ref in lane.iterfind(_q("flowNodeRef")):
            if ref.text:
                lane_of[ref.text.strip()] = lane.get("id") or ""
    boundary: dict[str, list[str]] = {}
    for el in process.iter(_q("boundaryEvent")):
        boundary.setdefault(el.get("attachedToRef") or "", []).append(el.get("id") or "")
    return _Graph(nodes, outgoing, lane_of, boundary)


def _reachable(graph: _Graph, starts: Iterable[str], blocked: str | None, *also: str) -> set[str]:
    stop = {blocked, *also}
    seen: set[str] = set()
    stack = [s for s in starts if s not in stop]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(n for n in graph.successors(node) if n not in stop and n not in seen)
    return seen


def _operation(el: etree._Element) -> str | None:
    op = el.find(f".//{{{SPIFF_NS}}}serviceTaskOperator")
    return op.get("id") if op is not None else None


def _names_loaded(code_text: str, kind: str) -> tuple[set[str], set[str]]:
    """(names read, names assigned) of an expression or script."""
    tree = ast.parse(code_text, mode="eval" if kind == "expression" else "exec")
    loaded: set[str] = set()
    stored: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (stored if isinstance(node.ctx, ast.Store) else loaded).add(node.id)
        elif isinstance(node, ast.arg):
            stored.add(node.arg)
    return loaded, stored


def lint_process(
    process: etree._Element, checkpoints: Iterable[Checkpoint], register_operation: str = "register/enter"
) -> list[dict[str, Any]]:
    """Structural and domain findings of one BPMN process element."""
    findings: list[dict[str, Any]] = []
    graph = _graph(process)
    findings += _lint_gateways_and_flows(process, graph)
    findings += _lint_timers(process)
    findings += _lint_operations(graph)
    findings += _lint_code(process, graph)
    findings += _lint_checkpoints(graph, list(checkpoints), register_operation)
    return findings


def _lint_gateways_and_flows(process: etree._Element, graph: _Graph) -> list[dict[str, Any]]:
    findings = []
    for node_id, el in graph.nodes.items():
        tag = etree.QName(el).localname
        flows = graph.outgoing.get(node_id, [])
        if tag.endswith("Gateway"):
            if tag == "exclusiveGateway" and len(flows) > 1:
                default = el.get("default")
                for flow in flows:
                    cond = flow.find(_q("conditionExpression"))
                    has_condition = cond is not None and bool((cond.text or "").strip())
                    if flow.get("id") != default and not has_condition:
                        findings.append(
                            _finding(
                                flow.get("id"),
                                "condition_missing",
                                f"Luồng «{flow.get('name') or flow.get('id')}» ra khỏi cổng "
                                f"«{el.get('name') or node_id}» không phải luồng mặc định "
                                "nên phải có điều kiện.",
                            )
                        )
            continue
        if len(flows) > 1:
            findings.append(
                _finding(
                    node_id,
                    "implicit_split",
                    f"Phần tử «{el.get('name') or node_id}» có {len(flows)} luồng ra mà không qua cổng: "
                    "hãy dùng cổng rẽ nhánh (gateway).",
                )
            )
    return findings


def _lint_operations(graph: _Graph) -> list[dict[str, Any]]:
    """A service task names the operation it calls (the parser refuses one without, less helpfully)."""
    return [
        _finding(
            node_id,
            "operation_missing",
            f"Nhiệm vụ dịch vụ «{el.get('name') or node_id}» chưa chọn thao tác.",
        )
        for node_id, el in graph.nodes.items()
        if etree.QName(el).localname == "serviceTask"
        and el.find(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}serviceTaskOperator") is None
    ]


def _lint_timers(process: etree._Element) -> list[dict[str, Any]]:
    findings = []
    for timer in process.iter(_q("timerEventDefinition")):
        owner = timer.getparent()
        owner_id = owner.get("id") if owner is not None else None
        exprs = [el for el in timer if etree.QName(el).localname in ("timeDuration", "timeDate", "timeCycle")]
        if not exprs or not (exprs[0].text or "").strip():
            findings.append(_finding(owner_id, "timer_invalid", "Sự kiện hẹn giờ chưa có thời hạn."))
            continue
        text = (exprs[0].text or "").strip()
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            continue  # an expression reading a variable: checked with the other expressions
        kind = etree.QName(exprs[0]).localname
        ok = isinstance(value, str) and (
            ISO_DURATION.match(value) if kind == "timeDuration" else _is_iso_datetime(value, kind)
        )
        if not ok:
            findings.append(
                _finding(
                    owner_id,
                    "timer_invalid",
                    f'Thời hạn hẹn giờ {text} không đúng định dạng ISO 8601 (ví dụ "P3D", có dấu ngoặc kép).',
                )
            )
    return findings


def _is_iso_datetime(value: str, kind: str) -> bool:
    from datetime import datetime

    if kind == "timeCycle":
        return bool(re.match(r"^R\d*/", value))
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _code_sites(process: etree._Element) -> list[tuple[str | None, str, str]]:
    def owner(el: etree._Element | None) -> str | None:
        while el is not None and not el.get("id"):
            el = el.getparent()
        return el.get("id") if el is not None else None

    sites: list[tuple[str | None, str, str]] = []
    for el in process.iter(_q("script"), f"{{{SPIFF_NS}}}preScript", f"{{{SPIFF_NS}}}postScript"):
        if (el.text or "").strip():
            sites.append((owner(el), "script", (el.text or "").strip()))
    for el in process.iter(_q("conditionExpression"), _q("timeDuration"), _q("timeDate"), _q("timeCycle")):
        if (el.text or "").strip():
            sites.append((owner(el), "expression", (el.text or "").strip()))
    for el in process.iter(f"{{{SPIFF_NS}}}parameter"):
        if el.get("value"):
            sites.append((owner(el), "expression", el.get("value") or ""))
    return sites


def _lint_code(process: etree._Element, graph: _Graph) -> list[dict[str, Any]]:
    findings = []
    known = set(START_VARIABLES) | set(script_globals())
    for node_id, el in graph.nodes.items():
        tag = etree.QName(el).localname
        if tag in ("userTask", "manualTask", "receiveTask", "intermediateCatchEvent", "boundaryEvent"):
            known.add(node_id)  # a completed task's form / a message's payload is stored under its id
        op = el.find(f".//{{{SPIFF_NS}}}serviceTaskOperator")
        if op is not None and op.get("resultVariable"):
            known.add(op.get("resultVariable") or "")
    for var in process.iter(f"{{{SPIFF_NS}}}messageVariable", f"{{{SPIFF_NS}}}variableName"):
        if (var.text or "").strip():
            known.add((var.text or "").strip())
    sites = _code_sites(process)
    parsed: list[tuple[str | None, str, set[str]]] = []
    for element_id, kind, text in sites:
        try:
            (compile_script if kind == "script" else compile_expression)(text)
            loaded, stored = _names_loaded(text, kind)
        except (UnsafeScriptError, SyntaxError) as exc:
            findings.append(
                _finding(element_id, "unsafe_script", f"Mã không được phép hoặc sai cú pháp: {exc}")
            )
            continue
        known |= stored
        parsed.append((element_id, text, loaded))
    for element_id, text, loaded in parsed:
        for name in sorted(loaded - known):
            findings.append(
                _finding(
                    element_id,
                    "unknown_variable",
                    f"Biểu thức «{text[:60]}» dùng biến «{name}» không có trong dữ liệu quy trình.",
                )
            )
    return findings


def _lint_checkpoints(
    graph: _Graph, checkpoints: list[Checkpoint], register_operation: str
) -> list[dict[str, Any]]:
    if not checkpoints:
        return []
    findings = []
    starts = [i for i, el in graph.nodes.items() if etree.QName(el).localname == "startEvent"]
    ends = {i for i, el in graph.nodes.items() if etree.QName(el).localname == "endEvent"}
    registers = [i for i, el in graph.nodes.items() if _operation(el) == register_operation]
    # a refusal after the entry voids it (the number stays, marked void): that path issues nothing
    voids = [i for i, el in graph.nodes.items() if _operation(el) == VOID_OPERATION]
    side = [i for i, el in graph.nodes.items() if el.get("cancelActivity") == "false"]
    main = _reachable(graph, starts, None, *side)  # what the process reaches without any side branch
    if not registers:
        return [
            _finding(
                None,
                "register_missing",
                f"Sơ đồ không có bước ghi sổ (thao tác {register_operation}).",
            )
        ]
    for cp in checkpoints:
        el = graph.nodes.get(cp.task_id)
        if el is None or etree.QName(el).localname != "userTask":
            findings.append(
                _finding(
                    cp.task_id,
                    "checkpoint_missing",
                    f"Thiếu bước bắt buộc «{cp.title}» (nhiệm vụ người dùng {cp.task_id}).",
                )
            )
            continue
        if graph.lane_of.get(cp.task_id) != f"lane_{cp.role}":
            findings.append(
                _finding(
                    cp.task_id,
                    "checkpoint_lane",
                    f"Bước bắt buộc «{cp.title}» phải nằm trong làn của vai trò {cp.role}.",
                )
            )
        # the checkpoint must lie on every path start → register entry, or on every path register entry → end
        before = _reachable(graph, starts, blocked=cp.task_id)
        skipped_before = any(r in before for r in registers)
        entered = [s for r in registers for s in graph.successors(r)]
        after = _reachable(graph, entered, cp.task_id, *voids, *side)
        # a non-interrupting boundary event (an apology slip while the task waits) starts a side branch: the
        # main token stays at its task, so the branch bypasses nothing unless it rejoins the main flow
        branches = _reachable(graph, [e for e in side if graph.host_of(e) in after], cp.task_id, *voids)
        rejoined = _reachable(graph, (branches & main) - set(side), cp.task_id, *voids)
        skipped_after = bool((after | rejoined) & ends) or not ends
        if skipped_before and skipped_after:
            findings.append(
                _finding(
                    cp.task_id,
                    "checkpoint_bypassed",
                    f"Có đường đi tới bước ghi sổ mà không qua bước bắt buộc «{cp.title}».",
                )
            )
    return findings
