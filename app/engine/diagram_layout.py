"""Lint of a diagram's layout (BPMN DI): can an analyst read it?

Checks what makes a diagram unreadable: a flow node, flow or lane without a shape; shapes on top of each
other (a boundary event belongs on its host's border, flow nodes inside their lane); a label over a shape or
another label; a flow drawn through a shape that is neither its source nor its target; a flow that does not
start on its source or end on its target. Each finding is {"element_id", "code", "message"} (Vietnamese),
like app.engine.lint, so the deploy lint can report them as warnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from app.engine.definition import BPMN_NS
from app.engine.lint import FLOW_NODES
from app.engine.xml import parse_untrusted_xml

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
DEFAULT_LABEL = (90.0, 20.0)  # bpmn-js places a label without bounds in this box (below a shape, mid-flow)
TOLERANCE = 3.0  # px: a waypoint this close to a border is on it; shapes may touch this much
_NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}
_RECTANGULAR = frozenset(
    {"task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask"}
    | {"receiveTask", "subProcess", "callActivity"}
)


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def shrunk(self, by: float) -> Box:
        return Box(self.x + by, self.y + by, max(self.w - 2 * by, 0), max(self.h - 2 * by, 0))

    def overlaps(self, other: Box, slack: float = TOLERANCE) -> bool:
        """Do the interiors intersect by more than `slack` in both directions?"""
        return (
            min(self.right, other.right) - max(self.x, other.x) > slack
            and min(self.bottom, other.bottom) - max(self.y, other.y) > slack
        )

    def contains(self, other: Box, slack: float = TOLERANCE) -> bool:
        return (
            other.x >= self.x - slack
            and other.y >= self.y - slack
            and other.right <= self.right + slack
            and other.bottom <= self.bottom + slack
        )

    def holds_point(self, px: float, py: float, slack: float = TOLERANCE) -> bool:
        return self.x - slack <= px <= self.right + slack and self.y - slack <= py <= self.bottom + slack

    def crossed_by(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        """Does the segment a-b pass through the interior (Liang-Barsky clipping)?"""
        (x0, y0), (x1, y1) = a, b
        dx, dy = x1 - x0, y1 - y0
        lo, hi = 0.0, 1.0
        for p, q in ((-dx, x0 - self.x), (dx, self.right - x0), (-dy, y0 - self.y), (dy, self.bottom - y0)):
            if p == 0:
                if q <= 0:
                    return False
                continue
            t = q / p
            if p < 0:
                lo = max(lo, t)
            else:
                hi = min(hi, t)
            if lo >= hi:
                return False
        return hi - lo > 1e-9


@dataclass(frozen=True)
class Node:
    id: str
    kind: str  # BPMN local name
    name: str
    box: Box
    label: Box | None


def _bounds(el: etree._Element | None) -> Box | None:
    if el is None:
        return None
    b = el.find("dc:Bounds", _NS)
    if b is None:
        return None
    return Box(
        float(b.get("x", 0)), float(b.get("y", 0)), float(b.get("width", 0)), float(b.get("height", 0))
    )


def _default_label(cx: float, cy: float) -> Box:
    w, h = DEFAULT_LABEL
    return Box(cx - w / 2, cy - h / 2, w, h)


def _flow_label_mid(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Where bpmn-js puts a flow's label that has no bounds: beside the middle of the middle segment."""
    i = len(points) / 2 - 1
    (x0, y0), (x1, y1) = points[int(i)], points[min(int(i + 1.01), len(points) - 1)]
    mx, my = x0 + (x1 - x0) / 2, y0 + (y1 - y0) / 2
    return (mx, my - 15) if abs(x1 - x0) >= abs(y1 - y0) else (mx + 15, my)


def _finding(element_id: str, code: str, message: str) -> dict[str, Any]:
    return {"element_id": element_id, "code": code, "message": message}


def lint_diagram(xml: bytes) -> list[dict[str, Any]]:
    """Every layout fault of the diagram's first plane (an empty list: the diagram reads cleanly)."""
    root = parse_untrusted_xml(xml).getroot()
    plane = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", _NS)
    if plane is None:
        return [_finding(str(root.get("id") or ""), "di_missing", "Sơ đồ chưa có phần bố cục (BPMN DI).")]
    shapes = {s.get("bpmnElement"): s for s in plane.iterfind("bpmndi:BPMNShape", _NS)}
    edges = {e.get("bpmnElement"): e for e in plane.iterfind("bpmndi:BPMNEdge", _NS)}
    findings: list[dict[str, Any]] = []
    nodes: dict[str, Node] = {}
    lanes: dict[str, Box] = {}
    lane_of: dict[str, str] = {}
    hosts: dict[str, str] = {}
    flows: list[etree._Element] = []

    def shape_of(element: etree._Element, what: str) -> Box | None:
        element_id = str(element.get("id"))
        box = _bounds(shapes.get(element_id))
        if box is None:
            name = element.get("name") or element_id
            findings.append(_finding(element_id, "di_no_shape", f"{what} «{name}» chưa có hình trên sơ đồ."))
        return box

    for participant in root.iterfind("bpmn:collaboration/bpmn:participant", _NS):
        shape_of(participant, "Bể")
    for process in root.iterfind("bpmn:process", _NS):
        for lane in process.iterfind(".//bpmn:lane", _NS):
            box = shape_of(lane, "Làn")
            if box is not None:
                lanes[str(lane.get("id"))] = box
            for ref in lane.iterfind("bpmn:flowNodeRef", _NS):
                lane_of[(ref.text or "").strip()] = str(lane.get("id"))
        for el in process.iter(f"{{{BPMN_NS}}}*"):
            kind = etree.QName(el).localname
            if kind == "sequenceFlow":
                flows.append(el)
            elif kind in FLOW_NODES:
                box = shape_of(el, "Phần tử")
                if box is not None:
                    label = _bounds(shapes[el.get("id")].find("bpmndi:BPMNLabel", _NS))
                    if label is None and el.get("name") and kind not in _RECTANGULAR:
                        label = _default_label(box.x + box.w / 2, box.bottom + DEFAULT_LABEL[1] / 2)
                    nodes[str(el.get("id"))] = Node(str(el.get("id")), kind, el.get("name") or "", box, label)
                if kind == "boundaryEvent":
                    hosts[str(el.get("id"))] = str(el.get("attachedToRef"))

    def title(node_id: str) -> str:
        node = nodes.get(node_id)
        return f"«{node.name or node_id}»" if node else f"«{node_id}»"

    findings += _lane_faults(lanes)
    for node in nodes.values():
        lane_id = lane_of.get(node.id)
        if lane_id in lanes and not lanes[lane_id].contains(node.box):
            findings.append(_finding(node.id, "di_outside_lane", f"{title(node.id)} nằm ngoài làn của nó."))
        host = nodes.get(hosts.get(node.id, ""))
        if node.id in hosts and host is not None and not _on_border(node.box, host.box):
            findings.append(
                _finding(
                    node.id, "di_boundary_detached", f"{title(node.id)} không nằm trên viền {title(host.id)}."
                )
            )
    ordered = sorted(nodes.values(), key=lambda n: n.id)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if hosts.get(a.id) == b.id or hosts.get(b.id) == a.id:
                continue
            if a.box.overlaps(b.box):
                findings.append(_finding(a.id, "di_overlap", f"{title(a.id)} chồng lên {title(b.id)}."))
    findings += _label_faults(nodes, edges, flows, title)
    findings += _edge_faults(nodes, edges, flows, title)
    return findings


def _on_border(event: Box, host: Box) -> bool:
    """A boundary event's centre lies on its host's outline."""
    cx, cy = event.x + event.w / 2, event.y + event.h / 2
    slack = TOLERANCE + 1
    on_vertical = (abs(cx - host.x) <= slack or abs(cx - host.right) <= slack) and host.y <= cy <= host.bottom
    on_horizontal = (
        abs(cy - host.y) <= slack or abs(cy - host.bottom) <= slack
    ) and host.x <= cx <= host.right
    return on_vertical or on_horizontal


def _lane_faults(lanes: dict[str, Box]) -> list[dict[str, Any]]:
    """Lanes in document order are stacked top to bottom, without overlapping."""
    out = []
    items = list(lanes.items())
    for (a_id, a), (b_id, b) in zip(items, items[1:], strict=False):
        if b.y < a.bottom - TOLERANCE:
            out.append(
                _finding(b_id, "di_lane_order", f"Làn «{b_id}» phải nằm dưới làn «{a_id}», không chồng lên.")
            )
    return out


def _label_faults(
    nodes: dict[str, Node], edges: dict[Any, etree._Element], flows: list[etree._Element], title: Any
) -> list[dict[str, Any]]:
    labels: list[tuple[str, Box]] = [(n.id, n.label) for n in nodes.values() if n.label is not None]
    for flow in flows:
        edge = edges.get(flow.get("id"))
        if edge is None or not flow.get("name"):
            continue
        label = _bounds(edge.find("bpmndi:BPMNLabel", _NS))
        points = [(float(p.get("x", 0)), float(p.get("y", 0))) for p in edge.iterfind("di:waypoint", _NS)]
        if label is None and len(points) >= 2:
            label = _default_label(*_flow_label_mid(points))
        if label is not None:
            labels.append((str(flow.get("id")), label))
    out = []
    for i, (owner, box) in enumerate(labels):
        for node in nodes.values():
            if box.overlaps(node.box):
                out.append(
                    _finding(
                        owner, "di_label_over_shape", f"Nhãn của {title(owner)} đè lên {title(node.id)}."
                    )
                )
        for other, other_box in labels[i + 1 :]:
            if box.overlaps(other_box):
                out.append(
                    _finding(
                        owner,
                        "di_label_over_label",
                        f"Nhãn của {title(owner)} đè lên nhãn của {title(other)}.",
                    )
                )
    return out


def _edge_faults(
    nodes: dict[str, Node], edges: dict[Any, etree._Element], flows: list[etree._Element], title: Any
) -> list[dict[str, Any]]:
    out = []
    for flow in flows:
        flow_id = str(flow.get("id"))
        source, target = nodes.get(str(flow.get("sourceRef"))), nodes.get(str(flow.get("targetRef")))
        edge = edges.get(flow_id)
        name = f"«{flow.get('name') or flow_id}»"
        if edge is None:
            out.append(_finding(flow_id, "di_no_edge", f"Luồng {name} chưa được vẽ trên sơ đồ."))
            continue
        points = [(float(p.get("x", 0)), float(p.get("y", 0))) for p in edge.iterfind("di:waypoint", _NS)]
        if len(points) < 2 or source is None or target is None:
            out.append(_finding(flow_id, "di_no_edge", f"Luồng {name} thiếu điểm vẽ."))
            continue
        for end, node, where in ((points[0], source, "bắt đầu từ"), (points[-1], target, "kết thúc tại")):
            if not _docks(end, node):
                out.append(
                    _finding(
                        flow_id, "di_edge_detached", f"Luồng {name} không {where} viền {title(node.id)}."
                    )
                )
        crossed = set()
        for a, b in zip(points, points[1:], strict=False):
            for node in nodes.values():
                # a round end shape may be docked on its outline, inside its bounds: only rectangles count
                own_end = node in (source, target) and node.kind not in _RECTANGULAR
                if node.id not in crossed and not own_end and node.box.shrunk(TOLERANCE).crossed_by(a, b):
                    crossed.add(node.id)
        for node_id in sorted(crossed):
            out.append(_finding(flow_id, "di_edge_crosses", f"Luồng {name} đi xuyên qua {title(node_id)}."))
    return out


def _docks(point: tuple[float, float], node: Node) -> bool:
    """Is the waypoint on the node's outline? Rectangles: on the border; round shapes: within the bounds."""
    if not node.box.holds_point(*point):
        return False
    return node.kind not in _RECTANGULAR or not node.box.shrunk(TOLERANCE).holds_point(*point, slack=0)
