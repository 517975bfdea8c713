"""The auditors' desk: a dossier's history replayed on its own diagram, reads of personal data, auditor
search with CSV export, the history as PDF, and the process heat map (analysts too)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from weasyprint import HTML

from app.documents.rendering import DataOnlyURLFetcher
from app.domain.waits import split_working_time
from app.models import Commune, ProcessVersion, db
from app.services import audit_reports, dossier_details
from app.services import personal_data as reads_svc
from app.services import replay as replay_svc
from app.services.access import OFFICIAL_ROLES
from app.services.collaborators import collaborators
from app.services.dossiers import get_dossier, list_documents
from app.services.errors import BadRequest, NotFound
from app.services.history import History, dossier_history
from app.services.processes import version_xml
from app.services.statistics import parse_period
from app.web import dossier_view as view
from app.web import labels
from app.web.pages import pages
from app.web.pages.access import require_roles
from app.web.read_log import records_read

log = logging.getLogger(__name__)
HISTORY_READERS = (*OFFICIAL_ROLES, "auditor")
AUDIT_PAGE = 200  # rows per page of the auditor search (keyset pages; the CSV holds them all)


def parse_upto(raw: str | None, last: int) -> int:
    """The step asked for (`?upto=`): 1..last, default the last event; 400 naming the field otherwise."""
    if raw in (None, ""):
        return last
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= max(last, 1):
        message = f"«Bước» (upto) phải là số từ 1 đến {max(last, 1)}."
        raise BadRequest(message, fields={"upto": message})
    return int(text)


def history_context(user: Any, code: str) -> dict[str, Any]:
    """Everything the history page and its PDF show."""
    dossier = get_dossier(user, code)
    history = dossier_history(user, dossier)
    upto = parse_upto(request.args.get("upto"), history.last_seq)
    titles = history.task_titles
    events = [
        {
            "seq": s.seq,
            "at": s.at.isoformat(),
            "type": s.type,
            "actor": s.actor,
            "task": s.task,
            "data": s.data,
        }
        for s in history.steps
    ]
    names = dossier_details.actor_names({s.actor for s in history.steps})
    documents = {doc["name"]: doc["title"] for doc in list_documents(user, code)}
    entries = {ev["seq"]: _entry(ev, titles, names, documents) for ev in events}
    kind = request.args.get("kind") or ""
    actor = request.args.get("actor") or ""
    rows = [
        (step, entries[step.seq])
        for step in history.steps
        if (not kind or step.type == kind) and (not actor or step.actor == actor)
    ]
    state = history.state_at(upto)
    bad = history.verdict.get("first_bad_seq")
    return {
        "dossier": dossier,
        "history": history,
        "upto": upto,
        "state": state,
        "rows": rows,
        "kinds": [(k, labels.label(labels.EVENTS, k)) for k in sorted({s.type for s in history.steps})],
        "actors": [
            (a, _("Hệ thống") if a == "system" else names.get(a, a))
            for a in sorted({s.actor for s in history.steps})
        ],
        "kind": kind,
        "actor": actor,
        "current": entries.get(upto),
        "declaration": view.declaration(dossier.procedure, state.data) if state else [],
        "changes": _changes_upto(history, upto),
        "markers": _markers(history, upto),
        "diagram_version": state.version_id if state else history.versions[0],
        "bad_seq": bad,
        "lookup_cards": lambda result: _lookup_cards(result, state.data if state else {}),
        "filters": {k: v for k, v in {"kind": kind, "actor": actor}.items() if v},
    }


def _entry(
    ev: dict[str, Any], titles: dict[str, str], names: dict[str, str], documents: dict[str, str]
) -> view.TimelineEntry:
    """The event in words; a row forged into a shape the words cannot read is still listed, as such."""
    try:
        return view.timeline([ev], titles, names, documents)[0]
    except (AttributeError, KeyError, TypeError, ValueError):
        log.warning("event %s of a dossier is not readable as recorded", ev["seq"])
        return view.TimelineEntry(
            ev["seq"],
            labels.local_datetime(ev["at"]),
            labels.label(labels.EVENTS, ev["type"]),
            str(ev["actor"]),
            _("Dữ liệu sự kiện không đọc được"),
            str(ev["type"]),
        )


def _lookup_cards(result: Any, data: dict[str, Any]) -> list[Any]:
    try:
        return view.lookup_cards(result, data)
    except (AttributeError, KeyError, TypeError, ValueError):
        return []


def _changes_upto(history: History, upto: int) -> list[Any]:
    """The data changes of the command whose state `upto` shows."""
    state = history.state_at(upto)
    if state is None:
        return []
    return next((s.changes for s in history.steps if s.seq == state.seq), [])


def _markers(history: History, upto: int) -> dict[str, Any]:
    state = history.state_at(upto)
    late = sorted({s.task for s in history.steps if s.late and s.seq <= upto and s.task})
    if state is None:
        return {"completed": [], "active": [], "passes": {}, "late": late}
    return {
        "completed": sorted(state.completed),
        "active": state.active,
        "passes": {k: v for k, v in state.completed.items() if v > 1},
        "late": late,
    }


@pages.get("/audit/dossiers/<code>")
@login_required
@records_read("history")
def dossier_history_page(code: str) -> Any:
    user = require_roles(*HISTORY_READERS)
    return render_template("audit_history.html", **history_context(user, code))


@pages.get("/audit/dossiers/<code>/versions/<int:version_id>.xml")
@login_required
def dossier_version_diagram(code: str, version_id: int) -> Any:
    """The BPMN of a process version this dossier ran on (its first, or one a migration moved it to)."""
    user = require_roles(*HISTORY_READERS)
    dossier = get_dossier(user, code)
    replay_svc.list_events(user, dossier)  # the audit reads' access check (never the portal)
    events = replay_svc.load_events(dossier)
    ran_on = {replay_svc.started_on(dossier, events), dossier.process_version_id}
    ran_on |= {int(e.data.get("to_version_id", 0)) for e in events if e.type == "migrated"}
    version = db.session.get(ProcessVersion, version_id) if version_id in ran_on else None
    if version is None:
        raise NotFound("Hồ sơ không chạy trên phiên bản quy trình này.")
    return Response(
        version.bpmn_xml, mimetype="application/xml", headers={"X-Content-Type-Options": "nosniff"}
    )


@pages.get("/audit/dossiers/<code>/reads")
@login_required
def dossier_reads_page(code: str) -> Any:
    user = require_roles("auditor")
    dossier = get_dossier(user, code)
    return render_template(
        "audit_reads.html", reads=reads_svc.reads_of_dossier(user, dossier), dossier=dossier, username=None
    )


@pages.get("/audit/reads")
@login_required
def user_reads_page() -> Any:
    user = require_roles("auditor")
    username = (request.args.get("user") or "").strip()[:80]
    reads = reads_svc.reads_by_user(user, username) if username else []
    return render_template("audit_reads.html", reads=reads, dossier=None, username=username)


@pages.app_template_filter("worktime")
def _filter_worktime(value: Any) -> str:
    if value is None:
        return ""
    days, hours, minutes = split_working_time(value)
    parts = []
    if days:
        parts.append(_("%(n)s ngày", n=days))
    if hours:
        parts.append(_("%(n)s giờ", n=hours))
    if minutes or not parts:
        parts.append(_("%(n)s phút", n=minutes))
    return _("%(span)s làm việc", span=" ".join(parts))


def csv_response(body: bytes, filename: str) -> Response:
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@pages.get("/audit/dossiers/<code>/history.pdf")
@login_required
@records_read("history_pdf")
def dossier_history_pdf(code: str) -> Any:
    """The whole history as a PDF report (WeasyPrint, nothing fetched from outside)."""
    user = require_roles("auditor")
    context = history_context(user, code)
    html = render_template("audit_history_print.html", printed_at=collaborators().clock.now(), **context)
    pdf = HTML(string=html, url_fetcher=DataOnlyURLFetcher()).write_pdf()
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="lich-su-{code}.pdf"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def _communes() -> list[tuple[str, str]]:
    return [(c, n) for c, n in db.session.execute(select(Commune.code, Commune.name).order_by(Commune.name))]


def _csv_labels() -> dict[str, dict[str, str]]:
    return {
        "procedure": {k: str(v) for k, v in labels.PROCEDURES.items()},
        "status": {k: str(v) for k, v in labels.STATUSES.items()},
        "timeliness": {"late": "Quá hạn", "on_time": "Đúng hạn"},
    }


@pages.get("/audit/search")
@login_required
def audit_search() -> Any:
    """The auditor's search across communes: commune, procedure, period, official, late/on time, refusal."""
    user = require_roles("auditor")
    f = audit_reports.parse_filter(request.args)
    after = request.args.get("after") or None
    page = audit_reports.search_page(user, f, limit=AUDIT_PAGE, cursor=after)
    args = {k: v for k, v in request.args.items() if v and k != "after"}
    return render_template(
        "audit_search.html",
        rows=page.rows,
        next_cursor=page.next_cursor,
        paged=bool(after),
        f=f,
        args=args,
        communes=_communes(),
    )


@pages.get("/audit/search.csv")
@login_required
def audit_search_csv() -> Any:
    user = require_roles("auditor")
    f = audit_reports.parse_filter(request.args)
    body = audit_reports.search_csv(audit_reports.search(user, f), _csv_labels())
    return csv_response(body, f"tra-cuu-ho-so-{f.period.start.isoformat()}-{f.period.end.isoformat()}.csv")


@pages.get("/processes/<key>/<int:version>/heat")
@login_required
def process_heat_page(key: str, version: int) -> Any:
    """The process diagram with, per element, dossiers passed, median wait and share late (a heat map)."""
    user = require_roles("auditor", "analyst")
    version_xml(key, version)  # 404 for an unknown version
    period = parse_period(request.args.get("from"), request.args.get("to"))
    commune = (request.args.get("commune") or "").strip() or None
    heat = audit_reports.process_heat(user, key, version, period, commune)
    return render_template(
        "audit_heat.html",
        key=key,
        version=version,
        period=period,
        heat=heat,
        commune=commune,
        communes=_communes(),
    )


@pages.app_template_filter("minutes_worktime")
def _filter_minutes_worktime(value: Any) -> str:
    return _filter_worktime(timedelta(minutes=float(value or 0)))
