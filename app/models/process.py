"""Immutable, deployed versions of the process diagrams."""

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime


class ProcessVersion(Base):
    """One deployed BPMN; rows are never updated except the `active` switch."""

    __tablename__ = "process_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    deployed_by: Mapped[str] = mapped_column(String(80))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(default=True)
    __table_args__ = (UniqueConstraint("key", "version", name="uq_process_version_key_version"),)


class ProcessDraft(Base):
    """An analyst's work in progress on a process (one per key); `version` is its ETag: each save bumps it,
    and a save that does not name the current version is refused (two analysts editing at once)."""

    __tablename__ = "process_draft"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    bpmn_xml: Mapped[str] = mapped_column(Text)
    version: Mapped[int]
    base_version: Mapped[int | None]  # the deployed version the draft started from
    author: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
