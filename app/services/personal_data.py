"""Reads of personal data are themselves recorded (Decree 13/2023/NĐ-CP, Art. 26–27 on processing logs).

Every read of a dossier's personal data — an official's dossier or task page, an auditor's history or
export, the API's dossier, task, events and replay answers, an issued document or an attachment — writes one
`personal_data_read` row: who, with which roles, when, which dossier, through which view. A list that shows
names (the inbox, the dossier search, a register book) writes one row per dossier it shows; a registry
person's record shown at the counter or to the registry admin writes one row naming the personal id
(`subject`). The web layer calls `record_reads` from one hook (app/web/read_log.py) after the view has
succeeded; the rows of one answer are one small write transaction through `transaction.write` (the SQLite
write lock is taken first, contention is retried, then 409 "busy", never 5xx) and the data is not served when
it could not be recorded.

Auditors list the reads per dossier and per user; they never write a dossier.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, or_, select

from app.models import Dossier, PersonalDataRead, User, db
from app.services.access import ensure_readable, scope_dossiers
from app.services.collaborators import collaborators
from app.services.errors import Forbidden
from app.services.transaction import write

MAX_ROWS = 500


def record_reads(
    user: User,
    dossier_codes: Collection[str],
    view: str,
    *,
    channel: str,
    detail: str = "",
    subjects: Collection[str] = (),
) -> None:
    """Append one read record per dossier (already authorised by the view that read them) and per registry
    person (`subjects`: personal ids), all in one write transaction. A code that names no dossier here
    (a kept mail of a database since reset) shows no one's data here and is skipped."""
    wanted = list(dict.fromkeys(dossier_codes))
    found = select(Dossier.code, Dossier.id).where(Dossier.code.in_(wanted))
    ids: dict[str, int] = {c: i for c, i in db.session.execute(found)} if wanted else {}
    codes = [c for c in wanted if c in ids]
    common = {
        "at": collaborators().clock.now(),
        "username": user.username,
        "roles": ",".join(user.roles)[:200],
        "commune_code": user.commune_code,
        "channel": channel,
        "view": view[:60],
        "detail": detail[:300],
    }
    rows = [{**common, "dossier_id": ids[c], "dossier_code": c, "subject": ""} for c in codes]
    persons = dict.fromkeys(subjects)
    rows += [{**common, "dossier_id": None, "dossier_code": "", "subject": p[:40]} for p in persons]
    if not rows:
        return

    def work() -> None:
        db.session.execute(insert(PersonalDataRead), rows)

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
    # a registry person's record read at the counter names no dossier: in scope by the reader's commune
    no_dossier: ColumnElement[bool] = PersonalDataRead.dossier_id.is_(None)
    if actor.scope:
        no_dossier = and_(no_dossier, PersonalDataRead.commune_code.in_(actor.scope))
    query = select(PersonalDataRead).where(
        PersonalDataRead.username == username, or_(PersonalDataRead.dossier_id.in_(in_scope), no_dossier)
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
        "dossier_code": r.dossier_code or None,
        "subject": r.subject or None,
        "channel": r.channel,
        "view": r.view,
        "detail": r.detail,
    }
