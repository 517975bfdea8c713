"""The shipped diagrams stay readable for analysts: every element and flow is drawn, no two shapes overlap,
each shape lies in the lane that holds it, and boundary events sit on the border of their task."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest
from lxml import etree

from app import procedures

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
}
Box = tuple[float, float, float, float]
SHIPPED = [p.bpmn_path for p in procedures.all_procedures() if p.key in ("birth", "marriage", "death")]


def _load(path: Path) -> tuple[etree._Element, dict[str, Box]]:
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    boxes = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        b = shape.find("dc:Bounds", NS)
        boxes[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    return root, boxes


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_diagram_is_drawn_without_overlaps(path: Path) -> None:
    root, boxes = _load(path)
    process = root.find("bpmn:process", NS)
    nodes = {
        el.get("id"): el
        for el in process
        if el.get("id") and etree.QName(el).localname not in ("laneSet", "sequenceFlow")
    }
    flows = {el.get("id") for el in process.iterfind("bpmn:sequenceFlow", NS)}
    edges = {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    assert set(nodes) <= set(boxes), f"not drawn: {sorted(set(nodes) - set(boxes))}"
    assert flows <= edges, f"flows not drawn: {sorted(flows - edges)}"
    attached = {i: el.get("attachedToRef") for i, el in nodes.items() if el.get("attachedToRef")}
    clashes = [
        (a, b)
        for a, b in combinations(sorted(nodes), 2)
        if _overlap(boxes[a], boxes[b]) and attached.get(a) != b and attached.get(b) != a
    ]
    assert clashes == [], f"overlapping shapes in {path.name}: {clashes}"
    for event, host in attached.items():
        ex, ey, ew, eh = boxes[event]
        hx, hy, hw, hh = boxes[host]
        cx, cy = ex + ew / 2, ey + eh / 2
        on_edge_row = hx <= cx <= hx + hw and cy in (hy, hy + hh)
        on_edge_column = hy <= cy <= hy + hh and cx in (hx, hx + hw)
        on_border = on_edge_row or on_edge_column
        assert on_border, f"{event} is not on the border of {host}"
    for lane in root.iterfind(".//bpmn:lane", NS):
        lx, ly, lw, lh = boxes[lane.get("id")]
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            x, y, w, h = boxes[ref.text]
            cx, cy = x + w / 2, y + h / 2
            assert lx <= cx <= lx + lw and ly <= cy <= ly + lh, f"{ref.text} drawn outside {lane.get('id')}"


def test_the_layout_check_sees_an_overlap() -> None:
    assert _overlap((0, 0, 120, 80), (100, 60, 36, 36))
    assert not _overlap((0, 0, 120, 80), (120, 0, 36, 36))
