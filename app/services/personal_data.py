"""Reads of personal data are themselves recorded (Decree 13/2023/NĐ-CP, Art. 26–27 on processing logs).

Every read of a dossier's personal data — an official's dossier or task page, an auditor's history or
export, the API's dossier, task, events and replay answers, an issued document or an attachment — writes one
`personal_data_read` row: who, with which roles, when, which dossier, through which view. The web layer calls
`record_read` from one hook (app/web/read_log.py) after the view has succeeded; the row is its own small write
transaction through `transaction.write` (the SQLite write lock is taken first, contention is retried, then
409 "busy", never 5xx) and the data is not served when it could not be recorded.

Auditors list the reads per dossier and per user; they never write a dossier.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.models import Dossier, PersonalDataRead, User, db
from app.services.access import ensure_readable, scope_dossiers
from app.services.collaborators import collaborators
from app.services.errors import Forbidden, NotFound
from app.services.transaction import write

MAX_ROWS = 500


def record_read(user: User, dossier_code: str, view: str, *, channel: str, detail: str = "") -> None:
    """Append one read record for `dossier_code` (already authorised by the view that read it)."""
    dossier_id = db.session.scalar(select(Dossier.id).where(Dossier.code == dossier_code))
    if dossier_id is None:
        raise NotFound("Không tìm thấy hồ sơ.")
    row = {
        "at": collaborators().clock.now(),
        "username": user.username,
        "roles": ",".join(user.roles)[:200],
        "dossier_id": dossier_id,
        "dossier_code": dossier_code,
        "channel": channel,
        "view": view[:60],
        "detail": detail[:300],
    }

    def work() -> None:
        db.session.add(PersonalDataRead(**row))

    write(work)


def _auditor(actor: User) -> None:
    if not actor.has_role("auditor"):
        raise Forbidden("Chỉ thanh tra, kiểm tra được xem nhật ký truy cập dữ liệu cá nhân.")


def reads_of_dossier(actor: User, dossier: Dossier) -> list[dict[str, Any]]:
    """Every recorded read of one dossier, newest first (auditors, within their scope)."""
    _auditor(actor)
    ensure_readable(actor, dossier)
    rows = db.session.scalars(
        select(PersonalDataRead)
        .where(PersonalDataRead.dossier_id == dossier.id)
        .order_by(PersonalDataRead.at.desc(), PersonalDataRead.id.desc())
        .limit(MAX_ROWS)
    )
    return [read_view(r) for r in rows]


def reads_by_user(
    actor: User, username: str, since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    """Every recorded read by one user of the dossiers in the auditor's scope, newest first."""
    _auditor(actor)
    in_scope = scope_dossiers(select(Dossier.id), actor)
    query = select(PersonalDataRead).where(
        PersonalDataRead.username == username, PersonalDataRead.dossier_id.in_(in_scope)
    )
    if since is not None:
        query = query.where(PersonalDataRead.at >= since)
    if until is not None:
        query = query.where(PersonalDataRead.at < until)
    rows = db.session.scalars(
        query.order_by(PersonalDataRead.at.desc(), PersonalDataRead.id.desc()).limit(MAX_ROWS)
    )
    return [read_view(r) for r in rows]


def read_view(r: PersonalDataRead) -> dict[str, Any]:
    return {
        "at": r.at.isoformat(),
        "username": r.username,
        "roles": [x for x in r.roles.split(",") if x],
        "dossier_code": r.dossier_code,
        "channel": r.channel,
        "view": r.view,
        "detail": r.detail,
    }
