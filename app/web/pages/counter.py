"""Counter work: reception enters a paper dossier (channel "counter") with the procedure's submission form."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

from flask import jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app import procedures
from app.integrations.registry import RegistryUnavailable
from app.models import User
from app.services.collaborators import collaborators
from app.services.dossiers import attachment_kinds as accepted_kinds
from app.services.dossiers import submit_dossier
from app.services.errors import Invalid, TooLarge
from app.services.processes import active_version
from app.web.dossier_view import lookup_cards
from app.web.forms_render import (
    FormSpec,
    Submission,
    build_form,
    initial_values,
    place_errors,
    read_submission,
    visibility,
)
from app.web.pages import pages
from app.web.pages.access import require_roles
from app.web.read_log import records_read, shown_person

ATTACHMENT_ROWS = 3


def available_procedures() -> list[str]:
    """Procedures with a deployed process and a submission form."""
    forms = collaborators().forms
    return [
        p.key
        for p in procedures.all_procedures()
        if forms.exists(p.process_key, "submission")
        and active_version(p.process_key, required=False) is not None
    ]


def attachment_kinds(procedure: str) -> list[tuple[str, str]]:
    """The attachment kinds the procedure accepts (its record's list), as (value, name) for the select."""
    return list(accepted_kinds(procedures.get(procedure)).items())


def declaration_spec(procedure: str) -> FormSpec:
    """The procedure's submission form, as the pages render and read it."""
    return build_form(collaborators().forms, procedures.get(procedure).process_key, "submission")


@pages.get("/counter")
@login_required
def counter_choose() -> Any:
    require_roles("reception")
    choices = [procedures.get(key) for key in available_procedures()]
    return render_template("counter_choose.html", procedures=choices)


def _render(
    user: User,
    procedure: str,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    message: str | None = None,
    kept: list[dict[str, str]] | None = None,
    token: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "counter_form.html",
        procedure=procedure,
        token=token or uuid.uuid4().hex,
        commune=user.commune,
        **declaration_form(procedure, values, errors, message, kept),
    ), status


def declaration_form(
    procedure: str,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    message: str | None = None,
    kept: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """What a page with the procedure's declaration shows (the counter form, the supplement page): its fields
    with their values and errors, the other errors, and the attachment rows with their own errors."""
    spec = declaration_spec(procedure)
    field_errors, general = place_errors(spec, errors or {})
    attachment_errors = [m for k, m in (errors or {}).items() if k.startswith("attachments")]
    return {
        "spec": spec,
        "values": values,
        "shown": visibility(spec, values),
        "field_errors": field_errors,
        "general_errors": [m for m in general if m not in attachment_errors],
        "attachment_errors": attachment_errors,
        "message": message,
        "kinds": attachment_kinds(procedure),
        "kept": kept or [],
        "rows": ATTACHMENT_ROWS,
    }


def typed_errors(procedure: str, submission: Submission) -> dict[str, str]:
    """A posted declaration some of whose values could not be read (a date, a number): what the schema says
    of the rest, and those conversion errors, so every problem is shown at once."""
    errors = collaborators().forms.validate(
        procedures.get(procedure).process_key, "submission", submission.data
    )
    errors.update(submission.errors)
    return errors


def declaration_errors(exc: Invalid) -> dict[str, str]:
    """The service's field errors ("data.child.full_name") at the form's paths ("child.full_name")."""
    return {k.removeprefix("data."): v for k, v in exc.fields.items()}


@pages.get("/counter/person")
@login_required
@records_read("counter_person")
def counter_person() -> Any:
    """What the population registry holds for a personal id typed at the counter, as the form shows it in
    place of the person's block: {"status": "found", "rows": [[title, value], ...]} | "not_found" | "invalid"
    | "unavailable" (the registry is down: the lookup job will try again after submission)."""
    require_roles("reception")
    personal_id = (request.args.get("personal_id") or "").strip()
    if not re.fullmatch(r"\d{12}", personal_id):
        return jsonify(status="invalid", message=_("Số định danh cá nhân phải gồm đúng 12 chữ số."))
    try:
        record = collaborators().registry.lookup(personal_id)
    except RegistryUnavailable:
        return jsonify(
            status="unavailable",
            message=_("Chưa tra cứu được CSDL dân cư; hệ thống sẽ tra cứu lại sau khi nộp hồ sơ."),
        )
    if record is None:
        return jsonify(
            status="not_found",
            message=_(
                "Không tìm thấy số định danh này trong CSDL dân cư. Kiểm tra lại số; nếu người này chưa có "
                "số định danh, xóa số để khai đầy đủ thông tin."
            ),
        )
    card = lookup_cards({"person": record}, {})[0]
    shown_person(personal_id)
    return jsonify(status="found", title=_("Theo CSDL quốc gia về dân cư"), rows=card.rows)


@pages.get("/counter/<procedure>")
@login_required
def counter_form(procedure: str) -> Any:
    user = require_roles("reception")
    if procedure not in available_procedures():
        return redirect(url_for("pages.counter_choose"))
    return _render(user, procedure, initial_values(declaration_spec(procedure)))


@pages.post("/counter/<procedure>")
@login_required
def counter_submit(procedure: str) -> Any:
    user = require_roles("reception")
    if procedure not in available_procedures():
        return redirect(url_for("pages.counter_choose"))
    spec = declaration_spec(procedure)
    submission = read_submission(spec, request.form)
    attachments, kept = posted_attachments()
    token = (request.form.get("submission_token") or "")[:64] or uuid.uuid4().hex
    if submission.errors:
        errors = typed_errors(procedure, submission)
        return _render(
            user, procedure, submission.raw, errors, _("Hồ sơ có trường không hợp lệ."), kept, token, 422
        )
    payload = {
        "procedure": procedure,
        "commune_code": user.commune_code,
        "channel": "counter",
        "data": submission.data,
        "attachments": attachments,
    }
    try:
        # the form's one-time token is the Idempotency-Key: a double click submits one dossier
        dossier, _created = submit_dossier(user, payload, idempotency_key=f"counter:{token}")
    except Invalid as exc:
        return _render(
            user, procedure, submission.raw, declaration_errors(exc), exc.message, kept, token, 422
        )
    except TooLarge as exc:
        return _render(user, procedure, submission.raw, {}, exc.message, [], token, 413)
    return redirect(url_for("pages.dossier_page", code=dossier.code, submitted=1), code=303)


def posted_attachments() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Uploaded files (and files kept from a rejected attempt) as the service's attachment list."""
    out: list[dict[str, str]] = []
    for item in request.form.getlist("att_keep"):
        kind, _sep, rest = item.partition("|")
        filename, _sep2, content = rest.rpartition("|")
        if kind and filename and content:
            out.append({"kind": kind, "filename": filename, "content_base64": content})
    for name, upload in sorted(request.files.items(multi=True)):
        index = name.removeprefix("att_file_")
        if not name.startswith("att_file_") or not index.isdigit() or not upload.filename:
            continue
        content = upload.read()
        out.append(
            {
                "kind": request.form.get(f"att_kind_{index}") or "other",
                "filename": upload.filename,
                "content_base64": base64.b64encode(content).decode("ascii"),
            }
        )
    return out, out
