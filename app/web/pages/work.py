"""Officials' work pages: inbox, task form, dossier (the full interface is built on these)."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required

from app.services import tasks as task_svc
from app.web.pages import pages


@pages.get("/")
def index() -> Any:
    return redirect(url_for("pages.inbox"))


@pages.get("/inbox")
@login_required
def inbox() -> Any:
    items = (
        task_svc.list_tasks(current_user) if current_user.has_role("reception", "officer", "chairman") else []
    )
    return render_template("inbox.html", items=items)
