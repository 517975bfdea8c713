"""The one hook that records reads of personal data: `@records_read(view)` on every endpoint that shows
personal data (pages and API alike).

An endpoint about one dossier names it by its `code` (or `dossier=`); a list that shows names (the inbox, the
search, a register book) or a registry person's record calls `shown(...)` / `shown_person(...)` for what it
rendered. The endpoint runs first (authentication, scope, rendering); only a successful (2xx) answer is
recorded, with the user, the dossiers or persons and the view, in one small write transaction
(services.personal_data). If the record cannot be written (the database stayed busy), the answer is not sent:
the caller gets 409 "busy".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from flask import g, make_response, request
from flask_login import current_user
from sqlalchemy import select

from app.models import ClosedTask, Dossier, OpenTask, User, db
from app.services.personal_data import record_reads

F = TypeVar("F", bound=Callable[..., Any])


def dossier_of_task(kwargs: dict[str, Any]) -> str | None:
    """The code of the dossier a task (open or closed) belongs to."""
    task_id = str(kwargs.get("task_id"))
    code = db.session.scalar(select(OpenTask.dossier_code).where(OpenTask.id == task_id))
    if code is None:
        code = db.session.scalar(
            select(Dossier.code)
            .join(ClosedTask, ClosedTask.dossier_id == Dossier.id)
            .where(ClosedTask.id == task_id)
        )
    return code


def _code_kwarg(kwargs: dict[str, Any]) -> str | None:
    code = kwargs.get("code")
    return str(code) if code is not None else None


def shown(codes: Iterable[str]) -> None:
    """The answer being built shows these dossiers' personal data (a list with names)."""
    g.setdefault("personal_data_shown", []).extend(codes)


def shown_person(personal_id: str) -> None:
    """The answer being built shows a population-registry person's record (no dossier yet)."""
    g.setdefault("personal_data_persons", []).append(personal_id)


def records_read(
    view: str, *, dossier: Callable[[dict[str, Any]], str | None] = _code_kwarg
) -> Callable[[F], F]:
    """Record every successful call of the decorated endpoint as a read of the dossier's personal data."""

    def decorate(fn: F) -> F:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            response = make_response(fn(*args, **kwargs))
            if 200 <= response.status_code < 300:
                user: User | None = g.get("user")
                channel = "api" if user is not None else "page"
                if user is None:
                    user = current_user._get_current_object()
                code = dossier(kwargs)
                codes = ([code] if code is not None else []) + list(g.pop("personal_data_shown", []))
                persons = list(g.pop("personal_data_persons", []))
                if (codes or persons) and user is not None:
                    detail = [f"{k}={v}" for k, v in kwargs.items() if k != "code"]
                    detail += [f"{k}={v}" for k, v in request.args.items() if v]
                    record_reads(
                        user, codes, view, channel=channel, detail=", ".join(detail), subjects=persons
                    )
            return response

        return wrapper  # type: ignore[return-value]

    return decorate
