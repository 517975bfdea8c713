"""The append-only, hash-chained audit trail of a dossier."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from app.engine.definition import canonical_json
from app.models import AuditEvent, Document, Dossier, db

GENESIS = "0" * 64


@dataclass
class PendingEvent:
    type: str
    actor: str
    task: str | None
    data: dict[str, Any]


def event_hash(
    prev_hash: str, seq: int, at: datetime, type_: str, actor: str, task: str | None, data: dict[str, Any]
) -> str:
    body = canonical_json(
        {"seq": seq, "at": at.isoformat(), "type": type_, "actor": actor, "task": task, "data": data}
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def append_events(dossier: Dossier, at: datetime, events: list[PendingEvent]) -> None:
    """Chain `events` after the dossier's last event (the dossier row is locked by the caller)."""
    prev = dossier.last_event_hash or GENESIS
    seq = dossier.last_event_seq
    rows = []
    for ev in events:
        seq += 1
        data = plain(ev.data)
        h = event_hash(prev, seq, at, ev.type, ev.actor, ev.task, data)
        rows.append(
            {
                "dossier_id": dossier.id,
                "seq": seq,
                "at": at,
                "type": ev.type,
                "actor": ev.actor,
                "task": ev.task,
                "data": data,
                "prev_hash": prev,
                "hash": h,
            }
        )
        prev = h
    if rows:
        db.session.execute(insert(AuditEvent), rows)  # one executemany, no ORM round trips
    dossier.last_event_seq, dossier.last_event_hash = seq, prev


def plain(value: Any) -> Any:
    """JSON-plain copy (dates to ISO strings) so the stored row hashes the same after a round-trip."""
    import json

    return json.loads(canonical_json(value))


def chain_break(events: list[AuditEvent]) -> int | None:
    """The first seq whose hash or link does not check out, or None when the chain is intact."""
    prev = GENESIS
    for i, ev in enumerate(events, start=1):
        if ev.seq != i:
            return i  # a missing (deleted) event is named by its own seq, not the next one's
        if ev.prev_hash != prev:
            return ev.seq
        if event_hash(prev, ev.seq, ev.at, ev.type, ev.actor, ev.task, ev.data) != ev.hash:
            return ev.seq
        prev = ev.hash
    return None


def event_to_dict(ev: AuditEvent) -> dict[str, Any]:
    return {
        "seq": ev.seq,
        "at": ev.at.isoformat(),
        "type": ev.type,
        "actor": ev.actor,
        "task": ev.task,
        "data": ev.data,
        "hash": ev.hash,
        "prev_hash": ev.prev_hash,
    }


def document_intact(doc: Document) -> bool:
    """Does the document's stored context still hash to the content hash recorded when it was issued?"""
    return hashlib.sha256(canonical_json(doc.context).encode()).hexdigest() == doc.content_sha256
