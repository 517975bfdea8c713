"""Moving running dossiers to another process version (analysts): the form, the dry run and the report."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_login import login_required

from app.services import process_migration
from app.services.errors import BadRequest
from app.web.pages import pages
from app.web.pages.access import require_roles


@pages.route("/processes/<key>/migrations", methods=["GET", "POST"])
@login_required
def process_migrations(key: str) -> Any:
    """GET: the versions and their running dossiers; POST: dry-run or move, then the per-dossier report."""
    user = require_roles("analyst")
    versions = process_migration.running_by_version(user, key)
    form = {"to_version": str(versions[-1]["version"]), "dossiers": ""}
    report, errors, status = None, {}, 200
    if request.method == "POST":
        form = {
            "to_version": request.form.get("to_version", ""),
            "dossiers": request.form.get("dossiers", ""),
        }
        codes = [line.strip() for line in form["dossiers"].splitlines() if line.strip()]
        payload = {
            "to_version": int(form["to_version"]) if form["to_version"].isdigit() else None,
            "dossiers": codes or "all_running",
            "dry_run": request.form.get("action") != "migrate",
        }
        try:
            report = process_migration.migrate_dossiers(user, key, payload)
        except BadRequest as exc:
            errors, status = exc.fields or {"to_version": exc.message}, 400
        versions = process_migration.running_by_version(user, key)
    return render_template(
        "process_migrations.html", key=key, versions=versions, form=form, report=report, errors=errors
    ), status
