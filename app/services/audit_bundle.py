"""The proof bundle: one JSON file with a dossier's events, the exact BPMN it ran on and the engine version,
re-executed offline (no database) through the same replay and verdict code as /verify."""

from __future__ import annotations

import hashlib
from importlib.metadata import version as package_version
from typing import Any

from app.engine.definition import SERIALIZER, DefinitionError, load_definition
from app.models import Dossier, ProcessVersion, User, db
from app.services.audit import Problem, RecordedEvent, event_to_dict
from app.services.audit_keys import Keyring
from app.services.collaborators import collaborators
from app.services.errors import Invalid
from app.services.replay import StoredDossier, _auditor, judge, load_events, stored_dossier

FORMAT = "hotich-proof-bundle/1"


def engine_info() -> dict[str, Any]:
    return {
        "name": "SpiffWorkflow",
        "version": package_version("SpiffWorkflow"),
        "serializer_version": SERIALIZER.VERSION,
    }


def export_history(actor: User, dossier: Dossier) -> dict[str, Any]:
    """Everything needed to re-execute and judge the dossier without our database."""
    dossier = _auditor(actor, dossier)
    pv = db.session.get(ProcessVersion, dossier.process_version_id)
    if pv is None:  # pragma: no cover - a foreign key guarantees it
        raise Invalid("Không tìm thấy phiên bản quy trình của hồ sơ.")
    stored = stored_dossier(dossier)
    return {
        "format": FORMAT,
        "exported_at": collaborators().clock.now().isoformat(),
        "engine": engine_info(),
        "dossier": {
            "code": dossier.code,
            "procedure": dossier.procedure,
            "commune_code": dossier.commune_code,
            "received_at": dossier.received_at.isoformat(),
            "process": {"key": pv.key, "version": pv.version, "sha256": pv.sha256},
        },
        # the dossier runs on the version pinned at submission; a list, so a bundle format can carry more
        "processes": [{"key": pv.key, "version": pv.version, "sha256": pv.sha256, "bpmn_xml": pv.bpmn_xml}],
        "events": [event_to_dict(e) for e in load_events(dossier)],
        "stored": {
            "status": stored.status,
            "data": stored.data,
            "engine_state": stored.engine_state,
            "open_tasks": stored.open_tasks,
            "visible": stored.visible,
            "last_event_seq": stored.last_event_seq,
            "last_event_hash": stored.last_event_hash,
        },
        "head": stored.head,
    }


class BundleError(ValueError):
    """The file is not a proof bundle this version can read."""


def verify_bundle(bundle: Any, ring: Keyring) -> dict[str, Any]:
    """The /verify verdict of a bundle, computed from the bundle alone (no database is read)."""
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise BundleError("not a hộ tịch proof bundle (format hotich-proof-bundle/1)")
    try:
        dossier, stored, head = bundle["dossier"], bundle["stored"], bundle.get("head")
        events = [RecordedEvent.from_dict(e) for e in bundle["events"]]
        wanted = dossier["process"]
        process = next(p for p in bundle["processes"] if p.get("sha256") == wanted["sha256"])
        xml = str(process["bpmn_xml"]).encode("utf-8")
        record = StoredDossier(
            code=str(dossier["code"]),
            status=str(stored["status"]),
            data=dict(stored["data"]),
            engine_state=str(stored["engine_state"]),
            open_tasks=[str(k) for k in stored["open_tasks"]],
            visible=dict(stored["visible"]),
            head=head,
            last_event_seq=int(stored["last_event_seq"]),
            last_event_hash=str(stored["last_event_hash"]),
        )
    except (KeyError, TypeError, ValueError, StopIteration) as exc:
        raise BundleError(f"the bundle is incomplete: {exc!r}") from exc
    if hashlib.sha256(xml).hexdigest() != wanted["sha256"] or wanted["sha256"] != record.visible.get(
        "process_sha256"
    ):
        problem = Problem("BPMN trong gói khác với mã băm của phiên bản quy trình.", field="process")
        return {"chain_ok": True, "replay_ok": False, "first_bad_seq": None, "problems": [problem.to_dict()]}
    try:
        definition = load_definition(xml, str(wanted["key"]))
    except DefinitionError as exc:
        raise BundleError(f"the bundle's BPMN does not load: {exc}") from exc
    return judge(definition, record, events, ring)
