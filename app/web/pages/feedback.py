"""Feedback pages: the public form per commune (no login, CSRF token, rate-limited), the department's
compilation (categories, trends, proposals linked to a process version), the officials' answers on the
dossier page and the analysts' view per process and diagram element."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app import procedures
from app.extensions import db
from app.models import Commune
from app.services import feedback as svc
from app.services.access import OFFICIAL_ROLES
from app.services.dossiers import get_dossier
from app.services.errors import RateLimited, ServiceError
from app.web.charts import Series, stacked_bars
from app.web.pages import pages
from app.web.pages.access import require_roles

FILTERS = ("procedure", "commune_code", "category", "from", "to")


def _commune(code: str) -> Commune:
    commune = db.session.get(Commune, code)
    if commune is None:
        abort(404)
    return commune


@pages.route("/feedback/<commune_code>", methods=["GET", "POST"])
def feedback_public(commune_code: str) -> Any:
    """Góp ý, phản ánh of a citizen: the form, and on POST the stored feedback (PRG to the thank-you)."""
    commune = _commune(commune_code)
    source = "verify" if (request.values.get("source") == "verify") else "public"
    form = {
        "procedure": request.values.get("procedure") or "",
        "dossier_code": request.values.get("dossier_code") or "",
        "rating": request.values.get("rating") or "",
        "text": request.values.get("text") or "",
        "element_id": request.values.get("element_id") or "",
    }
    errors: dict[str, str] = {}
    message, status = None, 200
    if request.method == "POST":
        try:
            svc.submit({**form, "commune_code": commune.code}, request.remote_addr or "?", source)
        except RateLimited as exc:
            message, status = exc.message, 429
        except ServiceError as exc:
            errors, message, status = exc.fields, exc.message, exc.status
        else:
            return redirect(url_for("pages.feedback_thanks", commune_code=commune.code), code=303)
    return render_template(
        "feedback_public.html", commune=commune, form=form, errors=errors, message=message, source=source
    ), status


@pages.get("/feedback/<commune_code>/thanks")
def feedback_thanks(commune_code: str) -> Any:
    return render_template("feedback_thanks.html", commune=_commune(commune_code))


def _filters() -> dict[str, str]:
    from app.web.pages.statistics import typed_date

    out = {k: request.args.get(k, "") for k in FILTERS}
    return {**out, "from": typed_date(out["from"]) or "", "to": typed_date(out["to"]) or ""}


@pages.get("/department/feedback")
@login_required
def feedback_review() -> Any:
    from app.web import labels

    user = require_roles(*svc.REVIEW_ROLES)
    filters = _filters()
    data = svc.compile_feedback(user, filters)
    trend = stacked_bars(
        _("Số phản ánh theo tháng"),
        [Series("count", _("Số phản ánh"), "chart--online")],
        [(t["month"][5:] + "/" + t["month"][:4], [t["count"]], [None]) for t in data["trend"]],
    )
    return render_template(
        "feedback_review.html",
        data=data,
        filters=filters,
        communes=svc.review_communes(user),
        categories=svc.CATEGORIES,
        proposals=svc.list_proposals(user),
        versions=svc.process_versions(),
        trend=trend,
        procedure_titles=labels.PROCEDURES,
        here=request.full_path,
    )


def _back() -> Any:
    target = request.form.get("next") or ""
    if not target.startswith("/department/feedback"):
        target = url_for("pages.feedback_review")
    return redirect(target, code=303)


@pages.post("/department/feedback/<int:feedback_id>/category")
@login_required
def feedback_categorise(feedback_id: int) -> Any:
    user = require_roles("department")
    svc.categorise(user, feedback_id, request.form.get("category", ""))
    flash(_("Đã phân loại phản ánh số %(n)s.", n=feedback_id), "success")
    return _back()


@pages.post("/department/proposals")
@login_required
def proposal_create() -> Any:
    user = require_roles(*svc.REVIEW_ROLES)
    payload = {
        "procedure": request.form.get("procedure"),
        "title": request.form.get("title"),
        "description": request.form.get("description"),
        "process_version_id": request.form.get("process_version_id"),
        "feedback_ids": request.form.getlist("feedback_ids"),
    }
    try:
        proposal_id = svc.create_proposal(user, payload)
    except ServiceError as exc:
        flash(" ".join([exc.message, *exc.fields.values()]), "error")
        return _back()
    flash(_("Đã lập đề xuất điều chỉnh quy trình số %(n)s.", n=proposal_id), "success")
    return _back()


@pages.post("/department/proposals/<int:proposal_id>/version")
@login_required
def proposal_link_version(proposal_id: int) -> Any:
    user = require_roles(*svc.REVIEW_ROLES)
    try:
        svc.link_version(user, proposal_id, request.form.get("process_version_id"))
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(" ".join([exc.message, *exc.fields.values()]), "error")
        return _back()
    flash(_("Đã gắn đề xuất số %(n)s với phiên bản quy trình.", n=proposal_id), "success")
    return _back()


@pages.post("/dossiers/<code>/feedback/<int:feedback_id>/answer")
@login_required
def feedback_answer(code: str, feedback_id: int) -> Any:
    user = require_roles(*OFFICIAL_ROLES)
    dossier = get_dossier(user, code)
    try:
        svc.answer(user, dossier, feedback_id, request.form.get("answer"))
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        flash(" ".join(exc.fields.values()) or exc.message, "error")
    else:
        flash(_("Đã lưu câu trả lời phản ánh."), "success")
    return redirect(url_for("pages.dossier_page", code=code) + "#feedback-title", code=303)


@pages.get("/processes/<key>/feedback")
@login_required
def process_feedback(key: str) -> Any:
    """What citizens said about one process, per diagram element (masked)."""
    user = require_roles("analyst")
    try:
        procedure = procedures.by_process_key(key)
    except procedures.UnknownProcedure:
        abort(404)
    element = request.args.get("element_id") or ""
    data = svc.compile_feedback(user, {"procedure": procedure.key, "element_id": element})
    return render_template(
        "process_feedback.html",
        key=key,
        procedure=procedure,
        data=data,
        element=element,
        by_element=svc.compile_feedback(user, {"procedure": procedure.key})["by_element"],
        proposals=[p for p in svc.list_proposals(user) if p["procedure"] == procedure.key],
    )
