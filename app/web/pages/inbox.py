"""The inbox of reception, officer and chairman: tabs with counts, filters, search, keyset pages, polling."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import current_app, jsonify, render_template, request
from flask_login import current_user, login_required

from app import procedures
from app.services import inbox as svc
from app.services.access import OFFICIAL_ROLES
from app.services.collaborators import collaborators
from app.web.forms_render import format_date, parse_date
from app.web.pages import pages
from app.web.pages.access import require_roles
from app.web.read_log import records_read, shown


def _date_arg(name: str) -> date | None:
    """dd/mm/yyyy as typed (or YYYY-MM-DD); None when empty or not a date."""
    return parse_date(request.args.get(name, ""))


def _choice(name: str, allowed: Any) -> str | None:
    value = request.args.get(name) or None
    return value if value in allowed else None


def filters_from_request() -> svc.InboxFilters:
    return svc.InboxFilters(
        tab=_choice("tab", svc.TABS) or "all",
        procedure=_choice("procedure", procedures.keys()),
        task=(request.args.get("task") or None),
        claim=_choice("claim", ("free", "claimed")),
        channel=_choice("channel", ("counter", "online", "post")),
        due_from=_date_arg("due_from"),
        due_to=_date_arg("due_to"),
        q=(request.args.get("q") or "").strip()[:100] or None,
    )


@pages.get("/inbox")
@login_required
@records_read("inbox")
def inbox() -> Any:
    user = require_roles(*OFFICIAL_ROLES)
    f = filters_from_request()
    now = collaborators().clock.now()
    page = svc.inbox_page(user, f, now, request.args.get("after"))
    counts = svc.tab_counts(user, f, now)
    args = {k: v for k, v in request.args.items() if k not in ("after", "tab") and v}
    shown(t["dossier_code"] for t in page.items)  # each row names the dossier's subject
    return render_template(
        "inbox.html",
        f=f,
        page=page,
        counts=counts,
        count_cap=svc.COUNT_CAP,
        args=args,
        task_choices=svc.task_choices(user),
        due_from=format_date(f.due_from.isoformat()) if f.due_from else request.args.get("due_from", ""),
        due_to=format_date(f.due_to.isoformat()) if f.due_to else request.args.get("due_to", ""),
        now=now,
        paged=bool(request.args.get("after")),
        registry_waiting=svc.registry_waiting(user),
        poll_interval=int(current_app.config.get("HOTICH_POLL_INTERVAL_MS", 20_000)),
    )


@pages.get("/inbox/poll")
def inbox_poll() -> Any:
    """Counts and new tasks for the banner; JSON, session-authenticated (401, not a redirect)."""
    if not current_user.is_authenticated or not current_user.has_role(*OFFICIAL_ROLES):
        return jsonify({"error": {"code": "unauthorized", "message": "Cần đăng nhập."}}), 401
    since = None
    try:
        # a "+" of the UTC offset arrives as a space when the caller did not encode it
        since = datetime.fromisoformat(request.args.get("since", "").replace(" ", "+"))
    except ValueError:
        since = None
    if since is not None and since.tzinfo is None:
        since = None
    return jsonify(svc.poll(current_user, since, collaborators().clock.now()))
