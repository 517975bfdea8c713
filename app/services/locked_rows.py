"""Rows a command read together with its dossier lock (app.services.commands.lock_dossier), kept for the
rest of that transaction so the services that need them do not read them again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app.models import Attachment, AuditHead, Document, Dossier, OpenTask, db

_KEY = "hotich_locked_rows"


@dataclass
class LockedRows:
    transaction: Any
    open_tasks: list[OpenTask]
    # held so the identity map keeps it: sealing at commit finds the head there by primary key
    head: AuditHead | None
    attachments: list[tuple[int, str, str]] | None  # (id, kind, filename); None: not read with the lock
    document_names: set[str] | None


def attachments_column(dialect: str) -> Any:
    """The dossier's attachments (id, kind, filename) as one JSON array, a column of the lock statement."""
    if dialect == "postgresql":
        agg = func.json_agg(func.json_build_array(Attachment.id, Attachment.kind, Attachment.filename))
    else:
        agg = func.json_group_array(func.json_array(Attachment.id, Attachment.kind, Attachment.filename))
    return select(agg).where(Attachment.dossier_id == Dossier.id).correlate(Dossier).scalar_subquery()


def document_names_column(dialect: str) -> Any:
    """The names of the dossier's documents as one JSON array, a column of the lock statement."""
    agg = func.json_agg(Document.name) if dialect == "postgresql" else func.json_group_array(Document.name)
    return select(agg).where(Document.dossier_id == Dossier.id).correlate(Dossier).scalar_subquery()


def json_list(value: Any) -> list[Any]:
    """A JSON aggregate as the driver returns it: text on SQLite, parsed on PostgreSQL, NULL for no rows."""
    if value is None:
        return []
    parsed = json.loads(value) if isinstance(value, str | bytes) else value
    return list(parsed or [])


def note(dossier_id: int, rows: LockedRows) -> None:
    db.session.info.setdefault(_KEY, {})[dossier_id] = rows


def noted(dossier: Dossier) -> LockedRows | None:
    """What the lock read for this dossier in the current transaction (None: it was not locked here)."""
    rows: LockedRows | None = (db.session.info.get(_KEY) or {}).get(dossier.id)
    if rows is None or rows.transaction is not db.session().get_transaction():
        return None
    return rows


def attachments(dossier: Dossier) -> list[tuple[int, str, str]] | None:
    """(id, kind, filename) of the dossier's attachments in id order, as stored when the lock was taken."""
    rows = noted(dossier)
    return None if rows is None or rows.attachments is None else list(rows.attachments)


def forget_attachments(dossier: Dossier) -> None:
    """The command adds attachments: later reads in this transaction go to the table again."""
    rows = noted(dossier)
    if rows is not None:
        rows.attachments = None


def document_names(dossier: Dossier) -> set[str] | None:
    """Names of the dossier's documents when the lock was taken, plus those this session holds for it
    (issued earlier in the same command); None when the lock did not read them."""
    rows = noted(dossier)
    if rows is None or rows.document_names is None:
        return None
    session = db.session()
    held = {
        obj.name
        for obj in [*session.new, *session.identity_map.values()]
        if isinstance(obj, Document) and obj.dossier_id == dossier.id
    }
    return set(rows.document_names) | held
