"""Administration: the mail outbox, job incidents (retry), and the population-registry stand-in."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.integrations.mail import list_messages, message_text, read_message
from app.services import jobs, notifications, registry_admin
from app.services.errors import NotFound
from app.web.pages import pages
from app.web.pages.access import require_roles
from app.web.read_log import records_read, shown, shown_person


@pages.get("/admin/outbox")
@login_required
@records_read("admin_outbox")
def admin_outbox() -> Any:
    """The mails kept and the mails still queued: each names a requester and their address."""
    user = require_roles("admin")
    messages = list_messages(current_app.config["HOTICH_MAIL_OUTBOX"])
    queued = notifications.queued_mails(user)
    shown([m.dossier for m in messages if m.dossier] + [str(q["code"]) for q in queued if q["code"]])
    return render_template("admin_outbox.html", messages=messages, queued=queued)


@pages.get("/admin/outbox/<name>")
@login_required
@records_read("admin_message")
def admin_message(name: str) -> Any:
    require_roles("admin")
    try:
        message = read_message(current_app.config["HOTICH_MAIL_OUTBOX"], name)
    except KeyError:
        abort(404)
    if message["X-Hotich-Dossier"]:
        shown([str(message["X-Hotich-Dossier"])])
    return render_template("admin_message.html", name=name, message=message, body=message_text(message))


@pages.get("/admin/incidents")
@login_required
def admin_incidents() -> Any:
    user = require_roles("admin")
    return render_template("admin_incidents.html", incidents=jobs.list_incidents(user))


@pages.post("/admin/incidents/<int:job_id>/retry")
@login_required
def admin_retry(job_id: int) -> Any:
    user = require_roles("admin")
    try:
        jobs.retry_incident(user, job_id)
    except NotFound as exc:
        flash(exc.message, "error")
    else:
        flash(_("Đã đưa việc số %(id)s vào hàng đợi để chạy lại.", id=job_id), "success")
    return redirect(url_for("pages.admin_incidents"), code=303)


@pages.get("/admin/registry")
@login_required
@records_read("admin_registry")
def admin_registry() -> Any:
    user = require_roles("admin")
    q = (request.args.get("q") or "").strip()[:100]
    persons = registry_admin.search_persons(user, q)
    for person in persons:
        shown_person(str(person["personal_id"]))
    return render_template("admin_registry.html", q=q, persons=persons)
