"""Reception records a supplement in the browser: the citizen brings what the Phiếu yêu cầu bổ sung asked for.

The page shows the request's own words, the declaration as it stands (every field filled in, so an official
corrects or completes it) and attachment rows; the service re-checks the whole declaration and continues the
process exactly as a supplement sent through the API or the portal does.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.models import Dossier
from app.services import dossier_details
from app.services.dossiers import get_dossier, supplement
from app.services.errors import Conflict, Invalid, TooLarge
from app.web.forms_render import (
    initial_values,
    read_submission,
)
from app.web.pages import pages
from app.web.pages.access import require_roles
from app.web.pages.counter import (
    declaration_errors,
    declaration_form,
    declaration_spec,
    posted_attachments,
    typed_errors,
)
from app.web.read_log import records_read

WAITING = "supplement_requested"


def _render(
    dossier: Dossier,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    message: str | None = None,
    kept: list[dict[str, str]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "supplement_form.html",
        dossier=dossier,
        asked=dossier_details.requested_supplement(dossier),
        **declaration_form(dossier.procedure, values, errors, message, kept),
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
    return _render(dossier, initial_values(declaration_spec(dossier.procedure), current=dossier.data))


@pages.post("/dossiers/<code>/supplement")
@login_required
def supplement_submit(code: str) -> Any:
    user = require_roles("reception")
    dossier = get_dossier(user, code)
    if dossier.status != WAITING:
        return _not_waiting(dossier)
    submission = read_submission(declaration_spec(dossier.procedure), request.form)
    attachments, kept = posted_attachments()
    if submission.errors:
        errors = typed_errors(dossier.procedure, submission)
        return _render(dossier, submission.raw, errors, _("Hồ sơ có trường không hợp lệ."), kept, 422)
    try:
        supplement(user, code, {"data": submission.data, "attachments": attachments}, whole=True)
    except Invalid as exc:
        return _render(dossier, submission.raw, declaration_errors(exc), exc.message, kept, 422)
    except TooLarge as exc:
        return _render(dossier, submission.raw, {}, exc.message, [], 413)
    except Conflict:  # another official recorded it a moment ago: nothing of ours was written
        return _not_waiting(dossier)
    return redirect(url_for("pages.dossier_page", code=code, supplemented=1), code=303)
