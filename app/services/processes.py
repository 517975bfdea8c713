"""Deployed process versions: validate, deploy (immutable versions), and load the definition of a dossier."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.engine.definition import (
    BPMN_NS,
    DefinitionError,
    ProcessDefinition,
    load_definition,
    service_operations,
)
from app.engine.diagram_layout import lint_diagram
from app.engine.lint import lint_process
from app.engine.xml import UnsafeXmlError, parse_untrusted_xml
from app.models import ProcessVersion, User, db
from app.procedures import UnknownProcedure, all_procedures, by_process_key
from app.services.collaborators import collaborators
from app.services.errors import Forbidden, Invalid, NotFound
from app.services.operations import is_known_operation
from app.services.transaction import write


def canonical_xml(xml: bytes) -> bytes:
    """The diagram as stored and run: parsed safely (any encoding), processing instructions dropped, markup
    inside documentation (e.g. an XHTML <script>) reduced to its text, UTF-8. A clean UTF-8 upload is kept
    byte for byte (its sha256 is the analyst's file's)."""
    tree = parse_untrusted_xml(xml)  # drops processing instructions (remove_pis)
    root = tree.getroot()
    changed = (tree.docinfo.encoding or "UTF-8").upper() not in ("UTF-8", "UTF8") or b"<?" in xml.replace(
        b"<?xml ", b"", 1
    )
    for doc in list(root.iter(f"{{{BPMN_NS}}}documentation")):
        if len(doc):
            changed = True
            text = doc.text or ""
            for child in list(doc):
                if etree.QName(child).localname.lower() not in ("script", "style"):
                    text += "".join(child.itertext())
                text += child.tail or ""
                doc.remove(child)
            doc.text = text
    if not changed:
        return xml
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _refusal(code: str, message: str, element_id: str | None = None) -> dict[str, Any]:
    errors = [{"element_id": element_id, "code": code, "message": message}]
    return {"ok": False, "errors": errors, "warnings": []}


def validate_bpmn(key: str, xml: bytes) -> dict[str, Any]:
    """Everything wrong with a diagram before it may be deployed (unsafe XML, XSD, lanes, forms, code, the
    procedure's required human checkpoints)."""
    try:
        procedure = by_process_key(key)
    except UnknownProcedure:
        return _refusal("unknown_procedure", f"Không có thủ tục nào ứng với quy trình «{key}».")
    try:
        xml = canonical_xml(xml)
    except (UnsafeXmlError, TypeError) as exc:
        return _refusal("unsafe_xml", str(exc))
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    process = parse_untrusted_xml(xml).getroot().find(f"{{{BPMN_NS}}}process[@id='{key}']")
    try:
        definition = load_definition(xml, key)
    except DefinitionError as exc:
        issues = exc.issues
        if process is not None and not any(i["code"] in ("xsd", "process_key") for i in issues):
            # the modeler's lint rules name what the parser refused (e.g. a flow without its condition)
            linted = lint_process(process, procedure.checkpoints)
            named = {f["element_id"] for f in linted}
            issues = linted + [i for i in issues if i["element_id"] not in named]
        return {"ok": False, "errors": issues, "warnings": []}
    if process is not None:
        errors += lint_process(process, procedure.checkpoints)
    forms = collaborators().forms
    for info in definition.user_tasks.values():
        if not info.form:
            errors.append(
                {
                    "element_id": info.key,
                    "code": "form_missing",
                    "message": f"Nhiệm vụ «{info.title}» chưa khai báo biểu mẫu (formJsonSchemaFilename).",
                }
            )
        elif not forms.exists(key, info.form.removesuffix(".json")):
            errors.append(
                {
                    "element_id": info.key,
                    "code": "form_missing",
                    "message": f"Không tìm thấy biểu mẫu forms/{key}/{info.form}.",
                }
            )
        else:
            problem = _form_problem(key, info.form.removesuffix(".json"))
            if problem:
                errors.append({"element_id": info.key, "code": "form_invalid", "message": problem})
        if not info.dossier_status:
            warnings.append(
                {
                    "element_id": info.key,
                    "code": "status_missing",
                    "message": f"Nhiệm vụ «{info.title}» chưa khai báo dossier_status.",
                }
            )
    for element_id, operation in service_operations(definition).items():
        if not is_known_operation(operation):
            errors.append(
                {
                    "element_id": element_id,
                    "code": "unknown_operation",
                    "message": f"Thao tác dịch vụ «{operation}» không được hỗ trợ.",
                }
            )
    # the layout (overlapping shapes, flows through shapes, labels over shapes): advice, not a refusal
    warnings += lint_diagram(xml)
    return {"ok": not errors, "errors": errors, "warnings": warnings}


def _form_problem(key: str, name: str) -> str | None:
    """Why a form file is not a usable JSON Schema (None when it is)."""
    try:
        Draft202012Validator.check_schema(collaborators().forms.schema(key, name))
    except SchemaError as exc:
        return f"Biểu mẫu {name}.json không phải JSON Schema hợp lệ: {exc.message}"
    except Exception as exc:  # noqa: BLE001 - an unreadable form file is a finding, not a crash
        return f"Không đọc được biểu mẫu {name}.json: {exc}"
    return None


def deploy_version(key: str, xml: bytes, actor: User) -> ProcessVersion:
    """Validate and store a new immutable version; new dossiers use it, running ones stay on theirs."""
    if not actor.has_role("analyst"):
        raise Forbidden("Chỉ chuyên viên quy trình được triển khai phiên bản mới.")
    report = validate_bpmn(key, xml)
    if not report["ok"]:
        raise Invalid("Sơ đồ quy trình không hợp lệ.", extra={"errors": report["errors"]})
    xml = canonical_xml(xml)
    # two deploys racing for the same version number: the loser's insert fails and it numbers again
    return write(lambda: _store_version(key, xml, actor.username), retry_on=(IntegrityError,))


def _store_version(key: str, xml: bytes, deployed_by: str) -> ProcessVersion:
    definition = load_definition(xml, key)
    last = db.session.scalar(select(func.max(ProcessVersion.version)).where(ProcessVersion.key == key)) or 0
    version = ProcessVersion(
        key=key,
        version=last + 1,
        name=definition.name,
        bpmn_xml=xml.decode("utf-8"),
        sha256=hashlib.sha256(xml).hexdigest(),
        deployed_by=deployed_by,
        deployed_at=collaborators().clock.now(),
        active=True,
    )
    db.session.add(version)
    db.session.flush()
    return version


def deploy_shipped_processes() -> list[ProcessVersion]:
    """Deploy each procedure's <process folder>/<key>.bpmn when its content differs from the newest version
    (idempotent)."""

    def deploy() -> list[ProcessVersion]:
        deployed = []
        for procedure in all_procedures():
            key, path = procedure.process_key, procedure.bpmn_path
            if not path.exists():
                continue
            xml = path.read_bytes()
            newest = active_version(key, required=False)
            if newest is None or newest.sha256 != hashlib.sha256(xml).hexdigest():
                deployed.append(_store_version(key, xml, "system"))
        return deployed

    return write(deploy, retry_on=(IntegrityError,))


def active_version(key: str, required: bool = True) -> ProcessVersion | None:
    version = db.session.scalars(
        select(ProcessVersion)
        .where(ProcessVersion.key == key, ProcessVersion.active.is_(True))
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    ).first()
    if version is None and required:
        raise NotFound(f"Quy trình «{key}» chưa được triển khai.")
    return version


def active_version_id(key: str) -> int:
    """The id of the newest active version (reads one integer, not the diagram)."""
    version_id = db.session.scalar(
        select(ProcessVersion.id)
        .where(ProcessVersion.key == key, ProcessVersion.active.is_(True))
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    )
    if version_id is None:
        raise NotFound(f"Quy trình «{key}» chưa được triển khai.")
    return int(version_id)


def definition_for(version_id: int) -> ProcessDefinition:
    """The parsed definition of a stored version (parsed once per process, then served from memory)."""
    # per application: tests and tools may run several databases in one process
    cache: dict[int, ProcessDefinition] = current_app.extensions.setdefault("hotich_definitions", {})
    cached = cache.get(version_id)
    if cached is not None:
        return cached
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound("Không tìm thấy phiên bản quy trình.")
    definition = load_definition(version.bpmn_xml.encode("utf-8"), version.key)
    cache[version_id] = definition
    return definition


def warm_definitions() -> None:
    """Parse every active version now (a worker's runner does it at start), so the first dossier a worker
    serves does not wait for a diagram to be parsed."""
    for version_id in db.session.scalars(select(ProcessVersion.id).where(ProcessVersion.active.is_(True))):
        definition_for(version_id)


def list_processes() -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(ProcessVersion).order_by(ProcessVersion.key, ProcessVersion.version)
    ).all()
    out: dict[str, dict[str, Any]] = {}
    for v in rows:
        entry = out.setdefault(v.key, {"key": v.key, "name": v.name, "versions": []})
        entry["name"] = v.name
        entry["versions"].append(
            {
                "version": v.version,
                "sha256": v.sha256,
                "deployed_at": v.deployed_at.isoformat(),
                "deployed_by": v.deployed_by,
                "active": v.active,
            }
        )
    return list(out.values())


def version_xml(key: str, version: int) -> str:
    row = db.session.scalars(
        select(ProcessVersion).where(ProcessVersion.key == key, ProcessVersion.version == version)
    ).first()
    if row is None:
        raise NotFound("Không tìm thấy phiên bản quy trình.")
    return row.bpmn_xml


def _elements(xml: str) -> dict[str, bytes]:
    """Element id -> its canonical XML (children with their own id compared on their own), diagram
    interchange (layout) left out: moving a shape is not a change to the procedure."""
    root = parse_untrusted_xml(xml.encode("utf-8")).getroot()
    out: dict[str, bytes] = {}
    for el in root.iter(f"{{{BPMN_NS}}}*"):
        element_id = el.get("id")
        name = etree.QName(el).localname
        skipped = name in ("definitions", "collaboration", "laneSet") or name.endswith("Definition")
        if not element_id or skipped:
            continue  # an event definition belongs to its event
        copy = etree.fromstring(etree.tostring(el))
        for child in list(copy):
            if child.get("id") and not etree.QName(child).localname.endswith("Definition"):
                copy.remove(child)
        out[element_id] = etree.tostring(copy, method="c14n")
    return out


def diff_versions(key: str, from_version: int, to_version: int) -> dict[str, list[str]]:
    """BPMN element ids added, removed and changed between two versions of a process."""
    before, after = _elements(version_xml(key, from_version)), _elements(version_xml(key, to_version))
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": sorted(i for i in set(before) & set(after) if before[i] != after[i]),
    }


def element_names(key: str, version: int) -> dict[str, str]:
    """{element id: its name on the diagram} of a version (ids without a name are left out)."""
    root = parse_untrusted_xml(version_xml(key, version).encode("utf-8")).getroot()
    return {
        str(el.get("id")): str(el.get("name"))
        for el in root.iter()
        if isinstance(el.tag, str) and el.get("id") and el.get("name")
    }


def set_version_active(key: str, version: int, active: bool, actor: User) -> dict[str, Any]:
    """Deactivate (or reactivate) a version: new dossiers take the newest active one; running ones stay."""
    if not actor.has_role("analyst"):
        raise Forbidden("Chỉ chuyên viên quy trình được thay đổi phiên bản quy trình.")

    def change() -> dict[str, Any]:
        row = db.session.scalars(
            select(ProcessVersion).where(ProcessVersion.key == key, ProcessVersion.version == version)
        ).first()
        if row is None:
            raise NotFound("Không tìm thấy phiên bản quy trình.")
        if not active:
            others = db.session.scalar(
                select(func.count())
                .select_from(ProcessVersion)
                .where(ProcessVersion.key == key, ProcessVersion.active.is_(True))
                .where(ProcessVersion.id != row.id)
            )
            if not others:
                raise Invalid("Không thể ngừng phiên bản đang hoạt động cuối cùng của quy trình.")
        row.active = active
        return {"version": row.version, "active": row.active}

    return write(change)


def store_version(key: str, xml: bytes, deployed_by: str) -> ProcessVersion:
    """Store a version as given, inside the caller's write (the training space copies the real ones)."""
    return _store_version(key, xml, deployed_by)
