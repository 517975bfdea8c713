"""Daily anchors: one hash over every dossier's sealed chain head, for auditors to keep outside the system.

The anchor is the sorted list of heads `[code, seq, hash, state_digest]` and its SHA-256 root, MACed with the
audit key. A kept anchor contradicts any later rewrite — even one made with the key: the event at the
anchored seq must still have the anchored hash, and a head that has not moved on the anchored state digest.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, select

from app.domain.calendar import local_date, to_local
from app.engine.definition import canonical_json
from app.models import AuditAnchor, AuditEvent, AuditHead, Dossier, User, db
from app.services.audit_keys import keyring
from app.services.collaborators import collaborators
from app.services.dossiers import commune_of
from app.services.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from app.services.transaction import write

FORMAT = "hotich-audit-anchor/1"
CHUNK = 5_000  # kept heads per bulk insert when a kept anchor is checked


def anchor_message(day: str, count: int, root: str) -> str:
    return f"hotich-anchor\n{day}\n{count}\n{root}"


def heads_root(heads: list[list[Any]]) -> str:
    return hashlib.sha256(canonical_json(heads).encode()).hexdigest()


def current_heads() -> list[list[Any]]:
    """Every sealed head, sorted by dossier code (one indexed scan)."""
    rows = db.session.execute(
        select(AuditHead.dossier_code, AuditHead.seq, AuditHead.hash, AuditHead.state_digest).order_by(
            AuditHead.dossier_code
        )
    )
    return [[code, seq, hash_, digest] for code, seq, hash_, digest in rows]


def ensure_anchor_reader(actor: User) -> None:
    """Admins and auditors read anchors. An anchor covers every commune, but holds only dossier codes and
    hashes (no personal data), so an auditor limited to some communes keeps and checks the same file: the
    root can only be recomputed over every head."""
    if actor.has_role("admin", "auditor"):
        return
    raise Forbidden("Chỉ kiểm toán viên hoặc quản trị viên được xem mốc neo nhật ký.")


def write_anchor(now: datetime | None = None) -> AuditAnchor:
    """Write today's anchor (one per day, never replaced); run by `flask write-anchor` and the worker."""
    moment = now or collaborators().clock.now()
    day = local_date(moment)

    def work() -> AuditAnchor:
        if db.session.scalars(select(AuditAnchor.id).where(AuditAnchor.day == day)).first() is not None:
            raise Conflict(f"Đã có mốc neo của ngày {day:%d/%m/%Y}.", code="anchor_exists")
        heads = current_heads()
        root = heads_root(heads)
        key_id, mac = keyring().mac(anchor_message(day.isoformat(), len(heads), root))
        anchor = AuditAnchor(
            day=day,
            created_at=moment,
            count=len(heads),
            root=root,
            key_id=key_id,
            mac=mac,
            heads=canonical_json(heads),
        )
        db.session.add(anchor)
        return anchor

    return write(work)


ANCHOR_HOUR = 23  # the worker takes the day's anchor in the last hour of the local day


def anchor_if_due(now: datetime) -> AuditAnchor | None:
    """The worker's daily anchor: written once, in the last hour of the local day, if not written yet."""
    if to_local(now).hour < ANCHOR_HOUR:
        return None
    day = local_date(now)
    if db.session.scalars(select(AuditAnchor.id).where(AuditAnchor.day == day)).first() is not None:
        db.session.commit()  # end the read transaction
        return None
    try:
        return write_anchor(now)
    except Conflict:
        return None  # another worker wrote it first


def list_anchors(actor: User) -> list[dict[str, Any]]:
    ensure_anchor_reader(actor)
    rows = db.session.scalars(select(AuditAnchor).order_by(AuditAnchor.day.desc())).all()
    return [anchor_summary(a) for a in rows]


def anchor_summary(a: AuditAnchor) -> dict[str, Any]:
    return {
        "day": a.day.isoformat(),
        "created_at": a.created_at.isoformat(),
        "count": a.count,
        "root": a.root,
        "key_id": a.key_id,
        "mac": a.mac,
    }


def anchor_file(actor: User, day: str) -> dict[str, Any]:
    """The anchor of `day` (YYYY-MM-DD) as the JSON file an auditor downloads and keeps."""
    ensure_anchor_reader(actor)
    try:
        wanted = date.fromisoformat(day)
    except ValueError as exc:
        raise BadRequest("Ngày không hợp lệ.", fields={"day": "«Ngày» phải có dạng YYYY-MM-DD."}) from exc
    anchor = db.session.scalars(select(AuditAnchor).where(AuditAnchor.day == wanted)).first()
    if anchor is None:
        raise NotFound(f"Không có mốc neo của ngày {wanted:%d/%m/%Y}.")
    return export_anchor(anchor)


def export_anchor(anchor: AuditAnchor) -> dict[str, Any]:
    return {"format": FORMAT, **anchor_summary(anchor), "heads": json.loads(anchor.heads)}


def check_anchor_as(actor: User, kept: Any) -> dict[str, Any]:
    """The check of a kept anchor; an auditor limited to some communes is told which of *their* dossiers
    differ, and only how many outside their communes do (`ok` is still the verdict on the whole anchor)."""
    ensure_anchor_reader(actor)
    result = check_anchor(kept)
    if actor.has_role("auditor") and actor.scope:
        communes = set(actor.scope)
        mine = [d for d in result["differs"] if commune_of(str(d["code"])) in communes]
        result["differs_outside_scope"] = len(result["differs"]) - len(mine)
        result["differs"] = mine
    return result


def _parse(kept: Any) -> tuple[str, int, str, list[list[Any]]]:
    if not isinstance(kept, dict) or kept.get("format") != FORMAT:
        raise Invalid(
            "Tệp không phải mốc neo nhật ký hộ tịch.", fields={"file": "«Tệp mốc neo» không đúng định dạng."}
        )
    heads = kept.get("heads")
    ok = isinstance(heads, list) and all(
        isinstance(h, list) and len(h) == 4 and isinstance(h[0], str) and isinstance(h[1], int) for h in heads
    )
    if not ok or not isinstance(kept.get("root"), str) or not isinstance(kept.get("day"), str):
        raise Invalid("Tệp mốc neo thiếu hoặc sai dữ liệu.", fields={"file": "«Tệp mốc neo» bị hỏng."})
    return str(kept["day"]), int(kept.get("count") or 0), str(kept["root"]), heads  # type: ignore[return-value]


def check_anchor(kept: Any) -> dict[str, Any]:
    """Check a kept anchor file against the database now; names every dossier whose history differs."""
    day, count, root, heads = _parse(kept)
    root_ok = heads_root(heads) == root and count == len(heads)
    mac_ok = keyring().check(kept.get("key_id"), anchor_message(day, count, root), kept.get("mac"))
    try:
        anchored_day = date.fromisoformat(day)
    except ValueError as exc:
        raise Invalid("Tệp mốc neo có ngày không hợp lệ.", fields={"file": "«Tệp mốc neo» bị hỏng."}) from exc
    stored = db.session.execute(
        select(AuditAnchor.root, AuditAnchor.count).where(AuditAnchor.day == anchored_day)
    ).first()
    stored_matches = None if stored is None else (stored[0] == root and stored[1] == count)
    differs = _differences(heads)
    return {
        "ok": root_ok and mac_ok and stored_matches is not False and not differs,
        "day": day,
        "count": count,
        "root": root,
        "root_ok": root_ok,
        "mac_ok": mac_ok,
        "stored_matches": stored_matches,
        "differs": differs,
    }


def _differences(heads: list[list[Any]]) -> list[dict[str, Any]]:
    """Join the kept heads to the database in one statement (through a temporary table, so 100,000 heads
    are one bulk insert and one indexed join, not 100,000 look-ups)."""
    kept = Table(
        "audit_anchor_check",
        MetaData(),
        Column("code", String(40), primary_key=True),
        Column("seq", Integer),
        Column("hash", String(64)),
        Column("digest", String(64)),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )
    conn = db.session.connection()
    kept.create(conn)
    try:
        if conn.dialect.name == "postgresql":
            # COPY: an order of magnitude faster than INSERT batches for 100,000 rows
            raw: Any = conn.connection.dbapi_connection
            with raw.cursor() as cur:
                with cur.copy("COPY audit_anchor_check (code, seq, hash, digest) FROM STDIN") as copy:
                    for row in heads:
                        copy.write_row(row)
        else:
            for start in range(0, len(heads), CHUNK):
                batch = heads[start : start + CHUNK]
                conn.execute(
                    kept.insert(), [{"code": c, "seq": q, "hash": h, "digest": d} for c, q, h, d in batch]
                )
        rows = conn.execute(
            select(
                kept.c.code,
                kept.c.seq,
                kept.c.hash,
                kept.c.digest,
                Dossier.id,
                AuditEvent.hash,
                AuditHead.seq,
                AuditHead.state_digest,
            )
            .select_from(kept)
            .outerjoin(Dossier, Dossier.code == kept.c.code)
            .outerjoin(AuditEvent, (AuditEvent.dossier_id == Dossier.id) & (AuditEvent.seq == kept.c.seq))
            .outerjoin(AuditHead, AuditHead.dossier_id == Dossier.id)
            .order_by(kept.c.code)
        ).all()
    finally:
        kept.drop(conn, checkfirst=True)
    out = []
    for code, seq, hash_, digest, dossier_id, event_hash_now, head_seq, head_digest in rows:
        found = _difference(seq, hash_, digest, dossier_id, event_hash_now, head_seq, head_digest)
        if found:
            out.append({"code": code, "seq": seq, "reason": found[0], "message": found[1]})
    return out


def _difference(
    seq: int,
    hash_: str,
    digest: str,
    dossier_id: int | None,
    event_hash_now: str | None,
    head_seq: int | None,
    head_digest: str | None,
) -> tuple[str, str] | None:
    if dossier_id is None:
        return "dossier_missing", "Hồ sơ không còn trong cơ sở dữ liệu."
    if event_hash_now is None:
        return "event_missing", f"Sự kiện số {seq} đã neo không còn."
    if event_hash_now != hash_:
        return "event_rewritten", f"Sự kiện số {seq} khác với mốc neo (nhật ký bị viết lại)."
    if head_seq is None:
        return "head_missing", "Đầu chuỗi niêm phong không còn."
    if head_seq < seq:
        return "truncated", f"Đầu chuỗi lùi về sự kiện số {head_seq} (sau mốc neo: {seq})."
    if head_seq == seq and head_digest != digest:
        return "state_changed", "Dữ liệu hiển thị khác với lúc neo mà không có sự kiện mới."
    return None
