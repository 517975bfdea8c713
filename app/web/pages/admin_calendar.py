"""Administration of the working-day calendar: the year's days off and working weekend days, and the
admin's corrections (issue 8 §4)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.services import working_calendar
from app.services.collaborators import collaborators
from app.services.errors import ServiceError
from app.web.pages import pages
from app.web.pages.access import require_roles


@pages.get("/admin/calendar")
@login_required
def admin_calendar() -> Any:
    user = require_roles("admin")
    now = collaborators().clock.now()
    year_text = (request.args.get("year") or str(now.year)).strip()[:6]
    try:
        year = working_calendar.year_calendar(year_text, collaborators().calendar)
    except ServiceError as exc:
        flash(exc.fields.get("year") or exc.message, "error")
        year = working_calendar.year_calendar(str(now.year), collaborators().calendar)
    return render_template(
        "admin_calendar.html",
        year=year,
        corrections=working_calendar.list_corrections(user),
        form={},
        errors={},
        message=None,
    )


@pages.post("/admin/calendar")
@login_required
def admin_calendar_set() -> Any:
    user = require_roles("admin")
    form = {k: (request.form.get(k) or "") for k in ("date", "kind", "name", "source")}
    try:
        working_calendar.set_day(user, form, collaborators().clock.now())
    except ServiceError as exc:
        year = working_calendar.year_calendar(str(collaborators().clock.now().year), collaborators().calendar)
        return render_template(
            "admin_calendar.html",
            year=year,
            corrections=working_calendar.list_corrections(user),
            form=form,
            errors=exc.fields,
            message=exc.message,
        ), 422
    flash(_("Đã lưu ngày %(day)s vào lịch làm việc.", day=form["date"]), "success")
    return redirect(url_for("pages.admin_calendar", year=form["date"][:4]), code=303)


@pages.post("/admin/calendar/<day>/delete")
@login_required
def admin_calendar_delete(day: str) -> Any:
    user = require_roles("admin")
    try:
        working_calendar.delete_day(user, day)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(_("Đã bỏ điều chỉnh ngày %(day)s; ngày này theo lịch chính thức.", day=day), "success")
    return redirect(url_for("pages.admin_calendar"), code=303)
