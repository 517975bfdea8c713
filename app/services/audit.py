"""The append-only, hash-chained audit trail of a dossier, MACed with a key kept outside the database.

Every event's hash links to the previous one and carries an HMAC of (dossier, seq, hash); at the commit of
every command the chain head is sealed with a digest of everything people see of the dossier (status, data,
result, register entry, documents), MACed as well. A rewrite of the rows, even with the plain chain
recomputed, no longer authenticates; what it names is the first event (or field) that does not.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from app.engine.definition import canonical_json
from app.models import (
    AuditEvent,
    AuditHead,
    Document,
    Dossier,
    ProcessVersion,
    RegisterBook,
    RegisterEntry,
    db,
)
from app.services.audit_keys import Keyring, keyring

GENESIS = "0" * 64
_TOUCHED = "hotich_audit_touched"  # dossiers this transaction appended events to
_BEFORE = "hotich_audit_before"  # their row fields when the command locked them
_ROWS = "hotich_audit_rows"  # register entries and documents this transaction wrote, by dossier
_CREATED = "hotich_audit_created"  # dossiers whose first events this transaction appended (no head yet)


@dataclass
class PendingEvent:
    type: str
    actor: str
    task: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class RecordedEvent:
    """A stored event as the chain check and the replay read it: from a row, or from a proof bundle."""

    seq: int
    at: datetime
    type: str
    actor: str
    task: str | None
    data: dict[str, Any]
    prev_hash: str
    hash: str
    mac: str | None = None
    key_id: str | None = None

    @classmethod
    def of(cls, row: AuditEvent) -> RecordedEvent:
        return cls(
            row.seq,
            row.at,
            row.type,
            row.actor,
            row.task,
            row.data,
            row.prev_hash,
            row.hash,
            row.mac,
            row.key_id,
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RecordedEvent:
        return cls(
            int(d["seq"]),
            datetime.fromisoformat(str(d["at"])),
            str(d["type"]),
            str(d["actor"]),
            d.get("task"),
            dict(d.get("data") or {}),
            str(d.get("prev_hash") or ""),
            str(d.get("hash") or ""),
            d.get("mac"),
            d.get("key_id"),
        )


def event_hash(
    prev_hash: str, seq: int, at: datetime, type_: str, actor: str, task: str | None, data: dict[str, Any]
) -> str:
    body = canonical_json(
        {"seq": seq, "at": at.isoformat(), "type": type_, "actor": actor, "task": task, "data": data}
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def event_message(code: str, seq: int, hash_: str) -> str:
    """What an event's MAC authenticates: this dossier, this place in its chain, this hash."""
    return f"hotich-event\n{code}\n{seq}\n{hash_}"


def head_message(code: str, seq: int, hash_: str, digest: str) -> str:
    """What the head's MAC authenticates: the chain's length and last hash, and the visible state."""
    return f"hotich-head\n{code}\n{seq}\n{hash_}\n{digest}"


def append_events(dossier: Dossier, at: datetime, events: list[PendingEvent]) -> None:
    """Chain `events` after the dossier's last event (the dossier row is locked by the caller); the head is
    sealed when the transaction commits, after everything the command changes."""
    ring = keyring()
    prev = dossier.last_event_hash or GENESIS
    seq = dossier.last_event_seq
    if seq == 0 and events:
        # the dossier's first events: it has no sealed head, and every register entry or document it has
        # was written by this transaction (so sealing reads neither back)
        db.session.info.setdefault(_CREATED, set()).add(dossier.id)
    rows = []
    for ev in events:
        seq += 1
        data = plain(ev.data)
        h = event_hash(prev, seq, at, ev.type, ev.actor, ev.task, data)
        key_id, mac = ring.mac(event_message(dossier.code, seq, h))
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
                "mac": mac,
                "key_id": key_id,
            }
        )
        prev = h
    if rows:
        db.session.execute(insert(AuditEvent), rows)  # one executemany, no ORM round trips
        db.session.info.setdefault(_TOUCHED, {})[dossier.id] = (dossier, at)
    dossier.last_event_seq, dossier.last_event_hash = seq, prev


def plain(value: Any) -> Any:
    """JSON-plain copy (dates to ISO strings) so the stored row hashes the same after a round-trip."""
    return json.loads(canonical_json(value))


def _sha(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


# -- what people see, sealed with the head ---------------------------------------------------------------


def visible_state(dossier: Dossier) -> dict[str, Any]:
    """Everything shown or printed about the dossier, as stored now (the register entry and documents
    included): the sealed digest is computed from this, and /verify recomputes it."""
    entry = db.session.scalars(select(RegisterEntry).where(RegisterEntry.dossier_id == dossier.id)).first()
    docs = db.session.scalars(
        select(Document).where(Document.dossier_id == dossier.id).order_by(Document.name)
    ).all()
    return {
        **row_state(dossier),
        "register_entry": register_entry_view(entry),
        "documents": [document_view(d) for d in docs],
    }


def row_state(dossier: Dossier) -> dict[str, Any]:
    return {
        "status": dossier.status,
        "process_sha256": process_sha256(dossier.process_version_id),
        "data": plain(dossier.data or {}),
        "result": plain(dossier.result or {}),
    }


def process_sha256(version_id: int) -> str | None:
    """The sha256 of a deployed version (rows are immutable: read once per application)."""
    cache: dict[int, str] = current_app.extensions.setdefault("hotich_version_sha256", {})
    if version_id not in cache:
        version = db.session.get(ProcessVersion, version_id)
        if version is None:
            return None
        cache[version_id] = version.sha256
    return cache[version_id]


def book_identity(book_id: int) -> tuple[str, str, int] | None:
    """A register book's number, kind and year (fixed when the book is opened): read once per app."""
    cache: dict[int, tuple[str, str, int]] = current_app.extensions.setdefault("hotich_book_identity", {})
    if book_id not in cache:
        book = db.session.get(RegisterBook, book_id)
        if book is None:
            return None
        cache[book_id] = (book.number, book.kind, book.year)
    return cache[book_id]


def register_entry_view(entry: RegisterEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    book = book_identity(entry.book_id)
    view: dict[str, Any] = plain(
        {
            "book": book[0] if book else None,
            "book_kind": book[1] if book else None,
            "book_year": book[2] if book else None,
            "number": entry.number,
            "registered_on": entry.registered_on.isoformat(),
            "classification": entry.classification,
            "summary": entry.summary or {},
            "note": entry.note or "",
        }
    )
    return view


def document_view(doc: Document) -> dict[str, Any]:
    return {
        "name": doc.name,
        "kind": doc.kind,
        "title": doc.title,
        "verify_token": doc.verify_token,
        "content_sha256": doc.content_sha256,
        "revoked": bool(doc.revoked),
        "context": plain(doc.context),
    }


def row_components(state: dict[str, Any]) -> dict[str, str]:
    """The sealed fields that live on the dossier row: status, process version, data blocks, result keys."""
    out = {"status": _sha(state.get("status")), "process": _sha(state.get("process_sha256"))}
    for key, value in (state.get("data") or {}).items():
        out[f"data.{key}"] = _sha(value)
    for key, value in (state.get("result") or {}).items():
        out[f"result.{key}"] = _sha(value)
    return out


def _document_sealed(doc: dict[str, Any]) -> str:
    return _sha({k: doc.get(k) for k in ("kind", "title", "verify_token", "content_sha256", "revoked")})


def state_components(state: dict[str, Any]) -> dict[str, str]:
    """One hash per field people see, so /verify can name the field that was changed."""
    out = row_components(state)
    if state.get("register_entry") is not None:
        out["register_entry"] = _sha(state["register_entry"])
    for doc in state.get("documents") or []:
        out[f"document.{doc['name']}"] = _document_sealed(doc)
    return out


def state_digest(components: dict[str, str]) -> str:
    return _sha(components)


def remember_before(dossier: Dossier) -> None:
    """Called when a command locks the dossier: the row's fields as stored, before the command changes them.
    Sealing then takes a new value only for what the command changed, so a row forged between two commands
    is never sealed ("laundered") by the next one: its sealed hash stays, and /verify keeps naming it."""
    if dossier.id is not None:
        db.session.info.setdefault(_BEFORE, {})[dossier.id] = row_components(row_state(dossier))


def seal_head(dossier: Dossier, at: datetime, written: list[Any] | None = None) -> AuditHead:
    """MAC the chain head together with the digest of the visible state (at the end of a command).

    `written`: the register entries and documents the command wrote through the ORM (None: not known, so
    everything is read again); the others keep their sealed hashes without being read again. The head row
    itself was read with the dossier under the lock (app.services.commands.lock_dossier)."""
    before = (db.session.info.get(_BEFORE) or {}).pop(dossier.id, None)
    # created in this transaction (its first events, and no command locked it as an existing dossier):
    # it has no head yet, nothing to look up
    created = before is None and dossier.id in (db.session.info.get(_CREATED) or ())
    head = None if created else db.session.get(AuditHead, dossier.id)
    if head is None and created and written is not None:
        components = state_components(row_state(dossier))
        components.update({f: h for f, h in _written_components(written).items() if h is not None})
    elif head is None or before is None or written is None:
        components = state_components(visible_state(dossier))
    else:
        components = _merged(dict(head.components or {}), before, dossier, written)
    digest = state_digest(components)
    message = head_message(dossier.code, dossier.last_event_seq, dossier.last_event_hash, digest)
    key_id, mac = keyring().mac(message)
    if head is None:
        head = AuditHead(dossier_id=dossier.id, dossier_code=dossier.code)
        db.session.add(head)
    head.seq, head.hash = dossier.last_event_seq, dossier.last_event_hash
    head.state_digest, head.components = digest, components
    head.mac, head.key_id, head.sealed_at = mac, key_id, at
    return head


def _written_components(written: list[Any]) -> dict[str, str | None]:
    """The sealed hashes of the rows a command wrote, from the objects in the session (as flushed); None for
    a row the command deleted again."""
    out: dict[str, str | None] = {}
    gone = [o for o in written if sa_inspect(o).was_deleted]
    for obj in gone + [o for o in written if not sa_inspect(o).was_deleted]:
        if isinstance(obj, RegisterEntry):
            out["register_entry"] = None if obj in gone else _sha(register_entry_view(obj))
        elif isinstance(obj, Document):
            out[f"document.{obj.name}"] = None if obj in gone else _document_sealed(document_view(obj))
    return out


def _merged(
    sealed: dict[str, str], before: dict[str, str], dossier: Dossier, written: list[Any]
) -> dict[str, str]:
    """The previous seal, with the fields this command changed taken from their new values."""
    after = row_components(row_state(dossier))
    out = {f: h for f, h in sealed.items() if f not in before and f not in after}  # entry, documents
    for field in set(sealed) | set(before) | set(after):
        if field not in before and field not in after:
            continue
        if after.get(field) != before.get(field):
            if field in after:
                out[field] = after[field]  # written by this command
        elif field in sealed:
            out[field] = sealed[field]  # untouched: as sealed (a forged row stays named)
    for field, value in _written_components(written).items():
        if field in after:
            continue
        if value is None:
            out.pop(field, None)
        else:
            out[field] = value
    return out


def _seal_on_commit(session: Session) -> None:
    touched: dict[int, tuple[Dossier, datetime]] = session.info.pop(_TOUCHED, None) or {}
    if not touched:
        session.info.pop(_BEFORE, None)
        session.info.pop(_ROWS, None)
        session.info.pop(_CREATED, None)
        return
    session.flush()  # the register entry and documents the command added get their ids and defaults
    rows: dict[int, list[Any]] = session.info.pop(_ROWS, None) or {}
    for dossier, at in touched.values():
        seal_head(dossier, at, rows.get(dossier.id, []))
    session.info.pop(_BEFORE, None)
    session.info.pop(_CREATED, None)


def _note_rows(session: Session, flush_context: Any, instances: Any) -> None:
    """Which register entries and documents a transaction writes (through the ORM, as the app does)."""
    rows: dict[int, list[Any]] = session.info.setdefault(_ROWS, {})
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, RegisterEntry | Document):
            noted = rows.setdefault(obj.dossier_id, [])
            if not any(o is obj for o in noted):
                noted.append(obj)


def _forget_on_rollback(session: Session, previous_transaction: Any) -> None:
    for key in (_TOUCHED, _BEFORE, _ROWS, _CREATED):
        session.info.pop(key, None)


def install_sealing() -> None:
    """Seal the heads of the dossiers a transaction appended events to, as part of its commit."""
    if not sa_event.contains(db.session, "before_commit", _seal_on_commit):
        sa_event.listen(db.session, "before_commit", _seal_on_commit)
        sa_event.listen(db.session, "before_flush", _note_rows)
        sa_event.listen(db.session, "after_soft_rollback", _forget_on_rollback)


# -- checking ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing that does not check out; `seq` names the event, `field` the visible field."""

    message: str
    seq: int | None = None
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "field": self.field, "message": self.message}


def chain_break(
    events: list[RecordedEvent], code: str | None = None, ring: Keyring | None = None
) -> int | None:
    """The first seq whose hash, link or MAC does not check out, or None when the chain is intact."""
    problem = chain_problem(events, code, ring)
    return problem.seq if problem else None


def chain_problem(
    events: list[RecordedEvent], code: str | None = None, ring: Keyring | None = None
) -> Problem | None:
    """The first event that does not check out (MACs are checked when `ring` and `code` are given)."""
    prev = GENESIS
    for i, ev in enumerate(events, start=1):
        if ev.seq != i:
            # a missing (deleted) event is named by its own seq, not the next one's
            return Problem(f"Sự kiện số {i} bị thiếu (đã bị xóa).", seq=i)
        if ev.prev_hash != prev:
            return Problem(f"Sự kiện số {ev.seq} không nối với sự kiện trước.", seq=ev.seq)
        if event_hash(prev, ev.seq, ev.at, ev.type, ev.actor, ev.task, ev.data) != ev.hash:
            return Problem(f"Sự kiện số {ev.seq} đã bị sửa (mã băm không khớp).", seq=ev.seq)
        if (
            ring is not None
            and code is not None
            and not ring.check(ev.key_id, event_message(code, ev.seq, ev.hash), ev.mac)
        ):
            return Problem(
                f"Sự kiện số {ev.seq}: mã xác thực (HMAC) không hợp lệ — chuỗi đã bị tính lại.", seq=ev.seq
            )
        prev = ev.hash
    return None


def head_problems(
    code: str,
    events: list[RecordedEvent],
    head: dict[str, Any] | None,
    components: dict[str, str],
    ring: Keyring,
) -> list[Problem]:
    """Does the sealed head authenticate, end the chain, and match the visible state field by field?"""
    if head is None:
        return [Problem("Hồ sơ chưa có đầu chuỗi được niêm phong.")]
    seq, hash_ = int(head["seq"]), str(head["hash"])
    message = head_message(code, seq, hash_, str(head["state_digest"]))
    if (
        not ring.check(head.get("key_id"), message, head.get("mac"))
        or state_digest(dict(head.get("components") or {})) != head["state_digest"]
    ):
        return [Problem("Đầu chuỗi: mã xác thực (HMAC) không hợp lệ.", seq=seq)]
    last = events[-1] if events else None
    if last is None or last.seq < seq:
        first_missing = (last.seq if last else 0) + 1
        return [Problem(f"Sự kiện số {first_missing} bị thiếu (đã bị xóa).", seq=first_missing)]
    if last.seq > seq:
        return [Problem(f"Sự kiện số {seq + 1} không có trong đầu chuỗi đã niêm phong.", seq=seq + 1)]
    if last.hash != hash_:
        return [Problem(f"Sự kiện số {seq} khác với đầu chuỗi đã niêm phong.", seq=seq)]
    sealed = dict(head.get("components") or {})
    out = []
    for field in sorted(set(sealed) | set(components)):
        if sealed.get(field) != components.get(field):
            out.append(Problem(f"«{field}» khác với giá trị đã niêm phong ở sự kiện số {seq}.", field=field))
    return out


def event_to_dict(ev: AuditEvent | RecordedEvent) -> dict[str, Any]:
    return {
        "seq": ev.seq,
        "at": ev.at.isoformat(),
        "type": ev.type,
        "actor": ev.actor,
        "task": ev.task,
        "data": ev.data,
        "hash": ev.hash,
        "prev_hash": ev.prev_hash,
        "mac": ev.mac,
        "key_id": ev.key_id,
    }


def head_to_dict(head: AuditHead | None) -> dict[str, Any] | None:
    if head is None:
        return None
    return {
        "seq": head.seq,
        "hash": head.hash,
        "state_digest": head.state_digest,
        "components": dict(head.components or {}),
        "mac": head.mac,
        "key_id": head.key_id,
        "sealed_at": head.sealed_at.isoformat(),
    }


def context_intact(context: Any, content_sha256: str) -> bool:
    return hashlib.sha256(canonical_json(context).encode()).hexdigest() == content_sha256


def document_intact(doc: Document) -> bool:
    """Does the document's stored context still hash to the content hash recorded when it was issued, and is
    that hash the one sealed with the dossier's chain head?"""
    if not context_intact(doc.context, doc.content_sha256):
        return False
    head = db.session.get(AuditHead, doc.dossier_id)
    if head is None:
        return True  # issued before heads were sealed: only its own hash can be checked
    components = dict(head.components or {})
    message = head_message(head.dossier_code, head.seq, head.hash, head.state_digest)
    if state_digest(components) != head.state_digest or not keyring().check(head.key_id, message, head.mac):
        return False
    sealed = components.get(f"document.{doc.name}")
    return sealed == _document_sealed(document_view(doc))


def seal_unsealed_chains(at: datetime) -> tuple[int, list[str]]:
    """Once, after upgrading a database whose chains predate the MACs: MAC the events of every dossier that
    has no sealed head, if its plain chain is intact, and seal its head (trust on first use). Returns how
    many were sealed and the codes of those refused because their plain chain is already broken."""
    from app.services.transaction import write

    ids = list(db.session.scalars(select(Dossier.id).where(~Dossier.id.in_(select(AuditHead.dossier_id)))))
    db.session.commit()
    sealed, refused = 0, []
    for dossier_id in ids:

        def work(dossier_id: int = dossier_id) -> bool:
            dossier = db.session.get(Dossier, dossier_id, with_for_update=True, populate_existing=True)
            if dossier is None or db.session.get(AuditHead, dossier_id) is not None:
                return True
            rows = list(
                db.session.scalars(
                    select(AuditEvent).where(AuditEvent.dossier_id == dossier_id).order_by(AuditEvent.seq)
                )
            )
            events = [RecordedEvent.of(r) for r in rows]
            if not rows or chain_problem(events) is not None or rows[-1].hash != dossier.last_event_hash:
                return False
            ring = keyring()
            for row in rows:
                if row.mac is None:
                    row.key_id, row.mac = ring.mac(event_message(dossier.code, row.seq, row.hash))
            db.session.flush()
            seal_head(dossier, at)
            return True

        if write(work):
            sealed += 1
        else:
            refused.append(str(db.session.scalar(select(Dossier.code).where(Dossier.id == dossier_id))))
    return sealed, refused
