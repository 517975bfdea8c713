"""Task endpoints for officials."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for

from app.services import tasks as svc
from app.web.api import api, authenticated, current_user, json_body
from app.web.read_log import dossier_of_task, records_read


@api.get("/tasks")
@authenticated
def task_index() -> Any:
    mine = request.args.get("mine", "").lower() in ("1", "true", "yes")
    page = svc.list_tasks(
        current_user(),
        dossier=request.args.get("dossier") or None,
        mine=mine,
        after=request.args.get("after") or None,
    )
    response = jsonify(page.items)
    if page.next_cursor:
        # the body stays the list it always was; the next page is a link (RFC 8288) and a plain header
        args = {k: v for k, v in request.args.items() if k != "after"}
        response.headers["Link"] = (
            f'<{url_for("api.task_index", **args, after=page.next_cursor)}>; rel="next"'
        )
        response.headers["X-Next-Cursor"] = page.next_cursor
    return response


@api.get("/tasks/<task_id>")
@authenticated
@records_read("api.task", dossier=dossier_of_task)
def task_show(task_id: str) -> Any:
    return jsonify(svc.get_task(current_user(), task_id))


@api.post("/tasks/<task_id>/claim")
@authenticated
def task_claim(task_id: str) -> Any:
    return jsonify(svc.claim(current_user(), task_id))


@api.post("/tasks/<task_id>/release")
@authenticated
def task_release(task_id: str) -> Any:
    return jsonify(svc.release(current_user(), task_id))


@api.post("/tasks/<task_id>/complete")
@authenticated
def task_complete(task_id: str) -> Any:
    return jsonify(svc.complete_task(current_user(), task_id, json_body()))
