"""Dossiers (one process instance each), their open tasks, attachments and issued documents."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType, UTCDateTime


class Dossier(Base):
    """A civil-status dossier and the serialized state of its workflow instance."""

    __tablename__ = "dossier"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    procedure: Mapped[str] = mapped_column(String(20))
    commune_code: Mapped[str] = mapped_column(ForeignKey("commune.code"))
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    result: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    late: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    # instance-only SpiffWorkflow JSON (the spec lives once in process_version)
    state: Mapped[str] = mapped_column(Text)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_event_seq: Mapped[int] = mapped_column(default=0)
    last_event_hash: Mapped[str] = mapped_column(String(64), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    # who/what the dossier is about (folded name + date + parent), for the duplicate-registration rules
    subject_key: Mapped[str | None] = mapped_column(String(300), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    submitted_by: Mapped[str] = mapped_column(String(80))
    row_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": row_version}
    __table_args__ = (
        Index("ix_dossier_commune_status", "commune_code", "status", "id"),
        UniqueConstraint("submitted_by", "idempotency_key", name="uq_dossier_idempotency"),
    )


class DossierParty(Base):
    """A party of a dossier with no single subject, by personal id (marriage: bride and groom, the procedure's
    party_id_paths), kept in step with the data: an earlier registration naming the same person is found by
    this index (KH-04), not by reading every dossier's data."""

    __tablename__ = "dossier_party"
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), primary_key=True)
    personal_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class OpenTask(Base):
    """Read model of the READY user tasks, rebuilt in the same transaction as every engine step."""

    __tablename__ = "open_task"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow task uuid
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    dossier_code: Mapped[str] = mapped_column(String(40))
    procedure: Mapped[str] = mapped_column(String(20))
    task_key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    commune_code: Mapped[str] = mapped_column(String(5))
    assignee: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    search_text: Mapped[str] = mapped_column(Text, default="")
    # the inbox reads these without loading workflows: most urgent first, one dossier, my tasks
    __table_args__ = (
        Index("ix_open_task_inbox", "commune_code", "role", "due_at", "created_at", "id"),
        Index("ix_open_task_dossier", "commune_code", "role", "dossier_code"),
        Index("ix_open_task_assignee", "commune_code", "role", "assignee"),
    )


class ClosedTask(Base):
    """A user task that was open and is no longer: a later attempt on it is 409 "closed", not 404."""

    __tablename__ = "closed_task"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow task uuid
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    commune_code: Mapped[str] = mapped_column(String(5))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Attachment(Base):
    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Document(Base):
    """An issued document: its data snapshot is immutable; the PDF is rendered from it on demand."""

    __tablename__ = "document"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    context: Mapped[dict[str, Any]] = mapped_column(JSONType)
    verify_token: Mapped[str] = mapped_column(String(40), unique=True)
    content_sha256: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(default=False)
    __table_args__ = (UniqueConstraint("dossier_id", "name", name="uq_document_dossier_name"),)
