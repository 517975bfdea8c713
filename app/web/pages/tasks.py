"""The task page: the dossier summary, rule findings and the task's form; claim, release, complete."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.forms import BASE_URI
from app.models import User
from app.services import dossier_details
from app.services import tasks as task_svc
from app.services.access import OFFICIAL_ROLES
from app.services.collaborators import collaborators
from app.services.dossiers import get_dossier, list_documents
from app.services.errors import Conflict, Invalid, NotFound
from app.web import dossier_view, labels
from app.web.forms_render import (
    FormSpec,
    build_form,
    initial_values,
    place_errors,
    read_submission,
    visibility,
)
from app.web.pages import pages
from app.web.pages.access import require_roles
from app.web.pages.auth import safe_next
from app.web.read_log import dossier_of_task, records_read


def _form_of(task: dict[str, Any]) -> tuple[str, str, FormSpec]:
    """(process key, form name, spec) of the task's form, from the schema's $id."""
    uri = str(task["form"]["schema"]["$id"]).removeprefix(BASE_URI).removesuffix(".json")
    key, _sep, name = uri.partition("/")
    return key, name, build_form(collaborators().forms, key, name)


def _render(
    user: User,
    task: dict[str, Any],
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    rules: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    key, name, spec = _form_of(task)
    dossier = get_dossier(user, task["dossier_code"])
    lookups = dossier_details.registry_lookups(dossier)
    if values is None:
        communes = {
            str(r.get("residence_commune_code")): labels.commune_name(r.get("residence_commune_code"))
            for r in lookups.values()
            if isinstance(r, dict) and r.get("residence_commune_code")
        }
        values = initial_values(spec, None, task["data"], lookups, communes)
    field_errors, general = place_errors(spec, errors or {})
    findings = list(task.get("findings") or [])
    return render_template(
        "task.html",
        task=task,
        dossier=dossier,
        spec=spec,
        values=values,
        shown=visibility(spec, values),
        field_errors=field_errors,
        general_errors=general,
        message=message,
        blocked_rules=rules or [],
        findings=findings,
        show_findings=bool(spec.ui.get("show_findings")) or bool(findings),
        summary=dossier_view.summary_rows(
            dossier.procedure, task["data"], lookups, list(spec.ui.get("summary") or [])
        ),
        lookups=dossier_view.lookup_cards(lookups, task["data"]),
        documents=list_documents(user, dossier.code),
        attachments=dossier_details.list_attachments(dossier),
        finding_labels=dossier_view.field_labels(dossier.procedure),
        mine=task.get("assignee") == user.username,
        held_by_other=task.get("assignee") not in (None, user.username),
    ), status


@pages.get("/tasks/<task_id>")
@login_required
@records_read("task_page", dossier=dossier_of_task)
def task_page(task_id: str) -> Any:
    user = require_roles(*OFFICIAL_ROLES)
    return _render(user, task_svc.get_task(user, task_id))


@pages.post("/tasks/<task_id>")
@login_required
def task_submit(task_id: str) -> Any:
    user = require_roles(*OFFICIAL_ROLES)
    code = request.form.get("dossier_code", "")
    try:
        task = task_svc.get_task(user, task_id)
    except (NotFound, Conflict):
        return _already_done(code)
    key, name, spec = _form_of(task)
    submission = read_submission(spec, request.form)
    if submission.errors:
        # what could not even be read (a date like 31/02/2026) wins over the schema's message for it
        errors = {**collaborators().forms.validate(key, name, submission.data), **submission.errors}
        return _render(user, task, submission.raw, errors, _("Biểu mẫu có trường không hợp lệ."), status=422)
    before = {d["name"] for d in list_documents(user, task["dossier_code"])}
    try:
        task_svc.complete_task(user, task_id, {"data": submission.data})
    except Invalid as exc:
        blocked = [str(f.get("rule")) for f in exc.extra.get("findings", []) if isinstance(f, dict)]
        task = {**task, "findings": _merge_findings(task.get("findings") or [], exc.extra.get("findings"))}
        return _render(
            user, task, submission.raw, exc.fields, exc.message, sorted(set(exc.rules) | set(blocked)), 422
        )
    except Conflict as exc:
        if exc.code == "task_claimed":
            return _render(user, task, submission.raw, message=exc.message, status=409)
        return _already_done(task["dossier_code"])
    except NotFound:
        return _already_done(task["dossier_code"])
    issued = [d["name"] for d in list_documents(user, task["dossier_code"]) if d["name"] not in before]
    flash(_("Đã hoàn thành: %(title)s.", title=task["title"]), "success")
    return redirect(
        url_for("pages.dossier_page", code=task["dossier_code"], issued=",".join(issued) or None), code=303
    )


def _merge_findings(current: list[dict[str, Any]], fresh: Any) -> list[dict[str, Any]]:
    if not isinstance(fresh, list):
        return current
    seen = {(f.get("rule"), f.get("message")) for f in fresh}
    return list(fresh) + [f for f in current if (f.get("rule"), f.get("message")) not in seen]


def _already_done(code: str) -> Any:
    """A second submission of the same task (double click, two officials): it was completed once."""
    flash(_("Nhiệm vụ đã được xử lý."), "warning")
    if code:
        return redirect(url_for("pages.dossier_page", code=code), code=303)
    return redirect(url_for("pages.inbox"), code=303)


def _back(task_id: str) -> Any:
    target = safe_next(request.form.get("next")) or url_for("pages.task_page", task_id=task_id)
    return redirect(target, code=303)


@pages.post("/tasks/<task_id>/claim")
@login_required
def task_claim(task_id: str) -> Any:
    return _assign(task_id, task_svc.claim, _("Đã nhận việc: %(title)s (hồ sơ %(code)s)."))


@pages.post("/tasks/<task_id>/release")
@login_required
def task_release(task_id: str) -> Any:
    return _assign(task_id, task_svc.release, _("Đã trả lại việc: %(title)s (hồ sơ %(code)s)."))


def _assign(task_id: str, action: Any, done: str) -> Any:
    """Claim or release, then back to where the official was; a conflict is shown, not raised."""
    user = require_roles(*OFFICIAL_ROLES)
    try:
        task = action(user, task_id)
    except Conflict as exc:
        flash(exc.message, "error")
    else:
        flash(done % {"title": task["title"], "code": task["dossier_code"]}, "success")
    return _back(task_id)
