"""Process versions for analysts."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from app.services import process_drafts as drafts
from app.services import process_migration, trial_run
from app.services import processes as svc
from app.services.errors import BadRequest, Forbidden
from app.web.api import api, authenticated, current_user, json_body


def _require_analyst() -> None:
    if not current_user().has_role("analyst", "admin", "auditor"):
        raise Forbidden("Chỉ chuyên viên quy trình xem các phiên bản quy trình.")


@api.get("/processes")
@authenticated
def process_index() -> Any:
    _require_analyst()
    return jsonify(svc.list_processes())


@api.get("/processes/<key>/versions/<int:version>")
@authenticated
def process_xml(key: str, version: int) -> Any:
    _require_analyst()
    return Response(svc.version_xml(key, version), mimetype="application/xml")


@api.post("/processes/<key>/validate")
@authenticated
def process_validate(key: str) -> Any:
    _require_analyst()
    return jsonify(svc.validate_bpmn(key, request.get_data()))


@api.post("/processes/<key>/versions")
@authenticated
def process_deploy(key: str) -> Any:
    version = svc.deploy_version(key, request.get_data(), current_user())
    return jsonify({"version": version.version, "sha256": version.sha256}), 201


def _version_arg(name: str) -> int:
    value = request.args.get(name, "")
    if not value.isdigit():
        raise BadRequest(f"Tham số «{name}» phải là số phiên bản.", fields={name: "Phải là số phiên bản."})
    return int(value)


@api.get("/processes/<key>/diff")
@authenticated
def process_diff(key: str) -> Any:
    _require_analyst()
    return jsonify(svc.diff_versions(key, _version_arg("from"), _version_arg("to")))


@api.post("/processes/<key>/versions/<int:version>/deactivate")
@authenticated
def process_deactivate(key: str, version: int) -> Any:
    return jsonify(svc.set_version_active(key, version, False, current_user()))


@api.post("/processes/<key>/versions/<int:version>/activate")
@authenticated
def process_activate(key: str, version: int) -> Any:
    return jsonify(svc.set_version_active(key, version, True, current_user()))


def _draft_response(draft: dict[str, Any], status: int = 200) -> Any:
    response = jsonify(draft)
    response.headers["ETag"] = drafts.draft_etag(draft["version"])
    return response, status


@api.get("/processes/<key>/draft")
@authenticated
def process_draft(key: str) -> Any:
    return _draft_response(drafts.get_draft(key, current_user()))


@api.put("/processes/<key>/draft")
@authenticated
def process_draft_save(key: str) -> Any:
    if_match = drafts.parse_if_match(request.headers.get("If-Match"))
    return _draft_response(drafts.save_draft(key, request.get_data(), if_match, current_user()))


@api.delete("/processes/<key>/draft")
@authenticated
def process_draft_discard(key: str) -> Any:
    drafts.discard_draft(key, drafts.parse_if_match(request.headers.get("If-Match")), current_user())
    return "", 204


@api.post("/processes/<key>/draft/deploy")
@authenticated
def process_draft_deploy(key: str) -> Any:
    if_match = drafts.parse_if_match(request.headers.get("If-Match"))
    version = drafts.deploy_draft(key, if_match, current_user())
    return jsonify({"version": version.version, "sha256": version.sha256}), 201


@api.post("/processes/<key>/test-run")
@authenticated
def process_test_run(key: str) -> Any:
    body = json_body()
    return jsonify(trial_run.run_payload(key, body, current_user()))


@api.get("/processes/<key>/modeler-options")
@authenticated
def process_modeler_options(key: str) -> Any:
    return jsonify(drafts.modeler_options(key, current_user()))


@api.post("/processes/<key>/migrations")
@authenticated
def process_migrations(key: str) -> Any:
    """Dry-run or move running dossiers to another version (analysts only; api.md)."""
    return jsonify(process_migration.migrate_dossiers(current_user(), key, request.get_json(silent=True)))
