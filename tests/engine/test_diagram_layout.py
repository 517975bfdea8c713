"""The layout (BPMN DI) lint: the shipped diagrams read cleanly, and each fault it names is found."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from app.engine.diagram_layout import lint_diagram
from app.procedures import all_procedures

SHIPPED = {p.process_key: p.bpmn_path for p in all_procedures()}
BIRTH = SHIPPED["birth_registration"].read_text(encoding="utf-8")


def faults(xml: str) -> set[tuple[str, str]]:
    return {(f["code"], f["element_id"]) for f in lint_diagram(xml.encode("utf-8"))}


def set_bounds(xml: str, di_id: str, **values: float) -> str:
    """Change the first dc:Bounds inside the DI element `di_id` (x, y, width, height)."""
    start = xml.index(f'id="{di_id}"')
    end = xml.index("/>", xml.index("<dc:Bounds", start)) + 2
    block = xml[start:end]
    for attr, value in values.items():
        block = re.sub(rf'{attr}="[-\d.]+"', f'{attr}="{value}"', block, count=1)
    return xml[:start] + block + xml[end:]


def bounds(xml: str, di_id: str) -> dict[str, float]:
    start = xml.index("<dc:Bounds", xml.index(f'id="{di_id}"'))
    tag = xml[start : xml.index("/>", start)]
    return {k: float(v) for k, v in re.findall(r'(\w+)="([-\d.]+)"', tag)}


@pytest.mark.parametrize("key", sorted(SHIPPED))
def test_shipped_diagram_has_no_layout_fault(key: str) -> None:
    assert lint_diagram(SHIPPED[key].read_bytes()) == []


@pytest.mark.parametrize("key", sorted(SHIPPED))
def test_shipped_diagram_reads_left_to_right_in_lane_order(key: str) -> None:
    xml = SHIPPED[key].read_text(encoding="utf-8")
    lanes = [bounds(xml, f"lane_{role}_di")["y"] for role in ("reception", "officer", "chairman", "system")]
    assert lanes == sorted(lanes)
    # the start is the leftmost flow node, every end event lies right of it
    start_x = bounds(xml, "start_di")["x"]
    ends = re.findall(r'<bpmn:endEvent id="(\w+)"', xml)
    assert ends and all(bounds(xml, f"{end}_di")["x"] > start_x for end in ends)


def test_a_shape_over_another_is_found() -> None:
    target = bounds(BIRTH, "check_rules_di")
    xml = set_bounds(BIRTH, "lookup_parties_di", x=target["x"] + 20, y=target["y"] + 10)
    found = faults(xml)
    assert ("di_overlap", "check_rules") in found or ("di_overlap", "lookup_parties") in found


def test_a_boundary_timer_off_its_task_is_found() -> None:
    host = bounds(BIRTH, "officer_examine_di")
    xml = set_bounds(BIRTH, "due_timer_di", y=host["y"] + host["height"] + 60)
    assert ("di_boundary_detached", "due_timer") in faults(xml)


def test_a_boundary_timer_on_its_own_task_is_no_overlap() -> None:
    assert not {f for f in faults(BIRTH) if "due_timer" in f}


def test_a_label_over_a_shape_is_found() -> None:
    task = bounds(BIRTH, "reception_check_di")
    start = BIRTH.index('id="gw_reception_di"')
    # move the gateway's label box onto the reception task
    block_end = BIRTH.index("</bpmndi:BPMNShape>", start)
    block = BIRTH[start:block_end]
    label = block[block.index("<bpmndi:BPMNLabel>") :]
    moved = re.sub(r'x="[-\d.]+" y="[-\d.]+"', f'x="{task["x"] + 5}" y="{task["y"] + 5}"', label, count=1)
    xml = BIRTH[:start] + block.replace(label, moved) + BIRTH[block_end:]
    assert ("di_label_over_shape", "gw_reception") in faults(xml)


def test_a_flow_through_a_shape_is_found() -> None:
    # f_start runs from the start event to lookup_parties; send it through check_rules first
    rules = bounds(BIRTH, "check_rules_di")
    mid_y = rules["y"] + rules["height"] / 2
    start = BIRTH.index('<bpmndi:BPMNEdge id="f_start_di"')
    end = BIRTH.index("</bpmndi:BPMNEdge>", start)
    points = re.findall(r"<di:waypoint [^>]*/>", BIRTH[start:end])
    left, right = rules["x"] - 20, rules["x"] + rules["width"] + 20
    detour = f'<di:waypoint x="{left}" y="{mid_y}"/><di:waypoint x="{right}" y="{mid_y}"/>'
    block = BIRTH[start:end].replace(points[-1], detour + points[-1])
    assert ("di_edge_crosses", "f_start") in faults(BIRTH[:start] + block + BIRTH[end:])


def test_a_flow_not_starting_on_its_source_is_found() -> None:
    start = BIRTH.index('<bpmndi:BPMNEdge id="f_lookup_di"')
    first = BIRTH.index("<di:waypoint", start)
    xml = BIRTH[:first] + re.sub(r'x="[-\d.]+"', 'x="5"', BIRTH[first:], count=1)
    assert ("di_edge_detached", "f_lookup") in faults(xml)


def test_a_node_without_a_shape_is_found() -> None:
    start = BIRTH.index('<bpmndi:BPMNShape id="return_result_di"')
    end = BIRTH.index("</bpmndi:BPMNShape>", start) + len("</bpmndi:BPMNShape>")
    assert ("di_no_shape", "return_result") in faults(BIRTH[:start] + BIRTH[end:])


def test_a_shape_outside_its_lane_is_found() -> None:
    reception = bounds(BIRTH, "lane_reception_di")
    xml = set_bounds(BIRTH, "lookup_parties_di", y=reception["y"] + 30)  # a system task in reception
    assert ("di_outside_lane", "lookup_parties") in faults(xml)


def test_a_label_without_bounds_is_checked_where_bpmn_js_draws_it() -> None:
    # without its own bounds the gateway's label is drawn just below the gateway: there it meets the label
    # of the flow leaving downwards
    start = BIRTH.index('id="gw_reception_di"')
    end = BIRTH.index("</bpmndi:BPMNShape>", start)
    block = BIRTH[start:end]
    label = block[block.index("<bpmndi:BPMNLabel>") :]
    stripped = BIRTH[:start] + block.replace(label, "") + BIRTH[end:]
    assert ("di_label_over_label", "gw_reception") in faults(stripped)


def test_the_readme_of_every_process_folder_exists() -> None:
    for path in SHIPPED.values():
        assert (Path(path).parent / "README.md").is_file()


def test_validate_reports_layout_faults_as_warnings_without_refusing(app: Any) -> None:
    """#9 §1: the server's validate names a shape laid over another, with its element id; the diagram is
    still valid (layout is advice to the analyst, the semantics decide)."""
    from app.services.processes import validate_bpmn

    xml = Path("processes/birth_registration/birth_registration.bpmn").read_text(encoding="utf-8")
    bounds = r'(bpmnElement="{}">\s*<dc:Bounds )x="[\d.]+" y="[\d.]+"'
    target = re.search(r'bpmnElement="reception_check">\s*<dc:Bounds x="([\d.]+)" y="([\d.]+)"', xml)
    assert target
    moved = re.sub(bounds.format("officer_examine"), rf'\1x="{target.group(1)}" y="{target.group(2)}"', xml)
    assert moved != xml
    with app.app_context():
        assert validate_bpmn("birth_registration", xml.encode())["warnings"] == []
        result = validate_bpmn("birth_registration", moved.encode())
    assert result["ok"] is True
    assert {"officer_examine", "reception_check"} & {w["element_id"] for w in result["warnings"]}
