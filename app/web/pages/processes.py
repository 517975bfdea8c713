"""Process versions for analysts (and admins): the list, each version's diagram, and the modeler (drafts,
lint, test-run, deploy)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, jsonify, render_template, request
from flask_login import current_user, login_required

from app import procedures
from app.domain.calendar import local_date
from app.extensions import db
from app.procedures import by_process_key
from app.services import feedback, trial_run
from app.services import process_drafts as drafts
from app.services import processes as svc
from app.services.collaborators import collaborators
from app.services.errors import BadRequest, NotFound, ServiceError
from app.web import labels
from app.web.pages import pages
from app.web.pages.access import require_roles

ROLES = ("analyst", "admin", "auditor")


@pages.get("/processes")
@login_required
def process_list() -> Any:
    require_roles(*ROLES)
    return render_template("processes.html", processes=svc.list_processes())


@pages.get("/processes/<key>/<int:version>")
@login_required
def process_view(key: str, version: int) -> Any:
    user = require_roles(*ROLES)
    svc.version_xml(key, version)  # 404 for an unknown version
    counts: dict[str, int] = {}
    if user.has_role("analyst") and key in {p.process_key for p in procedures.all_procedures()}:
        compiled = feedback.compile_feedback(user, {"procedure": procedures.by_process_key(key).key})
        counts = {str(g["key"]): int(g["count"]) for g in compiled["by_element"]}
    return render_template("process_view.html", key=key, version=version, feedback_counts=counts)


@pages.get("/processes/<key>/<int:version>.xml")
@login_required
def process_xml(key: str, version: int) -> Any:
    require_roles(*ROLES)
    return Response(
        svc.version_xml(key, version),
        mimetype="application/xml",
        headers={"X-Content-Type-Options": "nosniff"},
    )


F = TypeVar("F", bound=Callable[..., Any])


def _json_errors(fn: F) -> F:
    """The modeler's calls get the API's JSON error shape (the page shows the Vietnamese message)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ServiceError as exc:
            db.session.rollback()
            return jsonify(exc.to_dict()), exc.status

    return wrapper  # type: ignore[return-value]


def _draft_json(draft: dict[str, Any]) -> Any:
    response = jsonify(draft)
    response.headers["ETag"] = drafts.draft_etag(draft["version"])
    return response


@pages.get("/processes/<key>/modeler")
@login_required
def process_modeler(key: str) -> Any:
    user = require_roles(*ROLES)
    options = drafts.modeler_options(key, user)
    procedure = by_process_key(key)
    forms = {name: _decision_choices(key, name) for name in options["forms"]}
    options["decisions"] = {name: choices for name, choices in forms.items() if choices}
    options["sample_forms"] = {name: form for name, form in procedure.sample_forms.items()}
    today = local_date(collaborators().clock.now())
    options["sample"] = procedure.sample(today)["data"] if procedure.sample else None
    options["statuses"] = {code: str(label) for code, label in labels.STATUSES.items()}
    options["can_write"] = user.has_role("analyst")
    return render_template("process_modeler.html", key=key, options=options, title=procedure.title)


def _decision_choices(key: str, form_file: str) -> list[str]:
    """The `decision` values a form accepts (the test-run's choices per user task)."""
    try:
        schema = collaborators().forms.schema(key, form_file.removesuffix(".json"))
    except Exception:  # noqa: BLE001 - a form that does not load has no choices; the lint says why
        return []
    decision = (schema.get("properties") or {}).get("decision") or {}
    return [str(v) for v in decision.get("enum") or []]


@pages.get("/processes/<key>/modeler/draft")
@login_required
@_json_errors
def process_modeler_draft(key: str) -> Any:
    return _draft_json(drafts.get_draft(key, current_user))


@pages.put("/processes/<key>/modeler/draft")
@login_required
@_json_errors
def process_modeler_save(key: str) -> Any:
    if_match = drafts.parse_if_match(request.headers.get("If-Match"))
    return _draft_json(drafts.save_draft(key, request.get_data(), if_match, current_user))


@pages.post("/processes/<key>/modeler/validate")
@login_required
@_json_errors
def process_modeler_validate(key: str) -> Any:
    require_roles(*ROLES)
    return jsonify(svc.validate_bpmn(key, request.get_data()))


@pages.post("/processes/<key>/modeler/deploy")
@login_required
@_json_errors
def process_modeler_deploy(key: str) -> Any:
    if_match = drafts.parse_if_match(request.headers.get("If-Match"))
    version = drafts.deploy_draft(key, if_match, current_user)
    return jsonify({"version": version.version, "sha256": version.sha256}), 201


@pages.post("/processes/<key>/modeler/test-run")
@login_required
@_json_errors
def process_modeler_test_run(key: str) -> Any:
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest("Nội dung yêu cầu không phải JSON hợp lệ.", code="malformed_json")
    return jsonify(trial_run.run_payload(key, body, current_user))


@pages.get("/processes/<key>/diff")
@login_required
def process_diff_page(key: str) -> Any:
    """Two versions side by side: what was removed or changed on the older one, added or changed on the
    newer one (the same element ids as GET /api/v1/processes/{key}/diff)."""
    require_roles(*ROLES)
    versions = next((p["versions"] for p in svc.list_processes() if p["key"] == key), None)
    if not versions:
        raise NotFound("Không có quy trình này.")
    numbers = [v["version"] for v in versions]
    newest = numbers[-1]
    to_version = _version_arg("to", newest, numbers)
    from_version = _version_arg("from", max([n for n in numbers if n < to_version] or [to_version]), numbers)
    diff = svc.diff_versions(key, from_version, to_version)
    names = {**svc.element_names(key, from_version), **svc.element_names(key, to_version)}
    return render_template(
        "process_diff.html",
        key=key,
        numbers=numbers,
        from_version=from_version,
        to_version=to_version,
        diff=diff,
        names=names,
    )


def _version_arg(name: str, default: int, numbers: list[int]) -> int:
    text = request.args.get(name) or ""
    if not text:
        return default
    if not text.isdigit() or int(text) not in numbers:
        message = f"«{name}» phải là một phiên bản đã triển khai."
        raise BadRequest(message, fields={name: "Không có phiên bản này."})
    return int(text)
