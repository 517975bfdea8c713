"""Finding a dossier by code or name (officials: own commune; auditors: their scope)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_login import login_required

from app import procedures
from app.services.access import OFFICIAL_ROLES
from app.services.dossier_search import search_dossiers
from app.web import labels
from app.web.pages import pages
from app.web.pages.access import require_roles
from app.web.read_log import records_read, shown


@pages.get("/dossiers")
@login_required
@records_read("search")
def dossier_search() -> Any:
    user = require_roles(*OFFICIAL_ROLES, "auditor")
    q = (request.args.get("q") or "").strip()[:100]
    procedure = request.args.get("procedure") or None
    status = request.args.get("status") or None
    before = request.args.get("before", "")
    page = search_dossiers(
        user,
        q=q or None,
        procedure=procedure if procedure in procedures.keys() else None,
        status=status if status in labels.STATUSES else None,
        before=int(before) if before.isdigit() else None,
    )
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    shown(item["code"] for item in page.items)
    return render_template(
        "search.html", page=page, q=q, procedure=procedure, status=status, args=args, paged=bool(before)
    )
