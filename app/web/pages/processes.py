"""Process versions for analysts (and admins): the list, and each version's diagram."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template
from flask_login import login_required

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
    require_roles(*ROLES)
    svc.version_xml(key, version)  # 404 for an unknown version
    return render_template("process_view.html", key=key, version=version)


@pages.get("/processes/<key>/<int:version>.xml")
@login_required
def process_xml(key: str, version: int) -> Any:
    require_roles(*ROLES)
    return Response(
        svc.version_xml(key, version),
        mimetype="application/xml",
        headers={"X-Content-Type-Options": "nosniff"},
    )
