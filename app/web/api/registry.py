"""The embedded registry's admin API, and job incidents."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from app.services import jobs, registry_admin
from app.web.api import api, authenticated, current_user, json_body
from app.web.read_log import records_read, shown_person


@api.post("/registry/persons")
@authenticated
def create_person() -> Any:
    return jsonify({"personal_id": registry_admin.create_person(current_user(), json_body())}), 201


@api.get("/registry/persons/<personal_id>")
@authenticated
@records_read("api.registry_person")
def get_person(personal_id: str) -> Any:
    person = registry_admin.get_person(current_user(), personal_id)
    shown_person(personal_id)
    return jsonify(person)


@api.get("/incidents")
@authenticated
def incidents() -> Any:
    return jsonify(jobs.list_incidents(current_user()))


@api.post("/incidents/<int:job_id>/retry")
@authenticated
def retry(job_id: int) -> Any:
    jobs.retry_incident(current_user(), job_id)
    return jsonify({"ok": True})
