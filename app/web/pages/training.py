"""The training space's own pages (registered only in the training app, at /training/exercises): the
exercises, starting one, the score and explanation, the trainer's results, writing an exercise, a reset."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import procedures
from app.models import User
from app.services.errors import Invalid, ServiceError
from app.training import exercises as ex
from app.web.pages import service_error_page
from app.web.pages.access import require_roles

training_pages = Blueprint("training", __name__, url_prefix="/exercises")
training_pages.register_error_handler(ServiceError, service_error_page)
TRAINEES = ("reception", "officer", "chairman")


@training_pages.get("/")
@login_required
def exercises() -> Any:
    user: User = current_user
    return render_template(
        "training_exercises.html",
        exercises=ex.list_exercises(),
        attempts=ex.attempts_of(user) if not user.has_role(*ex.TRAINERS) else [],
        trainer=user.has_role(*ex.TRAINERS),
        can_start=user.has_role(*TRAINEES),
        decisions=ex.DECISIONS,
    )


@training_pages.post("/<int:exercise_id>/start")
@login_required
def start(exercise_id: int) -> Any:
    user = require_roles(*TRAINEES)
    attempt, task_id = ex.start(user, exercise_id)
    if task_id is None:
        return redirect(url_for("training.attempt", attempt_id=attempt.id), code=303)
    return redirect(url_for("pages.task_page", task_id=task_id), code=303)


@training_pages.get("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int) -> Any:
    found, exercise = ex.get_attempt(current_user, attempt_id)
    return render_template("training_attempt.html", attempt=found, exercise=exercise, decisions=ex.DECISIONS)


@training_pages.get("/results")
@login_required
def results() -> Any:
    user = require_roles(*ex.TRAINERS)
    trainee = request.args.get("trainee") or None
    return render_template(
        "training_results.html", rows=ex.attempts_of(user, trainee), trainee=trainee, decisions=ex.DECISIONS
    )


@training_pages.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    user = require_roles(*ex.TRAINERS)
    form = request.form.to_dict() if request.method == "POST" else {"data": "{}"}
    errors: dict[str, str] = {}
    message = None
    if request.method == "POST":
        try:
            created = ex.create_exercise(user, form)
        except Invalid as exc:
            errors, message = exc.fields, exc.message
        else:
            return redirect(url_for("training.exercises", created=created.id), code=303)
    return render_template(
        "training_new.html",
        form=form,
        errors=errors,
        message=message,
        procedures=procedures.all_procedures(),
        decisions=ex.DECISIONS,
    ), (422 if errors else 200)


@training_pages.post("/reset")
@login_required
def reset() -> Any:
    user: User = current_user
    trainee = request.form.get("trainee") or user.username
    removed = ex.reset(user, trainee)
    target = "training.results" if user.has_role(*ex.TRAINERS) else "training.exercises"
    return redirect(url_for(target, reset=removed), code=303)
