"""Reception records a supplement in the browser: the citizen brings what the Phiếu yêu cầu bổ sung asked for.

The page shows the request's own words, the declaration as it stands (every field filled in, so an official
corrects or completes it) and attachment rows; the service re-checks the whole declaration and continues the
process exactly as a supplement sent through the API or the portal does.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app import procedures
from app.models import Dossier, User
from app.services import dossier_details
from app.services.collaborators import collaborators
from app.services.dossiers import get_dossier, supplement
from app.services.errors import Conflict, Invalid, TooLarge
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
from app.web.pages.counter import ATTACHMENT_ROWS, attachment_kinds, posted_attachments
from app.web.read_log import records_read

WAITING = "supplement_requested"


def _spec(dossier: Dossier) -> FormSpec:
    return build_form(collaborators().forms, procedures.get(dossier.procedure).process_key, "submission")


def _render(
    user: User,
    dossier: Dossier,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    message: str | None = None,
    kept: list[dict[str, str]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    spec = _spec(dossier)
    field_errors, general = place_errors(spec, errors or {})
    attachment_errors = [m for k, m in (errors or {}).items() if k.startswith("attachments")]
    return render_template(
        "supplement_form.html",
        dossier=dossier,
        asked=dossier_details.requested_supplement(dossier),
        spec=spec,
        values=values,
        shown=visibility(spec, values),
        field_errors=field_errors,
        general_errors=[m for m in general if m not in attachment_errors],
        attachment_errors=attachment_errors,
        message=message,
        kinds=attachment_kinds(dossier.procedure),
        kept=kept or [],
        rows=ATTACHMENT_ROWS,
        token=uuid.uuid4().hex,
    ), status


def _not_waiting(dossier: Dossier) -> Any:
    return redirect(url_for("pages.dossier_page", code=dossier.code, not_waiting=1), code=303)


@pages.get("/dossiers/<code>/supplement")
@login_required
@records_read("supplement_form")
def supplement_form(code: str) -> Any:
    user = require_roles("reception")
    dossier = get_dossier(user, code)
    if dossier.status != WAITING:
        return _not_waiting(dossier)
    return _render(user, dossier, initial_values(_spec(dossier), current=dossier.data))


@pages.post("/dossiers/<code>/supplement")
@login_required
def supplement_submit(code: str) -> Any:
    user = require_roles("reception")
    dossier = get_dossier(user, code)
    if dossier.status != WAITING:
        return _not_waiting(dossier)
    spec = _spec(dossier)
    submission = read_submission(spec, request.form)
    attachments, kept = posted_attachments()
    if submission.errors:
        errors = collaborators().forms.validate(
            procedures.get(dossier.procedure).process_key, "submission", submission.data
        )
        errors.update(submission.errors)
        return _render(user, dossier, submission.raw, errors, _("Hồ sơ có trường không hợp lệ."), kept, 422)
    try:
        supplement(user, code, {"data": submission.data, "attachments": attachments}, whole=True)
    except Invalid as exc:
        errors = {k.removeprefix("data."): v for k, v in exc.fields.items()}
        return _render(user, dossier, submission.raw, errors, exc.message, kept, 422)
    except TooLarge as exc:
        return _render(user, dossier, submission.raw, {}, exc.message, [], 413)
    except Conflict:  # another official recorded it a moment ago: nothing of ours was written
        return _not_waiting(dossier)
    return redirect(url_for("pages.dossier_page", code=code, supplemented=1), code=303)
