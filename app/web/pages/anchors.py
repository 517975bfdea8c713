"""The auditors' anchor page: the daily anchors (printable, downloadable) and the check of a kept one."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from app.services import audit_anchor
from app.services.errors import Invalid
from app.web.pages import pages
from app.web.pages.access import require_roles


@pages.get("/audit/anchors")
@login_required
def audit_anchors() -> Any:
    user = require_roles("auditor", "admin")
    return render_template("anchors.html", anchors=audit_anchor.list_anchors(user), check=None)


@pages.get("/audit/anchors/<day>.json")
@login_required
def audit_anchor_download(day: str) -> Any:
    user = require_roles("auditor", "admin")
    anchor = audit_anchor.anchor_file(user, day)
    return Response(
        json.dumps(anchor, ensure_ascii=False, indent=1),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="moc-neo-{anchor["day"]}.json"'},
    )


@pages.post("/audit/anchors/check")
@login_required
def audit_anchor_check() -> Any:
    """Check an uploaded anchor file against the database now (a read: nothing is written)."""
    user = require_roles("auditor", "admin")
    upload = request.files.get("file")
    try:
        kept = json.loads(upload.read()) if upload else None
    except ValueError:
        kept = None
    if kept is None:
        raise Invalid(_("Hãy chọn tệp mốc neo (.json) đã lưu."))
    check = audit_anchor.check_anchor_as(user, kept)
    return render_template("anchors.html", anchors=audit_anchor.list_anchors(user), check=check)
