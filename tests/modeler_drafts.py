"""Diagram edits the modeler tests make (what an analyst does in the browser, done on the XML)."""

from __future__ import annotations

from lxml import etree

from app.engine.definition import BPMN_NS, SPIFF_NS

BIRTH = open("processes/birth_registration/birth_registration.bpmn", "rb").read()
NS = {"bpmn": BPMN_NS}


def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def with_recheck(
    xml: bytes = BIRTH,
    condition: str | None = 'officer_examine["decision"] == "approve"',
    form: str = "officer_examine.json",
) -> bytes:
    """A new user task `officer_recheck` in the officer's lane, after an approving examination (a flow from
    gw_examine with `condition`, none when None), then on to gw_channel."""
    root = etree.fromstring(xml)
    process = root.find("bpmn:process", NS)
    assert process is not None
    lane = process.find(".//bpmn:lane[@id='lane_officer']", NS)
    assert lane is not None
    ref = etree.SubElement(lane, _q("flowNodeRef"))
    ref.text = "officer_recheck"
    task = etree.SubElement(process, _q("userTask"), id="officer_recheck", name="Kiểm tra lại hồ sơ")
    ext = etree.SubElement(task, _q("extensionElements"))
    props = etree.SubElement(ext, f"{{{SPIFF_NS}}}properties")
    for name, value in (("formJsonSchemaFilename", form), ("dossier_status", "processing")):
        etree.SubElement(props, f"{{{SPIFF_NS}}}property", name=name, value=value)
    etree.SubElement(task, _q("incoming")).text = "f_recheck_in"
    etree.SubElement(task, _q("outgoing")).text = "f_recheck_out"
    gateway = process.find("bpmn:exclusiveGateway[@id='gw_examine']", NS)
    channel = process.find("bpmn:exclusiveGateway[@id='gw_channel']", NS)
    assert gateway is not None and channel is not None
    etree.SubElement(gateway, _q("outgoing")).text = "f_recheck_in"
    incoming = etree.Element(_q("incoming"))
    incoming.text = "f_recheck_out"
    channel.find("bpmn:outgoing", NS).addprevious(incoming)  # type: ignore[union-attr]
    flow = etree.SubElement(
        process, _q("sequenceFlow"), id="f_recheck_in", sourceRef="gw_examine", targetRef="officer_recheck"
    )
    if condition is not None:
        cond = etree.SubElement(flow, _q("conditionExpression"))
        cond.set("{http://www.w3.org/2001/XMLSchema-instance}type", "bpmn:tFormalExpression")
        cond.text = condition
    etree.SubElement(
        process, _q("sequenceFlow"), id="f_recheck_out", sourceRef="officer_recheck", targetRef="gw_channel"
    )
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
