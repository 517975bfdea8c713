"""The modeler's in-browser lint (bpmnlint with our rules, run here in Node) finds what the server's validate
finds — same codes, element ids and Vietnamese messages — on the shipped diagrams and on broken ones
(issue 9 §2). Server-only checks (XSD, script compilation, variables, form validity, the diagram layout's
di_* warnings: the tests' XML edits add no shapes, bpmn-js draws everything it creates) are left out."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from app.procedures import by_process_key
from app.services.process_drafts import modeler_options
from app.services.processes import validate_bpmn
from tests.modeler_drafts import BIRTH, NS, with_recheck

ESBUILD = Path("node_modules/.bin/esbuild")
SERVER_ONLY = {"xsd", "unsafe_xml", "unsupported", "unsafe_script", "unknown_variable", "form_invalid"}


@pytest.fixture(scope="module")
def lint_cli(tmp_path_factory: Any) -> Path:
    if not ESBUILD.exists() or shutil.which("node") is None:
        pytest.skip("node and node_modules (make setup) are needed to run the modeler's lint")
    out = tmp_path_factory.mktemp("lint") / "lint_cli.cjs"
    subprocess.run(
        [
            str(ESBUILD),
            "tests/web/lint_cli.js",
            "--bundle",
            "--platform=node",
            "--log-level=warning",
            f"--outfile={out}",
        ],
        check=True,
    )
    return out


def _b(tag: str) -> str:
    return f"{{{NS['bpmn']}}}{tag}"


def _edit(xml: bytes, change: Any) -> bytes:
    root = etree.fromstring(xml)
    change(root)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _find(root: Any, xpath: str) -> Any:
    found = root.find(xpath, NS)
    assert found is not None, xpath
    return found


def _bypass(root: Any) -> None:
    """A conditional flow from the reception gateway straight to the register entry."""
    process = _find(root, "bpmn:process")
    flow = etree.SubElement(
        process,
        _b("sequenceFlow"),
        id="f_shortcut",
        sourceRef="gw_reception",
        targetRef="register_entry",
    )
    cond = etree.SubElement(flow, _b("conditionExpression"))
    cond.text = 'reception_check["decision"] == "fast"'
    etree.SubElement(
        _find(root, ".//bpmn:exclusiveGateway[@id='gw_reception']"), _b("outgoing")
    ).text = "f_shortcut"
    entry = _find(root, ".//bpmn:serviceTask[@id='register_entry']")
    incoming = etree.Element(_b("incoming"))
    incoming.text = "f_shortcut"
    _find(entry, "bpmn:incoming").addprevious(incoming)


def _drop_operator(root: Any) -> None:
    task = _find(root, ".//bpmn:serviceTask[@id='issue_apology']")
    task.remove(_find(task, "bpmn:extensionElements"))


def _implicit_split(root: Any) -> None:
    process = _find(root, "bpmn:process")
    etree.SubElement(
        process,
        _b("sequenceFlow"),
        id="f_extra",
        sourceRef="issue_apology",
        targetRef="end_completed",
    )


def _shipped(key: str) -> bytes:
    return by_process_key(key).bpmn_path.read_bytes()


CASES = {
    "birth as shipped": lambda: BIRTH,
    "marriage_registration as shipped": lambda: _shipped("marriage_registration"),
    "death_registration as shipped": lambda: _shipped("death_registration"),
    "new task, flow without condition": lambda: with_recheck(condition=None),
    "new task, unknown form": lambda: with_recheck(form="khong_co.json"),
    "timer not ISO 8601": lambda: BIRTH.replace(b'"P1D"', '"1 ngày"'.encode()),
    "unknown operation": lambda: BIRTH.replace(b'id="notice/post"', b'id="notice/fax"'),
    "service task without operation": lambda: _edit(BIRTH, _drop_operator),
    "implicit split": lambda: _edit(BIRTH, _implicit_split),
    "checkpoint bypassed": lambda: _edit(BIRTH, _bypass),
    "lane of no role": lambda: BIRTH.replace(b'"lane_officer"', b'"lane_clerk"'),
}


def _browser(cli: Path, xml: bytes, options: dict[str, Any]) -> list[tuple[str, Any, str]]:
    run = subprocess.run(
        ["node", str(cli)],
        input=json.dumps({"xml": xml.decode("utf-8"), "options": options}),
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted((f["code"], f["element_id"], f["message"]) for f in json.loads(run.stdout))


@pytest.mark.parametrize("case", list(CASES))
def test_browser_lint_matches_the_server(case: str, lint_cli: Path, app: Any) -> None:
    xml = CASES[case]()
    key = case.split()[0] if case.endswith("_registration as shipped") else "birth_registration"
    with app.app_context():
        from app.models import User, db

        analyst = db.session.query(User).filter_by(username="analyst").one()
        options = modeler_options(key, analyst)
        report = validate_bpmn(key, xml)
    server = sorted(
        (f["code"], f["element_id"], f["message"])
        for f in report["errors"] + report["warnings"]
        if f["code"] not in SERVER_ONLY
        and not f["code"].startswith("di_")  # the layout lint: bpmn-js draws all
    )
    assert _browser(lint_cli, xml, options) == server
    if case.endswith("as shipped"):
        assert server == [] or all(code == "status_missing" for code, _, _ in server)
    else:
        assert server, "a broken diagram must have findings"
