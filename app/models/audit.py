"""Append-only audit events, hash-chained per dossier; the sealed chain heads and the daily anchors."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, UTCDateTime


class AuditEvent(Base):
    """One recorded command or external result; enough to replay the dossier."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    type: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(80))
    task: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # HMAC-SHA256 of (dossier code, seq, hash) with the audit key `key_id` (kept outside the database)
    mac: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(40))
    __table_args__ = (UniqueConstraint("dossier_id", "seq", name="uq_audit_event_dossier_seq"),)


class AuditHead(Base):
    """The sealed head of a dossier's chain: the last event and a digest of everything people see (status,
    data, result, register entry, documents), MACed together at the commit of every command."""

    __tablename__ = "audit_head"
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), primary_key=True)
    dossier_code: Mapped[str] = mapped_column(String(40), unique=True)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    state_digest: Mapped[str] = mapped_column(String(64))
    # field → sha256 of its value ("result.personal_id", "register_entry", "document.<name>" …)
    components: Mapped[dict[str, str]] = mapped_column(JSONType)
    mac: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(40))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditAnchor(Base):
    """A daily anchor: one hash over every dossier's sealed head, kept by auditors outside the system."""

    __tablename__ = "audit_anchor"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    count: Mapped[int]
    root: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(40))
    mac: Mapped[str] = mapped_column(String(64))
    # canonical JSON list of [code, seq, hash, state_digest], sorted by code: what the root hashes
    heads: Mapped[str] = mapped_column(Text)
