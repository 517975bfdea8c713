"""The working-day calendar (api.md § Calendar): the year's days off and the due-date computation the
dossiers use; the admin's corrections."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from app.services import working_calendar as svc
from app.services.collaborators import collaborators
from app.web.api import api, authenticated, current_user, json_body


@api.get("/calendar/due")
@authenticated
def calendar_due() -> Any:
    args = request.args
    return jsonify(svc.due(args.get("received_at"), args.get("working_days"), collaborators().calendar))


@api.get("/calendar/days")
@authenticated
def calendar_corrections() -> Any:
    return jsonify(svc.list_corrections(current_user()))


@api.put("/calendar/days")
@authenticated
def calendar_set_day() -> Any:
    return jsonify(svc.set_day(current_user(), json_body(), collaborators().clock.now()))


@api.delete("/calendar/days/<day>")
@authenticated
def calendar_delete_day(day: str) -> Any:
    svc.delete_day(current_user(), day)
    return jsonify({"ok": True})


@api.get("/calendar/<year>")
@authenticated
def calendar_year(year: str) -> Any:
    return jsonify(svc.year_calendar(year, collaborators().calendar))
