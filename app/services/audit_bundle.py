"""The proof bundle: one JSON file with a dossier's events, the exact BPMN it ran on and the engine version,
re-executed offline (no database) through the same replay and verdict code as /verify."""

from __future__ import annotations

import hashlib
from importlib.metadata import version as package_version
from typing import Any

from sqlalchemy import select

from app.engine.definition import SERIALIZER, DefinitionError, ProcessDefinition, load_definition
from app.engine.instance import Instance
from app.engine.migration import changes_between, migrate
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
    events = load_events(dossier)
    ran_on = {pv.id} | {
        int(e.data[side])
        for e in events
        if e.type == "migrated"
        for side in ("from_version_id", "to_version_id")
    }
    versions = db.session.scalars(
        select(ProcessVersion).where(ProcessVersion.id.in_(ran_on)).order_by(ProcessVersion.id)
    ).all()
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
        # every version the dossier ran on: the one it was submitted on and each one a migration moved it
        # to; `id` is the version id the `migrated` events name
        "processes": [
            {"id": v.id, "key": v.key, "version": v.version, "sha256": v.sha256, "bpmn_xml": v.bpmn_xml}
            for v in versions
        ],
        "events": [event_to_dict(e) for e in events],
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
    """The /verify verdict of a bundle, computed from the bundle alone (no database is read): the events are
    re-executed on the version the dossier was submitted on and moved at each `migrated` event to the version
    it names, with the BPMN the bundle carries for each."""
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise BundleError("not a hộ tịch proof bundle (format hotich-proof-bundle/1)")
    try:
        dossier, stored, head = bundle["dossier"], bundle["stored"], bundle.get("head")
        events = [RecordedEvent.from_dict(e) for e in bundle["events"]]
        wanted = dossier["process"]
        processes = [p for p in bundle["processes"] if isinstance(p, dict)]
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
        current = next(p for p in processes if p.get("sha256") == wanted["sha256"])
    except (KeyError, TypeError, ValueError, StopIteration) as exc:
        raise BundleError(f"the bundle is incomplete: {exc!r}") from exc
    forged = [
        p for p in processes if hashlib.sha256(str(p.get("bpmn_xml")).encode()).hexdigest() != p.get("sha256")
    ]
    if forged or wanted["sha256"] != record.visible.get("process_sha256"):
        problem = Problem("BPMN trong gói khác với mã băm của phiên bản quy trình.", field="process")
        return {"chain_ok": True, "replay_ok": False, "first_bad_seq": None, "problems": [problem.to_dict()]}
    definitions = _definitions(processes)
    moves = [e for e in events if e.type == "migrated"]
    try:
        ran_on = [int(moves[0].data["from_version_id"])] if moves else []
        ran_on += [int(e.data["to_version_id"]) for e in moves]
        absent = sorted({v for v in ran_on if v not in definitions})
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"a migration event names no version: {exc!r}") from exc
    if absent:
        listed = ", ".join(str(v) for v in absent)
        problem = Problem(
            f"Gói thiếu BPMN của phiên bản quy trình hồ sơ đã chạy (mã {listed}).", field="process"
        )
        return {"chain_ok": True, "replay_ok": False, "first_bad_seq": None, "problems": [problem.to_dict()]}
    definition = definitions.get(current["id"]) if "id" in current else None
    definition = definition or _load(current)

    def on_migrated(instance: Instance, ev: RecordedEvent) -> None:
        old, new = definitions[int(ev.data["from_version_id"])], definitions[int(ev.data["to_version_id"])]
        migrate(instance, changes_between(old, new))

    start = definitions[ran_on[0]] if ran_on else definition
    return judge(definition, record, events, ring, start=start, on_migrated=on_migrated)


def _load(process: dict[str, Any]) -> ProcessDefinition:
    try:
        return load_definition(str(process["bpmn_xml"]).encode("utf-8"), str(process["key"]))
    except (DefinitionError, KeyError) as exc:
        raise BundleError(f"the bundle's BPMN does not load: {exc}") from exc


def _definitions(processes: list[dict[str, Any]]) -> dict[int, ProcessDefinition]:
    """The bundle's versions by the id the events name (bundles before migrations carried no id)."""
    out: dict[int, ProcessDefinition] = {}
    for process in processes:
        ident = process.get("id")
        if isinstance(ident, int) and not isinstance(ident, bool):
            out[ident] = _load(process)
    return out
