"""Process versions for analysts (and admins): the list, and each version's diagram."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template
from flask_login import login_required

from app import procedures
from app.services import feedback
from app.services import processes as svc
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
